"""The home folder: where every file the service writes lives, and the settings read from it."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "var"


@dataclass(frozen=True)
class Setting:
    """One setting declared once: its environment variable, default and meaning."""

    env: str
    default: str | None
    help: str


SETTINGS = {
    "home": Setting("KMSEARCH_HOME", DEFAULT_HOME, "folder holding the index, database and files"),
    "database_url": Setting(
        "KMSEARCH_DATABASE_URL", None, "SQLAlchemy URL; default: SQLite file kmsearch.db in the home"
    ),
    "secret_key": Setting(
        "KMSEARCH_SECRET_KEY", None, "Flask secret key; default: generated once into the home"
    ),
    "log_retention_days": Setting(
        "KMSEARCH_LOG_RETENTION_DAYS", "1095", "days access-log rows are kept (PDPA minimisation)"
    ),
    "secure_cookies": Setting(
        "KMSEARCH_SECURE_COOKIES", "0", "1 to mark session cookies Secure (behind HTTPS)"
    ),
    "trusted_proxies": Setting(
        "KMSEARCH_TRUSTED_PROXIES", "0", "reverse proxies in front of the server (client address)"
    ),
}


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
            tmp = key_file.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            os.replace(tmp, key_file)
        return key_file.read_text().strip()
