"""Finding clients by name, phone, email, number or tag, tolerant of accents, case and small typos, fast enough to
answer while the clerk types.

Both databases search client.search_text, which is already folded (lower case, no accents), with the query folded
the same way, so accents and case never matter. A client matches when every word of the query is in its text:
words of 3 characters or more anywhere, shorter ones at the start of a word (what is being typed: "helene c").
A trigram index finds them (FTS5 on SQLite, pg_trgm on PostgreSQL: migration 0010). When nothing matches, a typo
is assumed, and clients with words close to the query's are offered (trigram candidates, checked with rapidfuzz).

The database hands over a bounded set of candidates, unordered for plain matches: ordering every match of a
common name (there are thousands of Tremblays) would cost more than the search. The final order is computed here,
the same on both databases: exact words, then words that start with the query's, then words that contain it,
then near spellings.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz
from sqlalchemy import (ColumnElement, Integer, Select, TextClause, bindparam, column, func, literal, or_, select,
                        table, text)
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clients.models import Client
from shared.enums import ClientStatus
from shared.fields import folded

# Made by migration 0010, outside the models: the schema comparison (and autogenerate) must leave them alone.
SEARCH_INDEX_OBJECTS = ("client_fts", "ix_client_search_text_trgm")
# Rows the database hands over for ranking here: enough that the best few are among them, few enough to be quick.
CANDIDATES = 300
# Below this length a word has no trigram of its own: it is matched at the start of a word.
TRIGRAM = 3
# A word of the query is taken for a misspelling of a client's word from this rapidfuzz ratio on (0-100): one
# wrong, missing, extra or swapped letter in a word of four letters or more.
TYPO_RATIO = 72
# Past this many words, a query that matches nothing is not a name with a typo (and guessing would take long).
TYPO_WORDS_MAX = 5
# pg_trgm's word_similarity threshold for typo candidates. Its default (0.6) loses two swapped letters: that
# leaves 0.4 or so ("alxeandre" for "alexandre"); rapidfuzz has the last word on what is a near spelling.
PG_WORD_SIMILARITY = "0.3"
PHONE_LIKE = re.compile(r"\+?[\d\s().\-]+")
NUMBER_MAX = 50
# What may follow the first letter of a word: a one-letter word is looked up as these word starts (" h" + each).
AFTER_FIRST = "abcdefghijklmnopqrstuvwxyz0123456789 '-.@_"
FTS = table("client_fts", column("rowid", Integer))


def outside_models(name: str | None) -> bool:
    """Whether a table, trigger or index is one of the search index's own (FTS5 makes client_fts_data etc.)."""
    return bool(name) and any(name == own or name.startswith(own + "_") for own in SEARCH_INDEX_OBJECTS)


def query_words(query: str) -> list[str]:
    """The words to look for, folded; a phone number in any layout ("514 555-0123") is one word of its digits,
    as search_text holds them."""
    query = " ".join(query.split())
    digits = "".join(ch for ch in query if ch.isdigit())
    if PHONE_LIKE.fullmatch(query) and len(digits) >= TRIGRAM:
        return [digits]
    return folded(query).split()


def held(include_inactive: bool) -> list[ClientStatus]:
    # Merged and erased records are never found: the first lives on in its survivor, the second must not.
    return [ClientStatus.ACTIVE, *([ClientStatus.INACTIVE] if include_inactive else [])]


async def search_clients(session: AsyncSession, site_id: int, query: str, *, limit: int = 20,
                         include_inactive: bool = False) -> list[tuple[Client, float]]:
    """The clients that best match the query, best first, each with a score from 0 to 1 (1: every word exact);
    with no query, the most recently updated clients (score 0)."""
    sql = Sql(session, site_id, held(include_inactive), max(CANDIDATES, limit * 4))
    where = sql.where
    words = query_words(query)
    if not words:
        recent = await session.scalars(select(Client).where(*where)
                                       .order_by(Client.updated_at.desc(), Client.id.desc()).limit(limit))
        return [(client, 0.0) for client in recent]
    scores: dict[int, float] = {}
    # The client whose number this is comes first: clerks type a number to mean that one client.
    number = " ".join(query.split())
    if len(number) <= NUMBER_MAX:
        exact = await session.scalar(select(Client.id).where(*where, Client.number == number))
        if exact is not None:
            scores[exact] = 1.0
    ranked = rank(words, await sql.rows(contains=[w for w in words if len(w) >= TRIGRAM],
                                        starts=[w for w in words if len(w) < TRIGRAM]))
    # No typo is guessed in a number: a phone number one digit off is someone else's.
    if not ranked and not scores and not (len(words) == 1 and words[0].isdigit()):
        ranked = await typo_matches(sql, words)
    for client_id, score in ranked:
        scores.setdefault(client_id, score)
    chosen = list(scores.items())[:limit]
    clients = {c.id: c for c in await session.scalars(select(Client).where(Client.id.in_([i for i, _ in chosen])))}
    return [(clients[client_id], score) for client_id, score in chosen if client_id in clients]


