"""The `staff` and `logs` commands: thin wrappers, clear errors, exit codes."""

import json
from datetime import datetime, timedelta

import pytest

from kmsearch.cli import main
from kmsearch.store import accesslog, connect, roster
from kmsearch.store.accesslog import Access


@pytest.fixture
def cli(runner, tmp_path, monkeypatch, database_url):
    """The CLI on a fresh home whose database is SQLite, then PostgreSQL (KMSEARCH_DATABASE_URL)."""
    monkeypatch.delenv("KMSEARCH_LOG_RETENTION_DAYS", raising=False)
    monkeypatch.setenv("KMSEARCH_DATABASE_URL", database_url)
    home = tmp_path / "home"

    def invoke(*args, input=None):
        return runner.invoke(main, ["--home", str(home), *args], input=input)

    invoke.home = home
    invoke.database_url = database_url
    return invoke


def _staff(cli, username):
    engine = connect(cli.database_url)
    try:
        with engine.connect() as conn:
            return roster.get_by_username(conn, username)
    finally:
        engine.dispose()


def test_first_admin_with_prompted_password(cli):
    result = cli("staff", "add", "admin", "--name", "ผู้ดูแล ระบบ", "--division", "สำนักปลัด",
                 "--role", "admin", "--start-date", "2024-10-01",
                 input="password-1\npassword-1\n")
    assert result.exit_code == 0, result.output
    person = _staff(cli, "admin")
    assert person["role"] == "admin" and person["has_password"]
    assert str(person["start_date"]) == "2024-10-01"


def test_add_with_password_option_and_duplicate(cli):
    args = ["staff", "add", "somsri", "--name", "สมศรี", "--division", "กองคลัง",
            "--password", "password-1"]
    assert cli(*args).exit_code == 0
    result = cli(*args)
    assert result.exit_code == 1 and "already exists" in result.output


def test_add_roster_only(cli):
    result = cli("staff", "add", "somsri", "--name", "สมศรี", "--division", "กองคลัง",
                 "--no-password")
    assert result.exit_code == 0
    assert not _staff(cli, "somsri")["has_password"]


def test_add_reads_a_buddhist_era_date(cli):
    result = cli("staff", "add", "somsri", "--name", "สมศรี", "--division", "กองคลัง",
                 "--start-date", "2568-10-01", "--no-password")
    assert result.exit_code == 0, result.output
    assert str(_staff(cli, "somsri")["start_date"]) == "2025-10-01"


def test_add_refuses_an_unreadable_date_naming_the_option(cli):
    result = cli("staff", "add", "somsri", "--name", "สมศรี", "--division", "กองคลัง",
                 "--start-date", "1 ตค.", "--no-password")
    assert result.exit_code == 2 and "start date" in result.output and "1 ตค." in result.output
    assert _staff(cli, "somsri") is None


def test_import_then_list(cli, tmp_path):
    csv_file = tmp_path / "staff.csv"
    csv_file.write_text(
        "username,full_name,division,position,role,start_date,end_date\n"
        "somsri,สมศรี ใจดี,กองคลัง,นักวิชาการเงินและบัญชี,staff,2020-01-01,\n"
        "somchai,สมชาย รักดี,กองช่าง,นายช่างโยธา,committee,2019-05-01,2025-09-30\n",
        encoding="utf-8",
    )
    result = cli("staff", "import", str(csv_file))
    assert result.exit_code == 0 and "added 2" in result.output
    listed = json.loads(cli("staff", "list", "--json").output)
    assert {p["username"] for p in listed} == {"somsri", "somchai"}
    assert "password_hash" not in listed[0]
    plain = cli("staff", "list").output
    assert "สมศรี ใจดี" in plain and "(no password)" in plain


def test_import_errors_name_line_and_field(cli, tmp_path):
    csv_file = tmp_path / "staff.csv"
    csv_file.write_text(
        "username,full_name,division,position,role,start_date,end_date\n"
        "somsri,สมศรี,กองคลัง,,staff,2020-01-01,\n"
        "somchai,สมชาย,กองช่าง,,chief,2019-05-01,\n",
        encoding="utf-8",
    )
    result = cli("staff", "import", str(csv_file))
    assert result.exit_code == 1
    assert "line 3, field role" in result.output and "nothing was imported" in result.output
    assert _staff(cli, "somsri") is None


def test_deactivate_and_set_password(cli):
    cli("staff", "add", "somsri", "--name", "สมศรี", "--division", "กองคลัง", "--no-password",
        "--start-date", "2020-01-01")
    result = cli("staff", "set-password", "somsri", input="password-2\npassword-2\n")
    assert result.exit_code == 0 and _staff(cli, "somsri")["has_password"]
    result = cli("staff", "set-password", "somsri", input="short\nshort\n")
    assert result.exit_code == 1 and "at least 8" in result.output
    result = cli("staff", "deactivate", "somsri", "--end-date", "2025-09-30")
    assert result.exit_code == 0
    person = _staff(cli, "somsri")
    assert not person["active"] and str(person["end_date"]) == "2025-09-30"


def test_unknown_username(cli):
    for args in (("deactivate", "nobody"), ("set-password", "nobody")):
        result = cli("staff", *args, input="password-1\npassword-1\n")
        assert result.exit_code == 1 and "no staff member" in result.output


def test_logs_purge(cli):
    cli.home.mkdir()
    engine = connect(cli.database_url)
    old = datetime.now() - timedelta(days=40)
    with engine.begin() as conn:
        accesslog.record(conn, [Access("search", "public", query="เก่า", at=old),
                                Access("search", "public", query="ใหม่")])
    result = cli("logs", "purge", "--days", "30")
    assert result.exit_code == 0 and "removed 1" in result.output
    with engine.connect() as conn:
        assert accesslog.count(conn) == 1
    engine.dispose()


def test_staff_commands_have_help(cli):
    for command in ("add", "import", "deactivate", "set-password", "list"):
        result = cli("staff", command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output
