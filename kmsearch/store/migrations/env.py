"""Alembic environment: kmsearch passes its own connection (see kmsearch.store.migration).

Run through `kmsearch.store.migration.upgrade` (which holds the migration lock) rather than the
alembic command line; `alembic_config(url)` gives a Config for `alembic check` and friends.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from kmsearch.store import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
if config.config_file_name is not None:
    # The alembic command line (alembic.ini at the repository root) follows kmsearch's setting.
    url = os.environ.get("KMSEARCH_DATABASE_URL") or url


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()
