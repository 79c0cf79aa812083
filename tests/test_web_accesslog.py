"""The access log the KM indicators are computed from: one row per search, view, download;
no personal data for citizens; logging never slows or breaks a page; retention and notice."""

import logging
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import STAFF_TITLE, log_rows

from kmsearch.engine.schema import doc_id_for
from kmsearch.store import accesslog
from kmsearch.store.accesslog import Access


@pytest.fixture
def home(home, database_url, request):
    """The test home, its database once SQLite and once PostgreSQL."""
    if not database_url.startswith("postgresql"):
        return home  # its own kmsearch.db, which the lock tests open directly
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("holds a SQLite file lock")
    from kmsearch.home import Home

    return Home(home.path, database_url=database_url)


def _id(corpus_dir, rel):
    return doc_id_for(str((corpus_dir / rel).resolve()))


def test_citizen_search_row(app, client):
    client.get("/?q=เบี้ยยังชีพ")
    [row] = log_rows(app)
    assert row["action"] == "search" and row["audience"] == "public"
    assert row["staff_id"] is None and row["query"] == "เบี้ยยังชีพ" and row["results"] >= 1
    assert abs(row["at"] - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=30)


def test_staff_search_view_download_rows(app, staff_client, corpus_dir):
    doc = _id(corpus_dir, "กองคลัง/ภาษีป้าย-คู่มือ.md")
    staff_client.get("/?q=ภาษีป้าย")
    staff_client.get(f"/doc/{doc}")
    with staff_client.get(f"/doc/{doc}/download"):
        pass
    total = staff_client.get("/api/search?q=ภาษีป้าย&page=1").get_json()["total"]
    rows = log_rows(app)
    assert [r["action"] for r in rows] == ["search", "view", "download", "search"]
    assert {r["audience"] for r in rows} == {"staff"}
    assert len({r["staff_id"] for r in rows}) == 1 and rows[0]["staff_id"] is not None
    assert rows[1]["doc_id"] == doc and rows[1]["doc_title"] == STAFF_TITLE
    assert rows[0]["results"] == rows[3]["results"] == total


def test_citizen_view_and_download_rows(app, client, corpus_dir):
    doc = _id(corpus_dir, "สำนักปลัด/เบี้ยยังชีพ.md")
    client.get(f"/doc/{doc}")
    with client.get(f"/doc/{doc}/download"):
        pass
    rows = log_rows(app)
    assert [(r["action"], r["doc_id"], r["staff_id"]) for r in rows] == [
        ("view", doc, None), ("download", doc, None)]


def test_what_is_not_logged(app, client, corpus_dir):
    hidden = _id(corpus_dir, "กองคลัง/ภาษีป้าย-คู่มือ.md")
    for path in ("/", "/?q=", "/browse/", "/browse/division/กองคลัง", "/privacy", "/healthz",
                 "/login", f"/doc/{hidden}", f"/doc/{hidden}/download", "/doc/0123456789abcdef",
                 "/api/search?q="):
        client.get(path)
    assert log_rows(app) == []


def test_personal_data_typed_into_the_box_is_masked(app, client):
    client.get("/?q=เบี้ยยังชีพ 3101234567890 โทร 0812345678")
    [row] = log_rows(app)
    assert row["query"] == "เบี้ยยังชีพ [เลขประจำตัว] โทร [โทรศัพท์]"


