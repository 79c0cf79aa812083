"""The roster and access-log stores: rules, CSV import errors, privacy of logged rows."""

import threading
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from kmsearch.store import accesslog, connect, roster
from kmsearch.store.accesslog import Access


@pytest.fixture
def engine(database_url):
    """A fresh database, once SQLite and once PostgreSQL (conftest's database_url)."""
    engine = connect(database_url)
    yield engine
    engine.dispose()


def test_add_and_authenticate(engine):
    with engine.begin() as conn:
        staff_id = roster.add(conn, "somsri", "สมศรี ใจดี", "กองคลัง", password="password-1")
        assert roster.authenticate(conn, "somsri", "password-1")["id"] == staff_id
        assert roster.authenticate(conn, "SOMSRI ", "password-1")["id"] == staff_id
        assert roster.authenticate(conn, "somsri", "wrong-password") is None
        assert roster.authenticate(conn, "nobody", "password-1") is None
        person = roster.get(conn, staff_id)
    assert "password_hash" not in person and person["has_password"]


def test_password_is_hashed(engine):
    with engine.begin() as conn:
        roster.add(conn, "somsri", "สมศรี", "กองคลัง", password="password-1")
        stored = roster.get_by_username(conn, "somsri", with_hash=True)["password_hash"]
    assert "password-1" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(username="Bad Name"), "username"),
        (dict(role="boss"), "role must be one of"),
        (dict(password="short"), "at least 8"),
        (dict(full_name=" "), "full name is required"),
        (dict(start_date=date(2025, 1, 2), end_date=date(2025, 1, 1)), "before start"),
    ],
)
def test_add_rejects(engine, kwargs, message):
    values = dict(username="somsri", full_name="สมศรี", division="กองคลัง", password="password-1")
    values.update(kwargs)
    with engine.begin() as conn, pytest.raises(roster.RosterError, match=message):
        roster.add(conn, **values)


def test_duplicate_username(engine):
    with engine.begin() as conn:
        roster.add(conn, "somsri", "สมศรี", "กองคลัง")
        with pytest.raises(roster.RosterError, match="already exists"):
            roster.add(conn, "somsri", "อื่น", "กองช่าง")


def test_roster_dates_are_read_as_thai_offices_write_them():
    """An HR system exports B.E. dates: read as the same day (thaidate), as document metadata
    and the KM commands read them; a contract's end may lie years ahead."""
    assert roster.parse_date("2568-01-01", "start date") == date(2025, 1, 1)
    assert roster.parse_date("1 ต.ค. 2568", "start date") == date(2025, 10, 1)
    assert roster.parse_date("๒๕๖๘-๑๐-๐๑", "start date") == date(2025, 10, 1)
    assert roster.parse_date("2024-10-01", "start date") == date(2024, 10, 1)
    far = date.today().year + 3 + 543
    assert roster.parse_date(f"{far}-09-30", "end date").year == far - 543
    with pytest.raises(roster.RosterError, match=r"^end date: cannot read '31/13/2568'"):
        roster.parse_date("31/13/2568", "end date")
    with pytest.raises(roster.RosterError, match=r"^start date: .*before B\.E\. 2400"):
        roster.parse_date("1800-01-01", "start date")


def test_deactivated_or_ended_staff_cannot_sign_in(engine):
    with engine.begin() as conn:
        roster.add(conn, "aa", "ก", "กองคลัง", start_date=date(2020, 1, 1), password="password-1")
        roster.add(conn, "bb", "ข", "กองคลัง", start_date=date(2020, 1, 1),
                   end_date=date.today() - timedelta(days=1), password="password-1")
        roster.deactivate(conn, "aa")
        assert roster.authenticate(conn, "aa", "password-1") is None
        assert roster.authenticate(conn, "bb", "password-1") is None
        assert roster.get_by_username(conn, "aa")["end_date"] == date.today()


def test_roster_only_entry_cannot_sign_in(engine):
    with engine.begin() as conn:
        roster.add(conn, "somsri", "สมศรี", "กองคลัง")
        assert roster.authenticate(conn, "somsri", "") is None


CSV_HEADER = "username,full_name,division,position,role,start_date,end_date\n"


def test_import_adds_then_updates(engine):
    text = CSV_HEADER + "somsri,สมศรี,กองคลัง,นักวิชาการ,staff,2020-01-01,\n"
    report = roster.import_csv(engine, "\ufeff" + text)  # with Excel's BOM
    assert (report.added, report.updated, report.errors) == (["somsri"], [], [])
    with engine.begin() as conn:
        roster.set_password(conn, "somsri", "password-1")
    report = roster.import_csv(engine, CSV_HEADER + "somsri,สมศรี,กองช่าง,,admin,2020-01-01,\n")
    assert report.updated == ["somsri"]
    with engine.connect() as conn:
        person = roster.get_by_username(conn, "somsri")
        assert person["division"] == "กองช่าง" and person["role"] == "admin"
        assert roster.authenticate(conn, "somsri", "password-1")  # password kept


