"""Bring a database's schema up to date with Alembic, one process at a time.

The revisions live in kmsearch/store/migrations/versions. Two servers started together on
a fresh database must not both create the tables (one died with a UniqueViolation on
PostgreSQL), so the upgrade runs under a database-wide lock: pg_advisory_lock on
PostgreSQL, an exclusive lock on a file next to the database on SQLite.

Databases made before Alembic carry a schema_version table (steps 1-3 of the old
mechanism); they are stamped at the matching revision first, then upgraded like any other.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

# Any fixed 64-bit number, the same in every kmsearch process: the advisory lock's name.
PG_LOCK_KEY = 0x6B6D_7365_6172_6368 >> 1  # "kmsearch", shifted into a positive bigint

# The old mechanism's schema_version N equals revision "000N" here.
LEGACY_REVISIONS = {1: "0001", 2: "0002", 3: "0003"}


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic Config for kmsearch's migrations (for tests, `check`, offline SQL)."""
    cfg = Config()
    cfg.set_main_option("script_location", "kmsearch.store:migrations")
    if url:
        # ConfigParser interpolation would read % in a password as a reference.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    """The newest revision (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(conn: Connection) -> str | None:
    """The revision a database is at, None for an empty or pre-Alembic one."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Upgrade the database to the newest revision; return that revision."""
    with _migration_lock(engine) as conn:
        if current(conn) == head():
            conn.commit()
            return head()
        _adopt_legacy(conn)
        conn.commit()
        command.upgrade(alembic_config(connection=conn), "head")
        conn.commit()
        return current(conn)


def _adopt_legacy(conn: Connection) -> None:
    """Stamp a database of the old mechanism at the revision its schema_version names."""
    inspector = sa.inspect(conn)
    if inspector.has_table("alembic_version") or not inspector.has_table("schema_version"):
        return
    version = conn.execute(sa.text("SELECT MAX(version) FROM schema_version")).scalar()
    if not version:
        return  # the old first step never completed: nothing to keep, build from scratch
    if version not in LEGACY_REVISIONS:
        raise RuntimeError(
            f"database schema_version {version} is newer than this kmsearch knows "
            f"(it knows 1-{max(LEGACY_REVISIONS)}); upgrade kmsearch"
        )
    command.stamp(alembic_config(connection=conn), LEGACY_REVISIONS[version])


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection holding the database-wide migration lock until the block ends."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()  # a failed migration leaves the transaction aborted
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                conn.commit()
        elif engine.dialect.name == "sqlite" and (database := engine.url.database) not in (
            None,
            "",
            ":memory:",
        ):
            # A separate lock file: flock/close on the database file itself would drop
            # SQLite's own POSIX locks held by this process.
            with open(Path(database).with_name(Path(database).name + ".migrate-lock"), "a") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                try:
                    yield conn
                finally:
                    fcntl.flock(f, fcntl.LOCK_UN)
        else:
            yield conn
