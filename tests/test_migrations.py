"""Alembic migrations: old databases upgrade with their rows, and the tables match the code."""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from werkzeug.security import generate_password_hash

from kmsearch.store import accesslog, connect, km, roster
from kmsearch.store.migration import alembic_config, current, head

FIXTURES = Path(__file__).parent / "fixtures"
VERSIONS = Path(__file__).parents[1] / "kmsearch" / "store" / "migrations" / "versions"


def _old_database(path: Path, version: int = 3) -> str:
    """A database as the pre-Alembic code made it (see fixtures/kmsearch-v3.sql)."""
    db = sqlite3.connect(path)
    db.executescript((FIXTURES / "kmsearch-v3.sql").read_text(encoding="utf-8"))
    if version == 2:  # version 2 had every table but documents_seen (identical definitions)
        db.executescript("DROP TABLE documents_seen; DELETE FROM schema_version WHERE version = 3;")
    db.close()
    return f"sqlite:///{path}"


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_version_3_database_upgrades_to_head_keeping_its_rows(tmp_path):
    url = _old_database(tmp_path / "kmsearch.db")
    engine = connect(url)
    with engine.begin() as conn:
        assert current(conn) == head()
        assert roster.authenticate(conn, "somsri", "password-1")["full_name"] == "สมศรี ใจดี"
        assert roster.get_by_username(conn, "prasit")["end_date"] == date(2025, 3, 31)
        assert accesslog.count(conn) == 3 and accesslog.count(conn, "download") == 1
        assert [r["doc_id"] for r in km.documents_seen_rows(conn)] == ["guide-tax"]
        [session] = km.sessions_between(conn, date(2025, 1, 1), date(2025, 1, 31))
        assert session["attendance"] == 12
        # New rows go on after the old ones (the primary keys kept their sequence).
        new_id = roster.add(conn, "malee", "มาลี", "กองช่าง", password="password-2")
        assert new_id == 3
    # Alembic's alembic_version replaced the old bookkeeping table.
    assert "schema_version" not in _tables(engine) and "alembic_version" in _tables(engine)
    with engine.connect() as conn:
        command.check(alembic_config(connection=conn))  # raises if tables and code differ
    engine.dispose()


def test_version_2_database_gets_the_documents_seen_table(tmp_path):
    engine = connect(_old_database(tmp_path / "kmsearch.db", version=2))
    assert "documents_seen" in _tables(engine)
    with engine.begin() as conn:
        assert accesslog.count(conn) == 3
        assert km.documents_seen_rows(conn) == []
        command.check(alembic_config(connection=conn))
    engine.dispose()


def test_fresh_database_matches_the_table_definitions(database_url):
    """`alembic check`: the revisions build exactly the tables kmsearch.store declares."""
    engine = connect(database_url)
    with engine.connect() as conn:
        assert current(conn) == head()
        command.check(alembic_config(connection=conn))
    engine.dispose()


def test_connecting_again_changes_nothing(database_url):
    connect(database_url).dispose()
    engine = connect(database_url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(head(),)]
    engine.dispose()


def test_newer_old_style_database_is_refused_clearly(tmp_path):
    url = _old_database(tmp_path / "kmsearch.db")
    db = sqlite3.connect(tmp_path / "kmsearch.db")
    db.execute("INSERT INTO schema_version VALUES (4, '2027-01-01 00:00:00')")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="schema_version 4 is newer than this kmsearch"):
        connect(url)


def test_revisions_write_their_ddl_out():
    """A revision must build the same tables next year: it may not use today's Table objects."""
    revisions = sorted(VERSIONS.glob("0*.py"))
    assert len(revisions) >= 4
    for path in revisions:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module in ("alembic", "sqlalchemy"), (path.name, node.module)
            elif isinstance(node, ast.Import):
                assert all(a.name == "sqlalchemy" for a in node.names), path.name


def test_servers_starting_together_migrate_one_at_a_time(database_url):
    """Issue 12 item 15: two servers started at once on a fresh database both come up.

    Without the migration lock one of them died creating a table the other had just made
    (a UniqueViolation on pg_type_typname_nsp_index on PostgreSQL).
    """
    code = (
        "import sys, time\n"
        "from kmsearch.store import connect\n"
        "while time.time() < float(sys.argv[2]): pass\n"  # start together
        "connect(sys.argv[1]).dispose()\n"
    )
    start_at = str(time.time() + 2.0)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, database_url, start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, "\n".join(outputs)
    engine = connect(database_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
            (head(),)
        ]
    engine.dispose()


def test_old_style_database_with_rows_upgrades_on_either_backend(database_url):
    """An old-mechanism database on PostgreSQL too (the README offered it before Alembic).

    Revisions 0001-0003 build the same tables the old steps 1-3 did (same definitions), so
    running them and writing the old bookkeeping table in place of Alembic's makes one."""
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "0003")
        conn.execute(sa.text("DROP TABLE alembic_version"))
        conn.execute(sa.text(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        ))
        conn.execute(sa.text(
            "INSERT INTO schema_version VALUES (1, '2026-01-01'), (2, '2026-01-01'), (3, '2026-02-01')"
        ))
        # Rows written as the old code wrote them (today's functions know newer columns).
        conn.execute(sa.text(
            "INSERT INTO staff (id, username, full_name, division, position, role, "
            "password_hash, active, start_date, created_at) VALUES (7, 'somsri', 'สมศรี ใจดี', "
            "'กองคลัง', '', 'staff', :hash, :active, '2024-10-01', '2024-10-01 08:00:00')"
        ), {"hash": generate_password_hash("password-1"), "active": True})
        conn.execute(sa.text(
            "INSERT INTO access_log (at, staff_id, audience, action, query, results) "
            "VALUES ('2025-01-05 03:00:00', 7, 'staff', 'search', 'ภาษี', 2)"
        ))
        somsri = 7
    engine.dispose()

    engine = connect(database_url)
    with engine.begin() as conn:
        assert current(conn) == head()
        assert roster.authenticate(conn, "somsri", "password-1")["id"] == somsri
        assert accesslog.count(conn, "search") == 1
        command.check(alembic_config(connection=conn))
    assert "schema_version" not in _tables(engine)
    engine.dispose()
