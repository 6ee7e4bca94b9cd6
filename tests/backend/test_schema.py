"""The schema that migrations build from an empty database is exactly the one the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from backend.clients.search import outside_models
from backend.core.db import Database
from backend.core.migrate import alembic_config
from backend.models import Base
from backend.settings import Settings


async def test_migrated_schema_equals_models(settings: Settings):
    database = Database(settings.sqlalchemy_url)
    try:
        async with database.engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={
                    "compare_type": True,
                    # The search index (FTS5 tables, a trigram index) is made by its migration, not the models.
                    "include_name": lambda name, type_, parents: not outside_models(name)}), Base.metadata))
            revision = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await database.dispose()
    assert diff == []
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_one_migration_chain():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1
