"""Alembic environment: runs migrations on the connection `gateway.journal.migrate` hands it."""
from alembic import context

from gateway.journal.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
