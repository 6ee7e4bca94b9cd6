"""Client search latency over 1,000,000 generated Québec clients, on SQLite and on PostgreSQL.

Generates plausible clients (French and English names, accents, compound family names, phones, emails, file
numbers), loads them into a database migrated to 0009, then migrates to head, which builds the search index over
them (as an upgrade of a real installation would), and times backend.clients.search.search_clients — the function
behind GET /api/clients — over ~200 queries of each kind. SQLite is a file in a temporary folder; PostgreSQL a
database of its own on ACCUEIL_TEST_DATABASE_URL's server, created and dropped.

    .venv/bin/python bench/clients_search.py [--clients N] [--queries N] [--only sqlite|postgresql]

"found" is how often the client the query was made from is among the 20 results: for a two-letter prefix of a
common name among a million clients it is not expected to be.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from backend.clients.models import Client
from backend.clients.search import search_clients
from backend.clients.service import search_text
from backend.core.db import Database
from backend.core.migrate import upgrade
from backend.organisation.models import Site
from shared.fields import folded

PG_URL = os.environ.get("ACCUEIL_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BATCH = 20_000
GIVEN = ("Marie Jean Pierre Louise Hélène Gabrielle Léa Chloé Émilie Noémie Zoé Béatrice Cécile Geneviève Mélanie "
         "Valérie Stéphanie Josée Nathalie Sylvie Francine Ginette Réjeanne Thérèse Andrée Renée Élise Maëlle "
         "Anaïs Océane Rosalie Florence Camille Juliette Sophie Isabelle Catherine Julie Annie Karine Amélie "
         "Marie-Ève Marie-Claude Anne-Marie Jacques André François Michel Luc Marc Denis Réal Gaétan Gérard "
         "Rémi Benoît Stéphane Sébastien Frédéric Jérôme Mathieu Félix Émile Léo Thomas William Olivier Nathan "
         "Samuel Gabriel Raphaël Antoine Alexandre Étienne Guillaume Maxime Philippe Yves Réjean Normand Ghislain "
         "Jean-François Jean-Philippe Pierre-Luc Marc-André Noël Joël Loïc Zacharie Éloïse Maude Laurence "
         "John Michael David James Robert William Patrick Sean Kevin Brian Mary Jennifer Sarah Emily Jessica "
         "Elizabeth Margaret Helen Karen Susan Linda Ashley Megan Olivia Emma Liam Noah Ethan Owen Ryan Connor "
         "Aidan Siobhan Fiona Eileen Bridget Colleen").split()
FAMILY = ("Tremblay Gagnon Roy Côté Bouchard Gauthier Morin Lavoie Fortin Gagné Ouellet Pelletier Bélanger Lévesque "
          "Bergeron Leblanc Paquette Girard Simard Boucher Caron Beaulieu Cloutier Dubé Poirier Fournier Lapointe "
          "Leclerc Lefebvre Poulin Thibault St-Pierre Nadeau Martin Landry Martel Bédard Grenier Lessard Bernier "
          "Richard Michaud Hébert Desjardins Couture Turcotte Lachance Parent Blais Gosselin Savard Proulx "
          "Beaudoin Demers Perreault Boudreau Lemieux Cyr Perron Dufour Dion Mercier Bolduc Bérubé Boisvert "
          "Langlois Ménard Laplante Duchesne Bélisle Lacroix Deschênes Thériault Lemay Charbonneau Villeneuve "
          "Vaillancourt Brassard Rousseau Desrosiers Labrecque Huot Lévêque Chénier Paré Goulet Séguin Dagenais "
          "Jolicœur Lamothe Fréchette Brisebois Grégoire Trudeau Laflamme Drouin Chrétien Auclair Béland Gervais "
          "Marchand Archambault Forget Allard Daigle Plante Gingras Lalonde Gélinas Rhéaume Têtu Lépine Houle "
          "Smith Johnson Brown Wilson MacDonald Campbell Stewart O'Brien Murphy Kelly Taylor Anderson Thompson "
          "Fraser Robertson McLean Ross Scott Walsh Ryan O'Neill Sullivan Byrne Doyle Kennedy Lynch Murray Reid "
          "Nguyen Tran Li Wang Chen Haddad Khoury Nasser Pierre-Louis Jean-Baptiste Joseph Alexis Rossi Ferrari "
          "Russo Costa Santos Silva Ferreira Pereira").split()
# The long tail of family names: 1,600 more, built from French-sounding parts (Beauchemin, Desrier, Lécourt…).
TAIL = [a + b for a in ("Beau Bel Bon Bour Char Chev Cour Des Du Fon Gau Gi Jo La Lan Le Mal Mar Mon Pa Pel Po Ri "
                        "Ro Sa Tou Van Ver Vil Bé Dé Gré Lé Mé Ré Thé Bro Cha Fré St-Ger").split()
        for b in ("champ chemin lieu mont ville court vert ron lin tin det chard bois rier nier ault eau ette ier gé "
                  "ssé ssier quette noit rand dry gnon meau lière rault tier zon neau pin vé rière lois mard cotte "
                  "nard").split()]
TAIL_SHARE = 0.35
AREA = ("514", "438", "450", "579", "418", "581", "819", "873", "367")
DOMAINS = ("videotron.ca", "gmail.com", "hotmail.com", "outlook.com", "sympatico.ca", "yahoo.ca", "icloud.com")
TAGS = ("vip", "interprète", "allergie", "mobilité réduite", "tuteur légal")
KINDS = ("exact name", "accent-free", "typing prefix", "typo", "phone", "number")
LIMIT = 20


def zipf_weights(count: int, skew: float) -> list[float]:
    # A few very common names (Tremblay, Marie), a long tail: what a Québec client list looks like.
    return [1 / (rank + 1) ** skew for rank in range(count)]


@dataclass
class Person:
    given: str
    family: str
    phone: str
    number: str | None


def people(n: int, seed: int):
    """Batches of client rows (dicts for Client's table) and, alongside, the Person each row is."""
    rng = random.Random(seed)
    given_w, family_w = zipf_weights(len(GIVEN), 0.5), zipf_weights(len(FAMILY), 0.5)
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    numbers = rng.sample(range(1_000_000, 10_000_000), n)
    for start in range(0, n, BATCH):
        rows, persons = [], []
        count = min(BATCH, n - start)
        givens = rng.choices(GIVEN, given_w, k=count)
        families = [rng.choice(TAIL) if rng.random() < TAIL_SHARE else name
                    for name in rng.choices(FAMILY, family_w, k=count * 2)]
        for i in range(count):
            given, family = givens[i], families[2 * i]
            if rng.random() < 0.08 and families[2 * i + 1] != family:
                family = f"{family}-{families[2 * i + 1]}"
            phone = f"+1{rng.choice(AREA)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
            alt = f"+1{rng.choice(AREA)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}" if rng.random() < 0.2 else ""
            email = ""
            if rng.random() < 0.7:
                local = folded(f"{given}.{family}").replace("'", "").replace(" ", "")
                email = f"{local}{rng.randint(1, 99) if rng.random() < 0.5 else ''}@{rng.choice(DOMAINS)}"
            number = f"P{numbers[start + i]}" if rng.random() < 0.8 else None
            tags = [rng.choice(TAGS)] if rng.random() < 0.05 else []
            status = "inactive" if rng.random() < 0.05 else "active"
            values = dict(given_name=given, family_name=family, organisation_name="", number=number, phone=phone,
                          phone_alt=alt, email=email)
            rows.append(dict(values, site_id=1, kind="person", date_of_birth=None, address="", city="Montréal",
                             region="QC", postal_code="", country="CA", notes="", status=status,
                             merged_into_id=None, retain_until=None, created_at=at, updated_at=at,
                             search_text=search_text(SimpleNamespace(**values), tags)))
            persons.append(Person(given, family, phone, number) if status == "active" else None)
        yield rows, persons


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("swap", "drop", "change", "double"))
    if edit == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if edit == "drop":
        return word[:i] + word[i + 1:]
    if edit == "change":
        return word[:i] + rng.choice("aeioubcdlmnrst") + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def queries(sample: list[Person], seed: int) -> dict[str, list[tuple[str, Person]]]:
    rng = random.Random(seed)
    accented = [p for p in sample if folded(p.given + p.family) != (p.given + p.family).lower()] or sample
    out: dict[str, list[tuple[str, Person]]] = {kind: [] for kind in KINDS}
    for p in sample:
        name = f"{p.given} {p.family}"
        out["exact name"].append((name, p))
        typed = name[:rng.randint(2, len(name) - 1)]
        out["typing prefix"].append((typed, p))
        long = max(name.split(), key=len)
        out["typo"].append((name.replace(long, typo(long, rng)), p))
        digits = p.phone[2:]
        out["phone"].append((rng.choice((f"{digits[:3]} {digits[3:6]} {digits[6:]}", digits,
                                          f"({digits[:3]}) {digits[3:6]}-{digits[6:]}")), p))
        if p.number:
            out["number"].append((p.number, p))
    for p in rng.sample(accented, min(len(sample), len(accented))):
        out["accent-free"].append((folded(f"{p.given} {p.family}"), p))
    return out