def test_import_reports_every_error_by_line_and_writes_nothing(engine):
    text = CSV_HEADER + (
        "somsri,สมศรี,กองคลัง,,staff,2020-01-01,\n"
        "\n"
        "Bad,,กองช่าง,,boss,2568-02-30,\n"  # no 30 February, in B.E. or C.E.
        "somsri,ซ้ำ,กองคลัง,,staff,2020-13-01,2019-01-01\n"
    )
    report = roster.import_csv(engine, text)
    found = {(e.line, e.field) for e in report.errors}
    assert {(4, "username"), (4, "full_name"), (4, "role"), (4, "start_date")} <= found
    assert {(5, "username"), (5, "start_date")} <= found
    assert "line 4, field role" in [str(e) for e in report.errors][2]
    with engine.connect() as conn:
        assert roster.list_staff(conn) == []


def test_import_missing_column(engine):
    report = roster.import_csv(engine, "username,full_name\nsomsri,สมศรี\n")
    assert report.errors and "division" in report.errors[0].field


def test_rate_limit_counts(engine):
    window = timedelta(minutes=15)
    with engine.begin() as conn:
        for _ in range(3):
            roster.record_login_attempt(conn, "somsri", "client-a", success=False)
        roster.record_login_attempt(conn, "other", "client-b", success=False)
        assert roster.recent_failures(conn, "somsri", "client-b", window) == 3
        assert roster.recent_failures(conn, "nobody", "client-a", window) == 3
        # A success resets the username count but not the client count.
        roster.record_login_attempt(conn, "somsri", "client-a", success=True)
        assert roster.recent_failures(conn, "somsri", "client-z", window) == 0
        assert roster.recent_failures(conn, "x", "client-a", window) == 3


def test_client_key_is_not_the_address():
    key = roster.client_key("secret", "203.0.113.9")
    assert "203" not in key and key == roster.client_key("secret", "203.0.113.9")
    assert key != roster.client_key("other-secret", "203.0.113.9")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("เบี้ยยังชีพ 3101234567890", "เบี้ยยังชีพ [เลขประจำตัว]"),
        ("บัตร 1-1017-00123-45-6", "บัตร [เลขประจำตัว]"),
        ("โทร 081-234-5678 ด่วน", "โทร [โทรศัพท์] ด่วน"),
        ("โทร ๐๘๑๒๓๔๕๖๗๘", "โทร [โทรศัพท์]"),
        ("ส่ง somchai@example.com", "ส่ง [อีเมล]"),
        ("ภาษีป้าย 2568", "ภาษีป้าย 2568"),
        ("ระเบียบ พ.ศ. 2562 ข้อ 45", "ระเบียบ พ.ศ. 2562 ข้อ 45"),
    ],
)
def test_redact_personal_identifiers(query, expected):
    assert accesslog.redact(query) == expected


def test_citizen_rows_never_hold_a_staff_id(engine):
    with engine.begin() as conn:
        staff_id = roster.add(conn, "somsri", "สมศรี", "กองคลัง")
        accesslog.record(conn, [Access("search", "public", staff_id=staff_id, query="ภาษี")])
        accesslog.record(conn, [Access("view", "staff", staff_id=staff_id, doc_id="ab" * 8)])
        rows = accesslog.recent(conn)
    assert [r["staff_id"] for r in rows] == [staff_id, None]
    assert "ip" not in " ".join(rows[0].keys())


def test_unknown_action_is_refused():
    with pytest.raises(ValueError):
        Access("delete", "public").row()


def test_purge_keeps_rows_inside_retention(engine):
    now = datetime(2026, 1, 31)
    with engine.begin() as conn:
        accesslog.record(conn, [
            Access("search", "public", query="เก่า", at=now - timedelta(days=31)),
            Access("search", "public", query="ใหม่", at=now - timedelta(days=29)),
        ])
        assert accesslog.purge(conn, 30, now=now) == 1
        assert [r["query"] for r in accesslog.recent(conn)] == ["ใหม่"]


def test_reserved_attempts_hold_the_limit_under_parallel_sign_ins(database_url):
    # Issue 12 item 10: counted after the password check, 40 parallel attempts checked 12
    # passwords. Reserved first, at most `limit` of 40 racing threads (each with its own
    # connection, as two server processes would have) may go on to check a password.
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta

    engine = connect(database_url)
    engine.dispose()
    engine = sa.create_engine(database_url, pool_size=40, max_overflow=0)
    if engine.dialect.name == "sqlite":
        from kmsearch.store import _sqlite_pragmas

        sa.event.listen(engine, "connect", _sqlite_pragmas)
    barrier = threading.Barrier(40)

    def attempt(n):
        with engine.connect() as conn:  # one connection each, opened before the race
            conn.execute(sa.text("SELECT 1"))
            conn.commit()
            barrier.wait()
            with conn.begin():
                return roster.reserve_attempt(conn, "somsri", f"c{n % 3}", timedelta(minutes=15), 5)

    with ThreadPoolExecutor(max_workers=40) as pool:
        reserved = [a for a in pool.map(attempt, range(40)) if a is not None]
    assert len(reserved) == 5
    with engine.begin() as conn:
        roster.settle_attempt(conn, reserved[0], success=True)  # the owner signs in ...
        assert roster.reserve_attempt(conn, "somsri", "c9", timedelta(minutes=15), 5)  # reset
    engine.dispose()
