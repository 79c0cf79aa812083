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


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def _connections_of(pid: int, port: int) -> int:
    """Established TCP connections to port that process pid holds (/proc/net/tcp by inode)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                held += 1
    return held


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_keep_alive_clients_are_shared_evenly_between_the_processes(served_home):  # noqa: F811
    """Eight keep-alive connections end four and four: a process accepts only while it holds
    no more connections than the other (workers.Shares), not whichever was quicker."""
    import http.client

    from kmsearch.web.server import THREADS

    server = Server(served_home, {"KMSEARCH_SERVER_PROCESSES": "2"})
    conns: list = []
    try:
        serving = _children(server.proc.pid)
        deadline = time.monotonic() + 30
        while min(_threads(p) for p in serving) <= THREADS and time.monotonic() < deadline:
            time.sleep(0.1)  # both processes serving: each runs waitress's THREADS threads
        time.sleep(0.5)
        for _ in range(8):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", "/healthz")
            assert conn.getresponse().read() == b"ok\n"
            conns.append(conn)
        held = sorted(_connections_of(p, server.port) for p in serving)
        assert held == [4, 4], held
    finally:
        for conn in conns:
            conn.close()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0, server.log.read_text()


def test_a_process_accepts_while_it_holds_no_more_connections_than_the_others():
    from kmsearch.web.workers import Shares

    shares = Shares(3)
    a, b, c = shares.slot(0), shares.slot(1), shares.slot(2)
    assert a.may_accept(0) and b.may_accept(0) and c.may_accept(0)
    assert not a.may_accept(1)  # b and c hold none
    assert not b.may_accept(1)  # c holds none
    assert c.may_accept(1)  # everyone holds one now
    assert a.may_accept(1) and b.may_accept(1)
    assert not a.may_accept(2)
    # A process that stopped refreshing its slot (hung, or gone) no longer holds others back.
    b.may_accept(2)
    shares.seen[2] = time.monotonic() - Shares.STALE - 1
    assert a.may_accept(2)
    # A process started again in that place begins with an empty slot, not yet counted.
    shares.slot(2)
    assert shares.counts[2] == 0 and shares.seen[2] == 0.0
    assert a.may_accept(2)
