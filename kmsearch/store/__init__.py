"""The SQL store: table definitions, and connect() which brings a database up to date.

All SQL of kmsearch lives in this package (one module per area), always through
SQLAlchemy Core with bound parameters. A schema change is a new Alembic revision in
migrations/versions (its DDL written out literally, batch mode for SQLite) together with
the matching change to the tables below; tests/test_migrations.py checks they agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

# Staff roster. A person is counted in a fiscal year when [start_date, end_date] overlaps it.
staff = sa.Table(
    "staff",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("division", sa.String(200), nullable=False),
    sa.Column("position", sa.String(200), nullable=False, server_default=""),
    sa.Column("role", sa.String(16), nullable=False, server_default="staff"),  # staff|committee|admin
    sa.Column("password_hash", sa.String(300), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # Bumped by sign-out, a password change and deactivation: older session cookies stop working.
    sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
)

# One row per search, document view or download. Citizens' rows carry no personal data:
# staff_id is NULL and no IP address is stored.
access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),  # UTC, naive
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=True, index=True),
    sa.Column("audience", sa.String(8), nullable=False),  # staff|public
    sa.Column("action", sa.String(16), nullable=False),  # search|view|download
    sa.Column("query", sa.Text, nullable=True),
    sa.Column("results", sa.Integer, nullable=True),
    sa.Column("doc_id", sa.String(64), nullable=True),
    sa.Column("doc_title", sa.Text, nullable=True),
)

# Sign-in attempts, for rate limiting. The client address is kept only as a keyed hash.
login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
)

# Plan item 9.1-1: announcements of the KM plan and who acknowledged them.
announcements = sa.Table(
    "announcements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("published_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("staff.id"), nullable=True),
)

acknowledgements = sa.Table(
    "acknowledgements",
    metadata,
    sa.Column("announcement_id", sa.Integer, sa.ForeignKey("announcements.id"), primary_key=True),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
)

# Plan item 9.1-2: knowledge-sharing sessions.
sharing_sessions = sa.Table(
    "sharing_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("held_on", sa.Date, nullable=False, index=True),
    sa.Column("topic", sa.String(300), nullable=False),
    sa.Column("division", sa.String(200), nullable=False, server_default=""),
    sa.Column("attendance", sa.Integer, nullable=False, server_default="0"),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
)

# Plan item 9.2-1: channels publishing knowledge to citizens (the citizen portal counts too).
public_channels = sa.Table(
    "public_channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("url", sa.String(500), nullable=False, server_default=""),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("ended_on", sa.Date, nullable=True),
)

# Plan item 9.3-1: when kmsearch first saw each document, with the `updated` date it had
# then, so a manual revised later still counts in the year it was first published.
documents_seen = sa.Table(
    "documents_seen",
    metadata,
    sa.Column("doc_id", sa.String(64), primary_key=True),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("doc_type", sa.String(32), nullable=False, server_default=""),
    sa.Column("audience", sa.String(8), nullable=False, server_default="staff"),
    sa.Column("division", sa.String(200), nullable=False, server_default=""),
    sa.Column("first_updated", sa.Date, nullable=True),
    sa.Column("first_seen_at", sa.DateTime, nullable=False),
)


# How long a statement waits for another connection's write lock before "database is locked"
# (the web answers that with a 503 page; the access-log writer retries).
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL keeps readers off the writer's back; FULL sync so a crash loses no logged access."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
    cur.close()


def connect(url: str) -> Engine:
    """Open the database at url and bring its schema up to date."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    parsed = sa.make_url(url)
    if parsed.drivername == "postgresql":
        # SQLAlchemy's default PostgreSQL driver is psycopg2; kmsearch[postgres] installs psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(parsed, future=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def migrate(engine: Engine) -> str:
    """Upgrade the database to the newest Alembic revision (under a lock); return it."""
    from kmsearch.store.migration import upgrade  # Alembic is loaded only when a database is

    return upgrade(engine)
