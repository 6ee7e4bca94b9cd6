"""Alembic environment: runs on the connection that backend.core.migrate hands over."""
from __future__ import annotations

from alembic import context

from backend.clients.search import outside_models
from backend.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `accueil migrate`, which provides the database connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
    # The client search index (FTS5 tables, a trigram index) is made by its migration, not by the models.
    include_name=lambda name, type_, parents: not outside_models(name),
)
with context.begin_transaction():
    context.run_migrations()