def test_failed_log_write_is_logged_not_shown(app, client, monkeypatch, caplog):
    def broken(conn, rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(accesslog, "record", broken)
    monkeypatch.setattr("kmsearch.web.recorder.time.sleep", lambda s: None)
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = client.get("/?q=เบี้ยยังชีพ")
        assert response.status_code == 200 and "disk full" not in response.get_data(as_text=True)
        assert app.extensions["kmsearch"].recorder.flush(10)
    assert "could not write 1 row" in caplog.text
    assert app.extensions["kmsearch"].recorder.failed == 1


def test_full_queue_drops_with_an_error_not_a_failure(app, client, caplog):
    recorder = app.extensions["kmsearch"].recorder
    recorder._queue.maxsize = 1
    blocker = threading.Event()
    original = recorder._write
    recorder._write = lambda rows: (blocker.wait(10), original(rows))
    try:
        with caplog.at_level(logging.ERROR, logger=app.logger.name):
            for _ in range(4):
                assert client.get("/?q=ภาษี").status_code == 200
        assert "queue full" in caplog.text
    finally:
        blocker.set()
        recorder.flush(10)


@pytest.mark.sqlite_only
def test_locked_database_does_not_slow_the_search(app, client, home):
    """A long write transaction elsewhere (a report, a backup) holds the writer, not the page."""
    client.get("/?q=ภาษี")  # warm up the searcher
    assert app.extensions["kmsearch"].recorder.flush(10)
    blocker = sqlite3.connect(home.path / "kmsearch.db", timeout=30)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        start = time.monotonic()
        assert client.get("/?q=เบี้ยยังชีพ").status_code == 200
        assert time.monotonic() - start < 2.0
        assert not app.extensions["kmsearch"].recorder.flush(0.5)  # row is waiting on the lock
    finally:
        blocker.rollback()
        blocker.close()
    assert [r["query"] for r in log_rows(app)] == ["ภาษี", "เบี้ยยังชีพ"]


def test_rows_queued_at_shutdown_are_written(home):
    from kmsearch.web import create_app

    app = create_app(home, {"TESTING": True})
    client = app.test_client()
    for _ in range(20):
        client.get("/?q=ภาษี")
    app.extensions["kmsearch"].close()  # what `kmsearch serve` does on SIGTERM / Ctrl-C
    engine = app.extensions["kmsearch"].engine
    with engine.connect() as conn:
        assert accesslog.count(conn, "search") == 20
    engine.dispose()


def test_retention_purge_at_start_up(home, monkeypatch):
    from kmsearch.web import create_app

    from kmsearch.store import connect

    monkeypatch.setenv("KMSEARCH_LOG_RETENTION_DAYS", "30")
    engine = connect(home.database_url)
    with engine.begin() as conn:
        accesslog.record(conn, [
            Access("search", "public", query="เก่า", at=datetime.now() - timedelta(days=31)),
            Access("search", "public", query="ใหม่"),
        ])
    engine.dispose()
    app = create_app(home, {"TESTING": True})
    try:
        assert [r["query"] for r in log_rows(app)] == ["ใหม่"]
    finally:
        app.extensions["kmsearch"].close()


@pytest.mark.parametrize("days, shown", [("1095", "1095 วัน (ประมาณ 3 ปี)"), ("90", "90 วัน")])
def test_privacy_notice(home, monkeypatch, days, shown):
    from kmsearch.web import create_app

    monkeypatch.setenv("KMSEARCH_LOG_RETENTION_DAYS", days)
    app = create_app(home, {"TESTING": True})
    try:
        html = app.test_client().get("/privacy").get_data(as_text=True)
    finally:
        app.extensions["kmsearch"].close()
    assert "พระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. ๒๕๖๒" in html
    assert "๙.๑-๔" in html and shown in html
    assert "ไม่บันทึก" in html and "IP" in html
    assert "เจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคล" in html  # who to contact


def test_privacy_notice_is_linked_from_every_page(client):
    for path in ("/", "/browse/", "/login"):
        assert 'href="/privacy"' in client.get(path).get_data(as_text=True)


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """SQLite gives up waiting for a lock after 0.1 s (30 s in service), so a test can hold a
    lock many times longer than the timeout without taking minutes."""
    import kmsearch.store

    monkeypatch.setattr(kmsearch.store, "SQLITE_BUSY_TIMEOUT_MS", 100)


@pytest.mark.sqlite_only
def test_a_lock_held_far_past_the_busy_timeout_loses_no_row(home, short_busy_timeout):
    """Issue 12 item 17: a write lock held 75 s (a backup) lost an access-log row."""
    from kmsearch.web import create_app

    app = create_app(home, {"TESTING": True})
    client = app.test_client()
    recorder = app.extensions["kmsearch"].recorder
    client.get("/?q=ภาษี")
    assert recorder.flush(10)
    blocker = sqlite3.connect(home.path / "kmsearch.db")
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for text in ("เบี้ยยังชีพ", "ภาษีป้าย", "ก่อสร้าง"):
            assert client.get("/", query_string={"q": text}).status_code == 200
        # 30 busy timeouts: the writer has failed many times and keeps its rows.
        assert not recorder.flush(3.0)
    finally:
        blocker.rollback()
        blocker.close()
    assert [r["query"] for r in log_rows(app)] == ["ภาษี", "เบี้ยยังชีพ", "ภาษีป้าย", "ก่อสร้าง"]
    assert recorder.failed == 0
    app.extensions["kmsearch"].close()


@pytest.mark.sqlite_only
def test_sign_in_while_the_database_is_locked_answers_503_in_thai(home, short_busy_timeout):
    """Issue 12 item 17: a sign-in under a lock answered 500 "database is locked"."""
    from conftest import PASSWORD, csrf_token
    from kmsearch.web import create_app

    from kmsearch.store import roster

    app = create_app(home, {"TESTING": True})
    with app.extensions["kmsearch"].engine.begin() as conn:
        roster.add(conn, "somsri", "สมศรี ใจดี", "กองคลัง", password=PASSWORD)
    client = app.test_client()
    data = {"username": "somsri", "password": PASSWORD, "csrf_token": csrf_token(client)}
    blocker = sqlite3.connect(home.path / "kmsearch.db")
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = client.post("/login", data=data)
        api = client.get("/api/search?q=ภาษี")  # a citizen search needs no write: still fine
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "ระบบไม่ว่างชั่วคราว" in page and "ลองใหม่" in page and "locked" not in page
    assert api.status_code == 200
    # Once the lock is gone the same sign-in works.
    assert client.post("/login", data=data).status_code == 302
    app.extensions["kmsearch"].close()
