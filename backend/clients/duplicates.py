"""Likely duplicate client records: for one being entered, and in bulk over a site's files.

A pair is a likely duplicate when it shares the vertical's number, or an email address, or when the names are
similar AND it shares a phone number or a date of birth. A similar name alone is never enough: namesakes are
common (two Jean Tremblay in one Québec clinic), so every rule needs one exact key. That is also what keeps this
fast: candidates are chosen in SQL by exact keys (and, in bulk, by blocks of shared keys), and only those few
are scored in Python with rapidfuzz.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlalchemy import case, func, or_, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clients.models import Client
from backend.clients.search import FTS
from shared.enums import ClientKind, ClientStatus
from shared.fields import folded

# Merged and erased records are no longer anyone's file: they are never offered as duplicates.
HELD = (ClientStatus.ACTIVE, ClientStatus.INACTIVE)
# Names are "similar" from these scores (0-100): token_sort_ratio ignores word order ("Côté Hélène"), WRatio
# also accepts one name contained in the other ("Côté" / "Hélène Côté", "Hélène Côté-Tremblay").
TOKEN_SORT_MIN = 85
WRATIO_MIN = 90
# What each shared key adds to the name's share of the score (at most 60). A shared number is the same client.
KEY_WEIGHTS = {"same phone": 20, "same email": 20, "same date of birth": 25}
NAME_WEIGHT = 0.6
# A key shared by more records than this is a placeholder (the clinic's own phone, 1900-01-01), not a person:
# comparing its block would cost n² for nothing. Entry checks read at most CANDIDATES_MAX records.
BLOCK_MAX = 500
CANDIDATES_MAX = 200
# Accented letters folded in SQL for the name blocks (SQLite has neither unaccent nor translate()).
_ACCENTS = {"a": "àâäáãåÀÂÄÁÃÅ", "c": "çÇ", "e": "éèêëÉÈÊË", "i": "îïíìÎÏÍÌ", "n": "ñÑ", "o": "ôöóòõÔÖÓÒÕ",
            "u": "ùûüúÙÛÜÚ", "y": "ÿýŸÝ"}

Pair = tuple[Client, Client, int, list[str]]


@dataclass(frozen=True)
class Card:
    """What comparing reads of a client (or of one being entered): all normalised once."""

    id: int
    name: str  # folded, punctuation as spaces: "marie helene cote"
    phones: frozenset[str]
    email: str  # case set aside: imports keep the local part's case, people don't mean anything by it
    born: dt.date | None
    number: str


def _name(kind: Any, given: str, family: str, organisation: str) -> str:
    parts = (organisation,) if kind == ClientKind.ORGANISATION else (given, family)
    return default_process(folded(" ".join(part for part in parts if part)))


# What card() reads: a Client, or a row of these columns.
CARD_COLUMNS = (Client.id, Client.kind, Client.given_name, Client.family_name, Client.organisation_name,
                Client.phone, Client.phone_alt, Client.email, Client.date_of_birth, Client.number)


def card(client: Any) -> Card:
    return Card(id=client.id, name=_name(client.kind, client.given_name, client.family_name,
                                         client.organisation_name),
                phones=frozenset(p for p in (client.phone, client.phone_alt) if p), email=client.email.casefold(),
                born=client.date_of_birth, number=client.number or "")


def entry_card(values: dict[str, Any]) -> Card:
    """The card of a client being entered, from backend.clients.service.checked_values."""
    return Card(id=0, name=_name(values.get("kind"), values.get("given_name") or "", values.get("family_name") or "",
                                 values.get("organisation_name") or ""),
                phones=frozenset(p for p in (values.get("phone"), values.get("phone_alt")) if p),
                email=(values.get("email") or "").casefold(), born=values.get("date_of_birth"),
                number=values.get("number") or "")


def name_score(a: str, b: str) -> tuple[int, bool]:
    """The names' likeness (0-100) and whether they count as similar."""
    if not a or not b:
        return 0, False
    sorted_tokens, weighted = fuzz.token_sort_ratio(a, b), fuzz.WRatio(a, b)
    return round(max(sorted_tokens, weighted)), sorted_tokens >= TOKEN_SORT_MIN or weighted >= WRATIO_MIN


