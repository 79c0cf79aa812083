"""The home folder: where every file the service writes lives, and the settings read from it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "var"


class SettingsError(ValueError):
    """A setting's value cannot be used; the message names its environment variable."""


def _whole_number(low: int, high: int) -> Callable[[str], None]:
    def check(value: str) -> None:
        if not value.strip().isdigit() or not low <= int(value) <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")

    return check


def _positive_seconds(value: str) -> None:
    try:
        ok = float(value) > 0
    except ValueError:
        ok = False
    if not ok:
        raise ValueError("must be a number of seconds above 0")


def _flag(value: str) -> None:
    if value not in ("0", "1"):
        raise ValueError("must be 0 or 1")


def _secret(value: str) -> None:
    if len(value) < 16:
        raise ValueError("must be at least 16 characters (it signs the session cookies)")


def _database_url(value: str) -> None:
    import sqlalchemy as sa

    try:
        url = sa.make_url(value)
    except Exception:
        raise ValueError("is not a database URL (e.g. postgresql+psycopg://user@host/db)") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"names {backend!r}; kmsearch runs on sqlite or postgresql")
    if backend == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ValueError(
                "is a PostgreSQL URL but psycopg is not installed: pip install 'kmsearch[postgres]'"
            ) from None


@dataclass(frozen=True)
class Setting:
    """One setting declared once: its environment variable, default, meaning and check.

    `check` raises ValueError with what is wrong; it runs at start-up (Home.validate)."""

    env: str
    default: str | None
    help: str
    check: Callable[[str], None] | None = None


SETTINGS = {
    "home": Setting("KMSEARCH_HOME", DEFAULT_HOME, "folder holding the index, database and files"),
    "database_url": Setting(
        "KMSEARCH_DATABASE_URL",
        None,
        "SQLAlchemy URL; default: SQLite file kmsearch.db in the home",
        _database_url,
    ),
    "secret_key": Setting(
        "KMSEARCH_SECRET_KEY", None, "Flask secret key; default: generated once into the home", _secret
    ),
    "log_retention_days": Setting(
        "KMSEARCH_LOG_RETENTION_DAYS",
        "1095",
        "days access-log rows are kept (PDPA minimisation)",
        _whole_number(1, 36500),
    ),
    "secure_cookies": Setting(
        "KMSEARCH_SECURE_COOKIES", "0", "1 to mark session cookies Secure (behind HTTPS)", _flag
    ),
    "trusted_proxies": Setting(
        "KMSEARCH_TRUSTED_PROXIES",
        "0",
        "reverse proxies in front of the server (client address)",
        _whole_number(0, 10),
    ),
    "proxy_address": Setting(
        "KMSEARCH_PROXY_ADDRESS", "127.0.0.1", "address the trusted proxy connects from ('*': any)"
    ),
    "server_processes": Setting(
        "KMSEARCH_SERVER_PROCESSES",
        None,
        "processes `kmsearch serve` answers with (not set: one per CPU core, at most 4)",
        _whole_number(1, 16),
    ),
    "ocr_budget": Setting(
        "KMSEARCH_OCR_BUDGET",
        "900",
        "seconds of OCR allowed per scanned file in an index run",
        _positive_seconds,
    ),
}


def shown_value(name: str, value: str | None) -> str:
    """A setting's value as it may be printed: the secret key and a URL's password hidden."""
    if value is None:
        return "(not set)"
    if name == "secret_key":
        return "(set, hidden)"
    if name == "database_url" and "@" in value:
        import sqlalchemy as sa

        try:
            return repr(sa.make_url(value).render_as_string(hide_password=True))
        except Exception:
            return "(unreadable URL, hidden)"
    return repr(value)


class Home:
    """Paths and settings of one kmsearch home; built the same way by the CLI, web and tests."""

    def __init__(self, path: str | os.PathLike | None = None, database_url: str | None = None):
        self.path = Path(path or os.environ.get("KMSEARCH_HOME") or DEFAULT_HOME).resolve()
        self._database_url = database_url

    # --- folders -----------------------------------------------------------------------
    @property
    def indexes_dir(self) -> Path:
        """Folder of index generations; CURRENT names the live one (swapped atomically)."""
        return self.path / "indexes"

    @property
    def files_dir(self) -> Path:
        return self.path / "files"

    @property
    def ocr_cache_dir(self) -> Path:
        """Text of OCR'd pages by file SHA-256: a scan is read once, whatever the index run."""
        return self.path / "ocr-cache"

    @property
    def knowledge_map_path(self) -> Path:
        """Copy of the knowledge map from the last indexed root (the web reads it)."""
        return self.path / "knowledge-map.csv"

    def ensure(self) -> Home:
        """Create the home folder if needed."""
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    # --- settings ----------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        url = self._database_url or os.environ.get("KMSEARCH_DATABASE_URL")
        return url or f"sqlite:///{self.path / 'kmsearch.db'}"

    def setting(self, name: str) -> str | None:
        s = SETTINGS[name]
        return os.environ.get(s.env, s.default)

    def problems(self) -> list[str]:
        """What is wrong with the settings, one line each naming the variable (empty if fine)."""
        found = []
        if self.path.exists() and not self.path.is_dir():
            found.append(f"KMSEARCH_HOME / --home: {self.path} is a file, not a folder")
        for name, s in SETTINGS.items():
            value = self._database_url if name == "database_url" and self._database_url else None
            value = value or self.setting(name)
            if value is None or s.check is None:
                continue
            try:
                s.check(value)
            except ValueError as exc:
                found.append(f"{s.env}={shown_value(name, value)} {exc}")
        return found

    def validate(self) -> Home:
        """Refuse to start with a setting that cannot work (a clear message, not a traceback)."""
        if found := self.problems():
            raise SettingsError("invalid settings:\n  " + "\n  ".join(found))
        return self

    @property
    def ocr_budget(self) -> float:
        value = self.setting("ocr_budget")
        try:
            _positive_seconds(value)
        except ValueError as exc:
            raise SettingsError(f"KMSEARCH_OCR_BUDGET={value!r} {exc}") from None
        return float(value)

    @property
    def server_processes(self) -> int:
        value = self.setting("server_processes")
        return int(value) if value else max(1, min(os.cpu_count() or 1, 4))

    @property
    def log_retention_days(self) -> int:
        return int(self.setting("log_retention_days"))

    def secret_key(self) -> str:
        """The Flask secret key: from the environment, else generated once into the home."""
        key = self.setting("secret_key")
        if key:
            return key
        self.ensure()
        key_file = self.path / "secret_key"
        if not key_file.exists():
            # Two servers started together on one home must end with the same key (else one
            # rejects the other's session cookies): each writes its own temporary file and
            # links it into place; link never replaces, so the first one wins for everybody.
            tmp = key_file.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(tmp, key_file)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return key_file.read_text().strip()
