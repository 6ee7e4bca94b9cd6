"""Alembic environment: runs on the connection that backend.core.migrate hands over."""
from __future__ import annotations

from alembic import context

from backend.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `accueil migrate`, which provides the database connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
