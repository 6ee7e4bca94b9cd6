"""client search index

Search reads client.search_text (folded names, number, email, phone digits, tags) by substring, so each database
gets a trigram index over it; neither is described by the models (SQLAlchemy cannot), which is why the schema test
and autogenerate must leave these objects alone (backend.clients.search.SEARCH_INDEX_OBJECTS).

- SQLite: a contentless FTS5 table with the trigram tokenizer (the text stays in client alone), kept in step by
  triggers. It indexes ' ' || search_text || ' ': the space makes the start of every word, the first one
  included, a trigram of its own (" he"), so two letters being typed are found through the index too. The text
  indexed differs from the column, so the index cannot be rebuilt with FTS5's 'rebuild': empty it with
  'delete-all' and insert again as below. A later migration that rebuilds the client table in batch mode (copy,
  drop, rename) drops these triggers with it, ids kept: it must create them again (TRIGGERS).
- PostgreSQL: a GIN trigram index (pg_trgm), which serves LIKE '%word%', word starts and word_similarity.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Contentless: a row is removed from the index by giving back, with 'delete', exactly the text it was indexed with.
TRIGGERS = (
    """CREATE TRIGGER client_fts_ai AFTER INSERT ON client BEGIN
         INSERT INTO client_fts(rowid, search_text) VALUES (new.id, ' ' || new.search_text || ' ');
       END""",
    """CREATE TRIGGER client_fts_ad AFTER DELETE ON client BEGIN
         INSERT INTO client_fts(client_fts, rowid, search_text) VALUES ('delete', old.id,
                                                                   ' ' || old.search_text || ' ');
       END""",
    # Only when search_text is written: the other fields change far more often and are not indexed.
    """CREATE TRIGGER client_fts_au AFTER UPDATE OF search_text ON client BEGIN
         INSERT INTO client_fts(client_fts, rowid, search_text) VALUES ('delete', old.id,
                                                                   ' ' || old.search_text || ' ');
         INSERT INTO client_fts(rowid, search_text) VALUES (new.id, ' ' || new.search_text || ' ');
       END""",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE client_fts USING fts5(search_text, content='', tokenize='trigram')")
        for trigger in TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO client_fts(rowid, search_text) SELECT id, ' ' || search_text || ' ' FROM client")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_client_search_text_trgm ON client USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("client_fts_ai", "client_fts_ad", "client_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS client_fts")
    else:
        # The extension stays: other objects may use it, and creating it needs more rights than dropping an index.
        op.execute("DROP INDEX IF EXISTS ix_client_search_text_trgm")
