"""Two `kmsearch serve` processes sharing one home and one PostgreSQL database, under load:
every answered search, view and download is logged exactly once (issue 10)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from conftest import STAFF_ONLY_WORD

from kmsearch.engine.schema import doc_id_for

QUERIES = ["เบี้ยยังชีพ", "ภาษีป้าย", "ภาษีที่ดิน", "ขออนุญาตก่อสร้าง", "แผนพัฒนา", "ภาษี",
           STAFF_ONLY_WORD, "ไม่มีคำนี้ในคลัง"]
PUBLIC_DOCS = ["สำนักปลัด/เบี้ยยังชีพ.md", "กองคลัง/ภาษีป้าย-ประชาชน.md", "กองคลัง/ภาษีที่ดิน.md"]
REQUESTS = 240  # bounded: a few seconds of two cores, loopback only
CLIENTS = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_two_servers_log_exactly_one_row_per_answered_request(
    postgres_url, indexed_home_template, corpus_dir, tmp_path
):
    home = tmp_path / "home"
    shutil.copytree(indexed_home_template, home)
    env = {**os.environ, "KMSEARCH_HOME": str(home), "KMSEARCH_DATABASE_URL": postgres_url,
           "KMSEARCH_SECRET_KEY": "two-servers-one-secret-key-0123456789"}
    ports = [_free_port(), _free_port()]
    # Started together on an empty database: they also race to create the tables.
    servers = [
        subprocess.Popen(
            [sys.executable, "-c", "from kmsearch.cli import main; main()", "serve",
             "--port", str(port)],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for port in ports
    ]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 60
        for base in bases:
            while True:
                try:
                    if _get(base + "/healthz") == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "a server did not start"
                assert all(s.poll() is None for s in servers), "a server died at start-up"
                time.sleep(0.1)

        # A mix of what citizens do: search pages, the JSON API, document pages, downloads.
        docs = [doc_id_for(str((corpus_dir / rel).resolve())) for rel in PUBLIC_DOCS]
        plan = []
        for i in range(REQUESTS):
            base = bases[i % 2]
            kind = ("search", "api", "view", "download")[i % 4]
            if kind == "search":
                path = "/?q=" + urllib.parse.quote(QUERIES[i % len(QUERIES)])
            elif kind == "api":
                path = "/api/search?q=" + urllib.parse.quote(QUERIES[(i // 4) % len(QUERIES)])
            elif kind == "view":
                path = f"/doc/{docs[i % len(docs)]}"
            else:
                path = f"/doc/{docs[i % len(docs)]}/download"
            plan.append(("search" if kind == "api" else kind, base + path))
        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(lambda item: _get(item[1]), plan))
        answered = Counter(action for (action, _u), status in zip(plan, statuses, strict=True)
                           if status == 200)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)  # each writes its queued rows, then exits
        errors = [server.communicate(timeout=60)[1] for server in servers]
    assert [s.returncode for s in servers] == [0, 0], errors
    assert not any("Traceback" in e for e in errors), errors

    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        logged = Counter(dict(conn.execute(
            sa.text("SELECT action, COUNT(*) FROM access_log GROUP BY action")).all()))
        audiences = conn.execute(sa.text("SELECT DISTINCT audience FROM access_log")).all()
    engine.dispose()
    print(f"\ntwo servers, one PostgreSQL database: {sum(answered.values())} of {REQUESTS} "
          f"requests answered {dict(answered)}; rows logged {dict(logged)}")
    assert sum(answered.values()) >= REQUESTS * 0.95, Counter(statuses)
    assert logged == answered
    assert audiences == [("public",)]
