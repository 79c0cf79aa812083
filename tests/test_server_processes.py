"""`kmsearch serve` with several processes (web/workers.py): one listening socket, every
process answering, none losing an access-log row when stopped, a dead one replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_server_abuse import Server, request, served_home  # noqa: F401  (fixture)

from kmsearch.home import Home


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return sorted(found)


def _cpu_ticks(pid: int) -> int:
    """User + system CPU time of pid, in clock ticks (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _searches(port: int, n: int) -> Counter:
    paths = ["/?q=" + urllib.parse.quote(w) for w in ("ภาษีป้าย", "เบี้ยยังชีพ", "ขยะ")]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: request(port, "GET", paths[i % 3])[0], range(n)))
    return Counter(statuses)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_two_processes_answer_and_stop_without_losing_a_logged_search(served_home):  # noqa: F811
    server = Server(served_home, {"KMSEARCH_SERVER_PROCESSES": "2"})
    try:
        serving = _children(server.proc.pid)
        assert len(serving) == 2, serving
        before = [_cpu_ticks(p) for p in serving]
        assert _searches(server.port, 60) == Counter({200: 60})
        # Both processes answered some of them: each spent CPU time on the searches.
        spent = [_cpu_ticks(p) - b for p, b in zip(serving, before, strict=True)]
        print(f"\nCPU ticks spent by each serving process on 60 searches: {spent}")
        assert all(s > 0 for s in spent), spent
    finally:
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()
    engine = sa.create_engine(Home(served_home).database_url)
    with engine.connect() as conn:
        logged = conn.execute(sa.text("SELECT COUNT(*) FROM access_log WHERE action = 'search'")).scalar()
    engine.dispose()
    assert logged == 60


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_serving_process_that_dies_is_replaced(served_home):  # noqa: F811
    server = Server(served_home, {"KMSEARCH_SERVER_PROCESSES": "2"})
    try:
        first = _children(server.proc.pid)
        time.sleep(5.5)  # past the start-up window in which a death stops everything
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _children(server.proc.pid)
            if len(now) == 2 and first[0] not in now:
                break
            time.sleep(0.2)
        assert len(now) == 2 and first[0] not in now, (first, now)
        assert _searches(server.port, 12) == Counter({200: 12})
    finally:
        server.stop()
    assert server.proc.returncode == 0


def test_a_wrong_process_count_is_refused_by_name(served_home):  # noqa: F811
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMSEARCH_")}
    env.update(KMSEARCH_HOME=str(served_home), KMSEARCH_SERVER_PROCESSES="0")
    done = subprocess.run([sys.executable, "-c", "from kmsearch.cli import main; main()", "serve"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "KMSEARCH_SERVER_PROCESSES" in done.stderr and "1 to 16" in done.stderr