async def load(url: str, n: int, seed: int, sample_size: int) -> tuple[list[Person], float, float]:
    """The database at `url` migrated, filled; the sample of clients to search for; seconds to load and index."""
    database = Database(url)
    rng = random.Random(seed + 1)
    sample: list[Person] = []
    seen = 0
    try:
        await upgrade(database, "0009")
        async with database.write() as session:
            session.add(Site(name="Clinique Bench", address="1 rue Bench", country="CA"))
        started = time.perf_counter()
        async with database.engine.begin() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            for rows, persons in people(n, seed):
                if database.is_sqlite:
                    await connection.execute(insert(Client.__table__), rows)
                else:
                    columns = list(rows[0])
                    await raw.copy_records_to_table("client", records=[tuple(r[c] for c in columns) for r in rows],
                                                    columns=columns)
                # Reservoir sampling keeps an even sample of the active clients without holding them all.
                for person in persons:
                    if person is None:
                        continue
                    seen += 1
                    if len(sample) < sample_size:
                        sample.append(person)
                    elif (j := rng.randrange(seen)) < sample_size:
                        sample[j] = person
        loaded = time.perf_counter()
        await upgrade(database)  # 0010: the search index, built from the rows already there
        if not database.is_sqlite:
            async with database.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM ANALYZE client"))  # as autovacuum would after a bulk load
        return sample, loaded - started, time.perf_counter() - loaded
    finally:
        await database.dispose()


