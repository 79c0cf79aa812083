"""Settings are checked at start-up with a message naming the variable; `kmsearch settings`."""

from __future__ import annotations

import pytest

from kmsearch.cli import main
from kmsearch.home import SETTINGS, Home, SettingsError

BAD = [
    ("KMSEARCH_LOG_RETENTION_DAYS", "three years", "whole number from 1"),
    ("KMSEARCH_LOG_RETENTION_DAYS", "0", "whole number from 1"),
    ("KMSEARCH_SECURE_COOKIES", "yes", "must be 0 or 1"),
    ("KMSEARCH_TRUSTED_PROXIES", "-1", "whole number from 0 to 10"),
    ("KMSEARCH_SECRET_KEY", "abc", "at least 16 characters"),
    ("KMSEARCH_DATABASE_URL", "mysql://db/kmsearch", "sqlite or postgresql"),
    ("KMSEARCH_DATABASE_URL", "not a url", "not a database URL"),
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for setting in SETTINGS.values():
        monkeypatch.delenv(setting.env, raising=False)


@pytest.mark.parametrize("env, value, message", BAD)
def test_web_app_refuses_to_start_naming_the_setting(tmp_path, monkeypatch, env, value, message):
    from kmsearch.web import create_app

    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError, match=f"{env}=.*{message}"):
        create_app(Home(tmp_path / "home"))


@pytest.mark.parametrize("env, value, message", BAD)
def test_cli_command_exits_1_naming_the_setting(runner, tmp_path, monkeypatch, env, value, message):
    monkeypatch.setenv(env, value)
    result = runner.invoke(main, ["--home", str(tmp_path / "home"), "staff", "list"])
    assert result.exit_code == 1
    assert env in result.stderr and message in result.stderr and "Traceback" not in result.output


def test_home_that_is_a_file_is_refused(tmp_path, monkeypatch):
    from kmsearch.web import create_app

    (tmp_path / "home").write_text("not a folder")
    monkeypatch.setenv("KMSEARCH_HOME", str(tmp_path / "home"))
    with pytest.raises(SettingsError, match="is a file, not a folder"):
        create_app()


def test_good_settings_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("KMSEARCH_LOG_RETENTION_DAYS", "365")
    monkeypatch.setenv("KMSEARCH_SECURE_COOKIES", "1")
    monkeypatch.setenv("KMSEARCH_TRUSTED_PROXIES", "1")
    monkeypatch.setenv("KMSEARCH_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("KMSEARCH_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    assert Home(tmp_path).problems() == []


def test_settings_command_lists_each_setting_with_its_help_and_value(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("KMSEARCH_LOG_RETENTION_DAYS", "400")
    monkeypatch.setenv("KMSEARCH_SECRET_KEY", "a-very-secret-key-value")
    monkeypatch.setenv("KMSEARCH_DATABASE_URL", "postgresql+psycopg://km:pass-word@db/km")
    result = runner.invoke(main, ["--home", str(tmp_path / "home"), "settings"])
    assert result.exit_code == 0, result.output
    for setting in SETTINGS.values():
        assert f"{setting.env} = " in result.stdout
        assert setting.help in result.stdout
    assert "KMSEARCH_LOG_RETENTION_DAYS = '400'" in result.stdout
    assert f"KMSEARCH_HOME = '{tmp_path / 'home'}'" in result.stdout
    # Secrets are not printed.
    assert "a-very-secret-key-value" not in result.stdout and "pass-word" not in result.stdout
    assert "postgresql+psycopg://km:***@db/km" in result.stdout


def test_settings_command_shows_what_is_wrong(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("KMSEARCH_SECURE_COOKIES", "true")
    result = runner.invoke(main, ["--home", str(tmp_path / "home"), "settings"])
    assert result.exit_code == 1
    assert "KMSEARCH_SECURE_COOKIES = 'true'" in result.stdout
    assert "error: KMSEARCH_SECURE_COOKIES='true' must be 0 or 1" in result.stderr


def test_servers_starting_together_on_one_home_share_one_secret_key(tmp_path):
    """Two servers on one home: a cookie signed by one must be accepted by the other."""
    import subprocess
    import sys
    import time

    code = (
        "import sys, time\n"
        "from kmsearch.home import Home\n"
        "while time.time() < float(sys.argv[2]): pass\n"
        "print(Home(sys.argv[1]).secret_key())\n"
    )
    start_at = str(time.time() + 1.5)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "home"), start_at],
                         stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    keys = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert [p.name for p in (tmp_path / "home").iterdir()] == ["secret_key"]


def test_a_key_written_meanwhile_by_another_server_is_kept(tmp_path, monkeypatch):
    """The race above, made certain: another process wrote the key just after this one looked."""
    from pathlib import Path

    home = Home(tmp_path / "home").ensure()
    (home.path / "secret_key").write_text("k" * 64)
    real_exists = Path.exists
    monkeypatch.setattr(
        Path, "exists", lambda p: False if p.name == "secret_key" else real_exists(p)
    )
    assert home.secret_key() == "k" * 64
    assert (home.path / "secret_key").read_text() == "k" * 64