async def typo_matches(sql: Sql, words: list[str]) -> list[tuple[int, float]]:
    """Clients with a near spelling of every word. The words found somewhere as typed are kept exact and the
    others taken as the misspelt ones (each in turn, when all are found somewhere but not together), which keeps
    the candidates few; so does assuming first that the first two letters are right, as they mostly are."""
    long = [w for w in words if len(w) >= TRIGRAM]
    if not long or len(long) > TYPO_WORDS_MAX:
        return []
    await sql.prepare_near()
    known = [w for w in long if await sql.exists(w)]
    unknown = [w for w in long if w not in known]
    guesses = [(known, unknown)] if unknown else [([k for k in long if k != w], [w]) for w in long]
    for anchored in (True, False):
        rows: dict[int, str] = {}
        for exact, misspelt in guesses:
            rows.update(await sql.rows(contains=exact, near=misspelt,
                                       starts=[w[:2] for w in misspelt] if anchored else []))
        if ranked := rank(words, list(rows.items()), typos=True):
            return ranked
    return []


# --- ranking, the same for both databases ------------------------------------------------------

def word_score(word: str, tokens: Sequence[str]) -> tuple[float, float]:
    """How well one word of the query matches the client's words: (score, rapidfuzz ratio of the nearest word).
    A word found whole scores 1, at the start of a word 0.9, inside one 0.8 (3 letters or more, as the database
    finds them); a near spelling less than 0.75."""
    best = 0.0
    for token in tokens:
        if token == word:
            return 1.0, 100.0
        if token.startswith(word):
            best = max(best, 0.9)
        elif len(word) >= TRIGRAM and word in token:
            best = max(best, 0.8)
    if best:
        return best, 100.0
    ratio = max((max(fuzz.ratio(word, token), fuzz.ratio(word, token[:len(word)])) for token in tokens),
                default=0.0)
    return 0.75 * ratio / 100, ratio


def rank(words: list[str], rows: Sequence[tuple[int, str]], *, typos: bool = False) -> list[tuple[int, float]]:
    """The rows (client id, search_text) scored and ordered, best first; shorter texts first among equals (the
    query is more of what they say). With `typos`, only the rows where every word has a near spelling."""
    scored = []
    for client_id, search_text in rows:
        tokens = search_text.split()
        results = [word_score(word, tokens) for word in words]
        if typos and min(ratio for _, ratio in results) < TYPO_RATIO:
            continue
        score = sum(s for s, _ in results) / len(words)
        scored.append((-score, len(search_text), client_id))
    scored.sort()
    return [(client_id, round(-negative, 4)) for negative, _, client_id in scored]


# --- SQL -----------------------------------------------------------------------------------------

def _like_escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(pattern: str) -> ColumnElement[bool]:
    return Client.search_text.like(pattern, escape="\\")


def _word_start(word: str) -> ColumnElement[bool]:
    escaped = _like_escaped(word)
    return or_(_like(escaped + "%"), _like("% " + escaped + "%"))


def _fts_string(fragment: str) -> str:
    # An FTS5 string: quoted, so nothing in it is read as query syntax (AND, NEAR, *, column filters).
    return '"' + fragment.replace('"', '""') + '"'


def _trigrams(word: str) -> list[str]:
    return sorted({word[i:i + TRIGRAM] for i in range(len(word) - TRIGRAM + 1)})