def compare(a: Card, b: Card) -> tuple[int, list[str]] | None:
    """The score (0-100) and reasons when a and b look like the same client; None when they do not."""
    reasons = []
    if a.number and a.number == b.number:
        reasons.append("same number")
    if a.phones & b.phones:
        reasons.append("same phone")
    if a.email and a.email == b.email:
        reasons.append("same email")
    if a.born is not None and a.born == b.born:
        reasons.append("same date of birth")
    likeness, similar = name_score(a.name, b.name)
    if similar:
        reasons.append("similar name")
    keyed = {"same phone", "same date of birth"} & set(reasons)
    if not ("same number" in reasons or "same email" in reasons or (similar and keyed)):
        return None
    if "same number" in reasons:
        return 100, reasons
    score = NAME_WEIGHT * likeness + sum(KEY_WEIGHTS.get(reason, 0) for reason in reasons)
    return min(100, round(score)), reasons


def name_prefix(name: str) -> str:
    """The first 3 letters of a folded family (or organisation) name: the cheap name prefilter, as in SQL."""
    return folded(name.strip())[:3]


async def likely_duplicates(session: AsyncSession, site_id: int, values: dict[str, Any], *,
                            exclude_id: int | None = None, limit: int = 5) -> list[tuple[Client, int, list[str]]]:
    """The held clients of the site that look like the one being entered, best first, with why."""
    entered = entry_card(values)
    # One id query per exact key, each served by its own index, then united: OR-ed in one WHERE, SQLite (which
    # has no statistics here) would rather read the whole site through ix_client_search.
    keys = []
    if entered.phones:
        keys += [select(Client.id).where(Client.phone.in_(entered.phones)), _second_phone(session, entered.phones)]
    if email := values.get("email"):
        # The email column's index serves exact values only; as typed, or as most addresses are written.
        keys.append(select(Client.id).where(Client.email.in_({email, email.casefold()})))
    if entered.number:
        keys.append(select(Client.id).where(Client.site_id == site_id, Client.number == entered.number))
    if entered.born is not None:
        # No index on date_of_birth: this one key reads the site's records (in SQL, at C speed).
        keys.append(select(Client.id).where(Client.date_of_birth == entered.born))
    if not keys:
        return []  # no exact key given: no rule can hold, whatever the name
    query = select(Client).where(Client.id.in_(union(*keys)), Client.site_id == site_id, Client.status.in_(HELD))
    if exclude_id is not None:
        query = query.where(Client.id != exclude_id)
    family = values.get("family_name") or values.get("organisation_name") or values.get("given_name") or ""
    if prefix := name_prefix(family):
        # The cheap name prefilter: should a key be shared by more than CANDIDATES_MAX records (a placeholder
        # date, a family's phone), the records whose folded names hold the same first letters are read first.
        query = query.order_by(case((Client.search_text.contains(prefix, autoescape=True), 0), else_=1))
    query = query.order_by(Client.id).limit(CANDIDATES_MAX)
    found = []
    for client in await session.scalars(query):
        outcome = compare(entered, card(client))
        if outcome is not None:
            found.append((client, *outcome))
    found.sort(key=lambda item: (-item[1], item[0].id))
    return found[:limit]


def _second_phone(session: AsyncSession, phones: frozenset[str]) -> Any:
    """The ids of clients with one of these phones as their second number. phone_alt has no index of its own, but
    its digits are in search_text, which the search index (migration 0010) serves: FTS5 on SQLite, pg_trgm on
    PostgreSQL. A longer number holding these digits is a false candidate that compare() sets aside."""
    digits = sorted("".join(ch for ch in phone if ch.isdigit()) for phone in phones)
    if session.get_bind().dialect.name == "sqlite":
        match = " OR ".join(f'"{number}"' for number in digits)
        return select(FTS.c.rowid).where(text("client_fts MATCH :phones").bindparams(phones=match))
    return select(Client.id).where(or_(*(Client.search_text.contains(number) for number in digits)))