async def measure(url: str, asked: dict[str, list[tuple[str, Person]]]) -> dict[str, tuple[float, float, float]]:
    database = Database(url)
    results = {}
    try:
        for kind, items in asked.items():
            for query, _person in items[:10]:  # warm the caches and the statement cache
                async with database.read() as session:
                    await search_clients(session, 1, query, limit=LIMIT)
            times, found = [], 0
            for query, person in items:
                started = time.perf_counter()
                async with database.read() as session:
                    hits = await search_clients(session, 1, query, limit=LIMIT)
                times.append((time.perf_counter() - started) * 1000)
                found += any(c.given_name == person.given and c.family_name == person.family
                             and c.phone == person.phone for c, _ in hits)
            times.sort()
            results[kind] = (statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)],
                             100 * found / len(items))
    finally:
        await database.dispose()
    return results


async def admin(statement: str) -> None:
    database = Database(PG_URL)
    try:
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")  # CREATE/DROP DATABASE
            await connection.execute(text(statement))
    finally:
        await database.dispose()


async def run(kind: str, n: int, count: int, seed: int) -> dict[str, tuple[float, float, float]]:
    with tempfile.TemporaryDirectory(prefix="accueil-bench-") as folder:
        name = f"accueil_bench_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(folder) / 'accueil.db'}"
        else:
            await admin(f'CREATE DATABASE "{name}"')
            url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        try:
            sample, load_s, index_s = await load(url, n, seed, count)
            # The load average says whether other work shared the machine while measuring.
            print(f"{kind}: {n:,} clients loaded in {load_s:.0f} s, search index built in {index_s:.0f} s; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
            return await measure(url, queries(sample, seed))
        finally:
            if kind != "sqlite":
                await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000, help="how many clients (default 1,000,000)")
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind (default 200)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", "postgresql"]
    table = {kind: asyncio.run(run(kind, args.clients, args.queries, args.seed)) for kind in kinds}
    print(f"\nsearch_clients, {args.clients:,} clients, {args.queries} queries per kind, {LIMIT} results; ms")
    print(f"{'query':<15}" + "".join(f"{kind + ' median':>19}{'p95':>8}{'found':>7}" for kind in kinds))
    for query_kind in KINDS:
        cells = "".join(f"{table[k][query_kind][0]:>19.1f}{table[k][query_kind][1]:>8.1f}"
                        f"{table[k][query_kind][2]:>6.0f}%" for k in kinds)
        print(f"{query_kind:<15}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
