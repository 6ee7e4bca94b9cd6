"""Finding clients while typing: accents, case and small typos set aside; phones in any layout; numbers exactly;
merged and erased records never, inactive ones on request. Every test runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import delete, text

from backend.appkeys import utc_now
from backend.clients import service
from backend.clients.models import Client
from backend.clients.schemas import ClientIn
from backend.clients.search import query_words, search_clients
from backend.core.db import Database
from backend.core.migrate import alembic_config, upgrade
from backend.organisation.models import Site
from shared.enums import ClientStatus
from tests.backend.conftest import Backend, backend  # noqa: F401  (the fixture)

# Near neighbours of Hélène Côté, so that finding her means ranking, not luck.
PEOPLE = [
    {"given_name": "Hélène", "family_name": "Côté", "phone": "514 555 0123", "email": "helene@example.org",
     "number": "P-0042"},
    {"given_name": "Hélène", "family_name": "Tremblay", "phone": "438 555 0199"},
    {"given_name": "Marc", "family_name": "Côté-Gagnon", "email": "marc2025@example.org"},
    {"given_name": "Helena", "family_name": "Costa"},
    {"given_name": "Jean", "family_name": "Tremblay", "number": "2025"},
    {"given_name": "Mary", "family_name": "O'Brien", "tags": ["VIP"]},
    {"given_name": "Alexandre", "family_name": "Fraser"},
]


async def add(backend: Backend, **fields) -> int:
    async with backend.database.write() as session:
        site = await session.get(Site, backend.world.site_id)
        at = utc_now()
        values = await service.checked_values(session, site, ClientIn(**fields), at.date())
        return (await service.create_client(session, site, values, None, "api", at)).id


async def set_status(backend: Backend, client_id: int, status: ClientStatus) -> None:
    async with backend.database.write() as session:
        (await session.get(Client, client_id)).status = status


@pytest.fixture
async def people(backend: Backend) -> dict[str, int]:
    ids = {}
    for person in PEOPLE:
        ids[f"{person['given_name']} {person['family_name']}"] = await add(backend, **person)
    return ids


async def names(backend: Backend, query: str, **options) -> list[str]:
    async with backend.database.read() as session:
        found = await search_clients(session, backend.world.site_id, query, **options)
    return [f"{client.given_name} {client.family_name}" for client, _score in found]


async def api(backend: Backend, who: str = "reception", **params):
    return await backend.client.get("/api/clients", params=params, headers=backend.auth(who))


@pytest.mark.parametrize("query", ["helene cote", "côté hél", "Helen Cote", "HÉLÈNE CÔTÉ", "cote helene"])
async def test_done_when_queries_find_helene_cote_first(backend: Backend, people, query: str):
    assert (await names(backend, query))[0] == "Hélène Côté"
    response = await api(backend, q=query)
    assert response.status == 200
    assert (await response.json())["items"][0]["display_name"] == "Hélène Côté"


@pytest.mark.parametrize("query, first", [("helene cotte", "Hélène Côté"), ("Hlène Côté", "Hélène Côté"),
                                           ("tremblai jean", "Jean Tremblay"), ("jean tremblya", "Jean Tremblay"),
                                           ("obrien", "Mary O'Brien"), ("Alxeandre Fraser", "Alexandre Fraser")])
async def test_small_typos_are_forgiven(backend: Backend, people, query: str, first: str):
    found = await names(backend, query)
    assert found and found[0] == first


async def test_unrelated_text_finds_nobody(backend: Backend, people):
    assert await names(backend, "zyxw qvjk") == []
    assert await names(backend, "hélène zorglub") == []


@pytest.mark.parametrize("query", ["h", "hé", "hél", "hélène c", "hélène cô", "c hél"])
async def test_results_while_typing(backend: Backend, people, query: str):
    assert "Hélène Côté" in await names(backend, query)


async def test_one_letter_finds_the_words_it_starts(backend: Backend, people):
    assert await names(backend, "o") == ["Mary O'Brien"]
    assert await names(backend, "x") == []
    assert set(await names(backend, "j")) == {"Jean Tremblay"}


@pytest.mark.parametrize("query", ['"', '"cote', "%", "_", "a_b", "50%", "\\", "NEAR(cote", "cote*", "c:ote", "-", "'"])
async def test_query_syntax_is_only_text(backend: Backend, people, query: str):
    response = await api(backend, q=query)
    assert response.status == 200
    assert "%" not in query or (await response.json())["items"] == []


async def test_a_word_being_typed_matches_the_start_of_a_word(backend: Backend, people):
    # "ta" is inside "costa" but starts no word of hers: Helena Costa is not what "helen ta" means.
    assert await names(backend, "hélène tr") == ["Hélène Tremblay"]
    assert await names(backend, "helen ta") == []


async def test_exact_words_rank_before_words_that_only_start_with_it(backend: Backend, people):
    assert await names(backend, "cote") == ["Hélène Côté", "Marc Côté-Gagnon"]
    assert set(await names(backend, "helen")) == {"Helena Costa", "Hélène Côté", "Hélène Tremblay"}


@pytest.mark.parametrize("query", ["514 555 0123", "5145550123", "(514) 555-0123", "+1 514-555-0123", "555 0123"])
async def test_phone_numbers_in_any_layout(backend: Backend, people, query: str):
    assert await names(backend, query) == ["Hélène Côté"]


def test_a_phone_number_is_one_word_of_digits():
    assert query_words("+1 (514) 555-0123") == ["15145550123"]
    assert query_words("Côté 514") == ["cote", "514"]


async def test_the_client_with_that_number_comes_first(backend: Backend, people):
    # 2025 is Jean Tremblay's number and part of Marc's email: the number wins.
    assert await names(backend, "2025") == ["Jean Tremblay", "Marc Côté-Gagnon"]
    assert (await names(backend, "P-0042"))[0] == "Hélène Côté"
    assert (await names(backend, "p-0042"))[0] == "Hélène Côté"


async def test_email_and_tags_are_searched(backend: Backend, people):
    assert await names(backend, "helene@example") == ["Hélène Côté"]
    assert await names(backend, "vip") == ["Mary O'Brien"]


async def test_merged_and_erased_clients_are_never_found(backend: Backend, people):
    await set_status(backend, people["Hélène Côté"], ClientStatus.MERGED)
    await set_status(backend, people["Hélène Tremblay"], ClientStatus.ERASED)
    for inactive in (False, True):
        assert await names(backend, "hélène", include_inactive=inactive) == ["Helena Costa"]  # a near spelling
        assert await names(backend, "P-0042", include_inactive=inactive) == []
        assert await names(backend, "helene cote", include_inactive=inactive) == []
        assert "Hélène Côté" not in await names(backend, "", include_inactive=inactive)


async def test_inactive_clients_only_on_request(backend: Backend, people):
    await set_status(backend, people["Hélène Côté"], ClientStatus.INACTIVE)
    assert await names(backend, "helene cote") == []
    assert await names(backend, "helene cote", include_inactive=True) == ["Hélène Côté"]
    response = await api(backend, q="helene cote", inactive="true")
    assert [c["display_name"] for c in (await response.json())["items"]] == ["Hélène Côté"]


async def test_the_index_follows_changes_and_deletions(backend: Backend, people):
    client_id = people["Hélène Côté"]
    response = await backend.client.patch(f"/api/clients/{client_id}", json={"family_name": "Bérubé"},
                                          headers=backend.auth("reception"))
    assert response.status == 200
    assert await names(backend, "helene berube") == ["Hélène Bérubé"]
    assert "Hélène Bérubé" not in await names(backend, "côté")
    async with backend.database.write() as session:
        await session.execute(delete(Client).where(Client.id == client_id))
    assert await names(backend, "berube") == []
    if backend.database.is_sqlite:
        async with backend.database.write() as session:  # raises when the FTS5 index and its table disagree
            await session.execute(text("INSERT INTO client_fts(client_fts, rank) VALUES ('integrity-check', 1)"))


async def test_no_query_lists_the_most_recently_updated(backend: Backend, people):
    async with backend.database.write() as session:
        (await session.get(Client, people["Mary O'Brien"])).updated_at = utc_now() + dt.timedelta(minutes=5)
    response = await api(backend, limit="2")
    items = (await response.json())["items"]
    assert response.status == 200
    assert len(items) == 2 and items[0]["display_name"] == "Mary O'Brien"
    assert len((await (await api(backend, q="  ")).json())["items"]) == len(PEOPLE)


async def test_limit(backend: Backend, people):
    assert len((await (await api(backend, q="h", limit="1")).json())["items"]) == 1


@pytest.mark.parametrize("params, field", [({"q": "x", "name": "y"}, "name"), ({"limit": "0"}, "limit"),
                                           ({"limit": "101"}, "limit"), ({"limit": "ten"}, "limit"),
                                           ({"q": "x" * 201}, "q"), ({"inactive": "maybe"}, "inactive")])
async def test_bad_filters_are_422(backend: Backend, params: dict, field: str):
    response = await api(backend, **params)
    assert response.status == 422
    assert field in [problem["field"] for problem in (await response.json())["errors"]]


async def test_who_may_search(backend: Backend, people):
    assert (await backend.client.get("/api/clients", params={"q": "cote"})).status == 401
    assert (await api(backend, "kiosk_a", q="cote")).status == 403
    for login in ("reception", "admin", "clerk", "billing"):
        assert (await api(backend, login, q="cote")).status == 200, login


async def test_searching_audits_nothing(backend: Backend, people):
    before = await backend.row_counts()
    assert (await api(backend, q="hélène")).status == 200
    assert await backend.row_counts() == before


async def test_the_migration_indexes_the_clients_already_there(settings):
    """0010 on a database that has clients (an upgrade), and back: downgrade, upgrade, still found."""
    database = Database(settings.sqlalchemy_url)

    def downgrade(connection) -> None:
        command.downgrade(alembic_config(connection), "0009")

    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(downgrade)
        try:
            async with database.write() as session:
                site = Site(name="Clinique", address="", country="CA")
                session.add(site)
                await session.flush()
                at = utc_now()
                values = await service.checked_values(session, site, ClientIn(given_name="Hélène", family_name="Côté"),
                                                      at.date())
                await service.create_client(session, site, values, None, "import", at)
        finally:
            await upgrade(database)
        async with database.read() as session:
            assert [c.family_name for c, _ in await search_clients(session, site.id, "cote hel")] == ["Côté"]
            assert [c.family_name for c, _ in await search_clients(session, site.id, "Helen Cotte")] == ["Côté"]
    finally:
        await database.dispose()
