"""A throw-away PostgreSQL cluster for the tests: initdb into a temporary folder, a free port.

Debian's `postgresql` package provides the programs (scripts/test.sh installs it when run
as root). PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres`
user the package creates. KMSEARCH_TEST_POSTGRES_URL names an existing server instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class Unavailable(Exception):
    """PostgreSQL cannot be used here; the message says why (the tests' skip reason)."""


def _program(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps the server programs out of PATH, one folder per major version.
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not versions:
        raise Unavailable(f"{name} not found (install Debian's postgresql package)")
    return versions[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One PostgreSQL server in a temporary folder, reachable on 127.0.0.1 with trust auth."""

    def __init__(self) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise Unavailable("psycopg not installed (pip install 'kmsearch[postgres]')") from exc
        self.initdb = _program("initdb")
        self.pg_ctl = _program("pg_ctl")
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise Unavailable("running as root and there is no postgres user") from exc
            self.user = "postgres"
        self.dir = Path(tempfile.mkdtemp(prefix="kmsearch-pg-"))
        self.port = _free_port()

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            args, user=self.user, capture_output=True, text=True, timeout=120, cwd=self.dir
        )
        if result.returncode:
            log = self.dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise Unavailable(f"{Path(args[0]).name} failed: {result.stderr.strip()} {tail}")

    def start(self) -> str:
        """Start the server; return an admin URL for SQLAlchemy."""
        if self.user:
            os.chown(self.dir, pwd.getpwnam(self.user).pw_uid, -1)
        data = self.dir / "data"
        self._run(self.initdb, "-D", str(data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-locale")
        # A test server: no durability needed, so skip the fsyncs; the socket stays in our folder.
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run(self.pg_ctl, "-D", str(data), "-o", options, "-l",
                  str(self.dir / "server.log"), "-w", "-t", "60", "start")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        except Unavailable:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
