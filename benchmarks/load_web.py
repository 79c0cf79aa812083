"""Load benchmark of the web front end (not a test): the real server, concurrent clients.

Starts `kmsearch serve` (waitress, 8 threads) on 127.0.0.1 over a fresh home with the
bundled corpus indexed, then runs CLIENTS threads with keep-alive http.client connections
for SECONDS against /healthz (a baseline that touches neither index nor database) and
then for SECONDS against Thai searches on the search page; half the clients are signed-in
staff, half citizens. It prints requests/s, p50/p95 latency and non-2xx responses for both,
then stops the server as systemd would (SIGTERM) and compares the access-log rows with the
searches that were answered: they must be equal (no row lost, none invented).

    .venv/bin/python benchmarks/load_web.py                 # 60 s per phase, 8 clients
    .venv/bin/python benchmarks/load_web.py --seconds 5     # a quick run

Traffic goes to the loopback address only, and every loop is bounded by time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PASSWORD = "load-test-password"

# What citizens and staff type: questions, short keywords, an English-layout slip, a typo.
QUERIES = [
    "เบี้ยยังชีพผู้สูงอายุ", "ต้องใช้เอกสารอะไรบ้างในการขอรับเบี้ยยังชีพ", "ภาษีป้าย",
    "ภาษีที่ดินและสิ่งปลูกสร้าง", "ขออนุญาตก่อสร้างอาคาร", "เบี้ยความพิการ", "ค่าธรรมเนียมขยะ",
    "ร้องเรียน", "ข้อมูลข่าวสารของราชการ", "แผนพัฒนาท้องถิ่น", "จัดซื้อจัดจ้าง", "e-LAAS",
    "ราคากลางงานก่อสร้าง", "ภาษีบำรุงท้องที่", "4kKuxhkp", "ภาษีโรงเรือน", "ผู้ป่วยเอดส์",
    "ชำระภาษีป้ายที่ไหน", "แผนดำเนินงาน", "การเขียนโครงการ",
]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    non_2xx: int = 0
    errors: int = 0
    ok_searches: int = 0
    last_error: str = ""
    failures: list[str] = field(default_factory=list)  # connection errors, answers >= 400 but 404


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def kmsearch(*args: str) -> list[str]:
    return [sys.executable, "-c", "from kmsearch.cli import main; main()", *args]


def prepare_home(home: Path, staff: int) -> None:
    """Index the bundled corpus and add the staff accounts the signed-in clients use."""
    subprocess.run(kmsearch("--home", str(home), "index", str(REPO / "corpus")), check=True,
                   stdout=subprocess.DEVNULL)
    for n in range(staff):
        subprocess.run(
            kmsearch("--home", str(home), "staff", "add", f"load{n}", "--name", f"ทดสอบ {n}",
                     "--division", "กองคลัง", "--password", PASSWORD),
            check=True, stdout=subprocess.DEVNULL,
        )


def start_server(home: Path, port: int, log: Path) -> subprocess.Popen:
    # Output goes to a file: a pipe nobody reads fills up and then blocks the server's
    # logging (waitress warns about queue depth under load), freezing every request.
    with log.open("wb") as out:
        proc = subprocess.Popen(
            kmsearch("--home", str(home), "serve", "--host", HOST, "--port", str(port)),
            stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise SystemExit("server did not start:\n" + log.read_text())


def sign_in(conn: http.client.HTTPConnection, username: str) -> str:
    """Sign in through the real form (CSRF token and all); return the session cookie."""
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                   "csrf_token": token})
    conn.request("POST", "/login", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in of {username} failed: HTTP {response.status}")
    return response.getheader("Set-Cookie").split(";")[0]


def sign_in_half(port: int, clients: int, prefix: str) -> list[str | None]:
    """A session cookie for every second client (staff PREFIX0, PREFIX1, ...), None for the
    others (citizens)."""
    cookies: list[str | None] = []
    for i in range(clients):
        if i % 2:
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            cookies.append(sign_in(conn, f"{prefix}{i // 2}"))
            conn.close()
        else:
            cookies.append(None)
    return cookies


def client(port: int, paths: list[str], cookie: str | None, stats: Stats, stop,
           searching: bool = False, limit: int | None = None) -> None:
    """One client: requests back to back on a keep-alive connection until stop() says so
    (or after limit requests). Also the client loop of bench_scale.py."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    n = 0
    while not stop() and (limit is None or n < limit):
        path = paths[n % len(paths)]
        n += 1
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as e:
            stats.errors += 1
            stats.last_error = repr(e)
            stats.failures.append(repr(e))
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        stats.latencies.append(time.perf_counter() - start)
        if not 200 <= response.status < 300:
            stats.non_2xx += 1
            if response.status >= 400 and response.status != 404:
                stats.failures.append(f"HTTP {response.status} {path}")
        elif searching:
            stats.ok_searches += 1
    conn.close()