class Sql:
    """The candidates' SQL on either database, for one search: site, statuses and how many rows at most."""

    def __init__(self, session: AsyncSession, site_id: int, statuses: list[ClientStatus], wanted: int):
        self.session, self.site_id, self.statuses, self.wanted = session, site_id, statuses, wanted
        self.where = [Client.site_id == site_id, Client.status.in_(statuses)]
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    async def exists(self, word: str) -> bool:
        """Whether the word is in some client's text, whoever they are (a cheap look in the index)."""
        if self.sqlite:
            found = select(FTS.c.rowid).where(text("client_fts MATCH :fts").bindparams(fts=_fts_string(word)))
        else:
            found = select(Client.id).where(_like("%" + _like_escaped(word) + "%"))
        return await self.session.scalar(found.limit(1)) is not None

    async def rows(self, *, contains: Sequence[str] = (), starts: Sequence[str] = (),
                   near: Sequence[str] = ()) -> list[tuple[int, str]]:
        """(id, search_text) of held clients whose text contains each word of `contains`, has a word starting
        with each of `starts`, and something like each of `near`: sharing a trigram with it, the most alike first
        (SQLite), or a stretch of the text close enough (PostgreSQL's word_similarity, unordered: ordering every
        Tremblay by it would take most of a second)."""
        if self.sqlite:
            statement = self._sqlite(contains, starts, near)
        else:
            statement = self._postgresql(contains, starts, near).limit(self.wanted)
        return [(row[0], row[1]) for row in await self.session.execute(statement)]

    def _sqlite(self, contains: Sequence[str], starts: Sequence[str], near: Sequence[str]) -> TextClause:
        # Strings side by side in an FTS5 query must all be present: a string is a run of consecutive trigrams,
        # a substring of ' ' || search_text || ' ' (so " he" is a word start).
        terms = [_fts_string(w) for w in contains]
        terms += [_fts_string(" " + w) for w in starts if len(w) > 1]
        terms += ["(" + " OR ".join(map(_fts_string, _trigrams(w))) + ")" for w in near]
        one_letter = [w for w in starts if len(w) == 1]
        if not terms:
            terms.append("(" + " OR ".join(_fts_string(" " + one_letter[0] + ch) for ch in AFTER_FIRST) + ")")
        starting = "".join(f" AND (client.search_text LIKE :start{i} ESCAPE '\\' OR "
                           f"client.search_text LIKE :inside{i} ESCAPE '\\')" for i in range(len(one_letter)))
        # CROSS JOIN: the index first, then each client by id. Left to itself (no statistics) SQLite would rather
        # go through every held client of the site and ask the index about each.
        statement = text(
            "SELECT client.id, client.search_text FROM client_fts CROSS JOIN client ON client.id = client_fts.rowid"
            " WHERE client_fts MATCH :fts AND client.site_id = :site AND client.status IN :statuses" + starting
            # bm25 puts first the texts that share the most (and the rarest) trigrams with the misspelt words.
            + (" ORDER BY bm25(client_fts)" if near else "") + " LIMIT :wanted")
        return statement.bindparams(
            bindparam("statuses", [s.value for s in self.statuses], expanding=True), fts=" AND ".join(terms),
            site=self.site_id, wanted=self.wanted,
            **{f"start{i}": _like_escaped(w) + "%" for i, w in enumerate(one_letter)},
            **{f"inside{i}": "% " + _like_escaped(w) + "%" for i, w in enumerate(one_letter)})

    def _postgresql(self, contains: Sequence[str], starts: Sequence[str], near: Sequence[str]) -> Select:
        statement = select(Client.id, Client.search_text).where(
            *self.where, *(_like("%" + _like_escaped(w) + "%") for w in contains), *map(_word_start, starts),
            # word_similarity over PG_WORD_SIMILARITY: the word is close to some stretch of the text (the index
            # serves it).
            *(literal(w).op("<%", is_comparison=True)(Client.search_text) for w in near))
        return statement

    async def prepare_near(self) -> None:
        if not self.sqlite:
            # For this transaction only (is_local): the session is the caller's, its other queries keep the default.
            await self.session.execute(
                select(func.set_config("pg_trgm.word_similarity_threshold", PG_WORD_SIMILARITY, True)))