def _folded_prefix(column: Any) -> Any:
    # Letter by letter, each through one flat CASE: nested replace() calls overflow SQLite's parser stack.
    unmarked = {letter: plain for plain, marked in _ACCENTS.items() for letter in marked}
    letters = [func.substr(column, place, 1) for place in (1, 2, 3)]
    first, second, third = (case(unmarked, value=letter, else_=letter) for letter in letters)
    # lower() after: SQLite's only lowers ASCII letters, which is all that is left.
    return func.lower(first.concat(second).concat(third))


def _blocks(site_id: int) -> dict[str, Any]:
    """Per blocking key, the SQL expression of the key and the condition for a client to have one."""
    family = case((Client.kind == ClientKind.ORGANISATION, Client.organisation_name),
                  (Client.family_name != "", Client.family_name), else_=Client.given_name)
    return {
        "phone": (Client.phone, Client.phone != ""),
        "email": (func.lower(Client.email), Client.email != ""),
        "born": (Client.date_of_birth, Client.date_of_birth.is_not(None)),
        # Similar names whose shared key sits in different columns (one's phone in the other's phone_alt)
        # meet only here.
        "name": (_folded_prefix(family), family != ""),
    }


async def _block_rows(session: AsyncSession, site_id: int, key: Any, present: Any) -> Any:
    """(key, client columns) for the clients of every block of 2 to BLOCK_MAX members, ordered by block,
    streamed: a bulk pass reads much of the site, so plain rows rather than tracked objects."""
    held = (Client.site_id == site_id, Client.status.in_(HELD), present)
    # One pass: each client with its key and its block's size (a window), so the key is computed once per row.
    keyed = (select(key.label("key"), func.count().over(partition_by=key).label("members"), *CARD_COLUMNS)
             .where(*held).subquery())
    query = (select(keyed).where(keyed.c.members.between(2, BLOCK_MAX)).order_by(keyed.c.key, keyed.c.id)
             .execution_options(yield_per=2000))
    return await session.stream(query)


def _similar_pairs(cards: list[Card], everyone: bool) -> Iterable[tuple[Card, Card]]:
    """The pairs of a block worth comparing: all of them when the block's key suffices (an email), else only
    those with similar names, found by rapidfuzz's C loops rather than n² Python calls."""
    names = [c.name for c in cards]
    for i, first in enumerate(cards[:-1]):
        rest: Iterable[int] = range(i + 1, len(cards))
        if not everyone:
            hits = {j for scorer, cutoff in ((fuzz.token_sort_ratio, TOKEN_SORT_MIN), (fuzz.WRatio, WRATIO_MIN))
                    for _name, _score, j in process.extract(first.name, names[i + 1:], scorer=scorer,
                                                            score_cutoff=cutoff, limit=None)}
            rest = (i + 1 + j for j in sorted(hits))
        for j in rest:
            yield first, cards[j]


def _score_block(cards: list[Card], everyone: bool, scored: dict[tuple[int, int], tuple[int, list[str]]]) -> None:
    for a, b in _similar_pairs(cards, everyone):
        ids = (min(a.id, b.id), max(a.id, b.id))
        if ids not in scored and (outcome := compare(a, b)) is not None:
            scored[ids] = outcome


async def duplicate_pairs(session: AsyncSession, site_id: int, *, limit: int = 200) -> list[Pair]:
    """The likely duplicate pairs among the site's held clients, best first (the older record first)."""
    scored: dict[tuple[int, int], tuple[int, list[str]]] = {}
    for block, (key, present) in _blocks(site_id).items():
        current: Any = None
        cards: list[Card] = []
        async for row in await _block_rows(session, site_id, key, present):
            if row.key != current:
                _score_block(cards, block == "email", scored)
                current, cards = row.key, []
            cards.append(card(row))
        _score_block(cards, block == "email", scored)
    best = sorted(scored.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    wanted = {client_id for ids, _ in best for client_id in ids}
    clients = {c.id: c for c in await session.scalars(select(Client).where(Client.id.in_(wanted)))} if wanted else {}
    return [(clients[a], clients[b], score, reasons) for (a, b), (score, reasons) in best]