def run_phase(port: int, clients: int, seconds: float, paths: list[str],
              cookies: list[str | None], searching: bool) -> tuple[list[Stats], float]:
    until = time.monotonic() + seconds
    stats = [Stats() for _ in range(clients)]
    threads = [
        threading.Thread(target=client, args=(port, paths[i:] + paths[:i], cookies[i], stats[i],
                                              lambda: time.monotonic() >= until, searching))
        for i in range(clients)
    ]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats, time.monotonic() - start


def summary(name: str, stats: list[Stats], elapsed: float) -> str:
    latencies = sorted(x for s in stats for x in s.latencies)
    errors = [s.last_error for s in stats if s.last_error]
    if not latencies:
        return f"{name:<10} no responses; last error: {errors[:1]}"
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    non_2xx = sum(s.non_2xx for s in stats)
    errors = sum(s.errors for s in stats)
    return (f"{name:<10} {len(latencies):>8} {len(latencies) / elapsed:>10.1f} "
            f"{q[49] * 1000:>9.1f} {q[94] * 1000:>9.1f} {non_2xx:>8} {errors:>7}")


def count_search_rows(home: Path) -> int:
    os.environ["KMSEARCH_HOME"] = str(home)
    from kmsearch.home import Home
    from kmsearch.store import accesslog, connect

    engine = connect(Home(home).database_url)
    with engine.connect() as conn:
        count = accesslog.count(conn, "search")
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (>= 8)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kmsearch-load-") as tmp:
        home = Path(tmp) / "home"
        staff = args.clients // 2
        prepare_home(home, staff)
        port = free_port()
        log = Path(tmp) / "server.log"
        server = start_server(home, port, log)
        try:
            cookies = sign_in_half(port, args.clients, "load")
            search_paths = ["/?" + urllib.parse.urlencode({"q": q}) for q in QUERIES]
            print(f"server: kmsearch serve (waitress, a process per core, 8 threads each) on {HOST}:{port}; "
                  f"{args.clients} clients ({staff} signed-in staff), {args.seconds:g} s per phase")
            base, base_t = run_phase(port, args.clients, args.seconds, ["/healthz"], cookies,
                                     searching=False)
            found, found_t = run_phase(port, args.clients, args.seconds, search_paths, cookies,
                                       searching=True)
        finally:
            server.send_signal(signal.SIGTERM)  # flushes queued access-log rows, then exits
            server.wait(timeout=60)
        output = log.read_text()
        if server.returncode != 0:
            print(output)
        warnings = output.count("Task queue depth")
        if warnings:
            print(f"server: waitress warned {warnings} time(s) that all its threads were busy")
        print(f"{'endpoint':<10} {'requests':>8} {'req/s':>10} {'p50 ms':>9} {'p95 ms':>9} "
              f"{'non-2xx':>8} {'errors':>7}")
        print(summary("/healthz", base, base_t))
        print(summary("search", found, found_t))
        answered = sum(s.ok_searches for s in found)
        rows = count_search_rows(home)
        verdict = "OK" if rows == answered else "MISMATCH"
        print(f"access log: {rows} search rows for {answered} searches answered: {verdict}")
        if rows != answered:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
