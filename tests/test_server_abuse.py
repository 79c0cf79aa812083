"""The real server under abuse: `kmsearch serve` in a subprocess on 127.0.0.1, raw sockets.

Issue 12 items 2 (idle connections starving everyone), 9 (the proxy setting ignored by the
server), 10 (sign-in attempts not counted atomically, two servers on one database) and 18
(malformed requests answered with nothing). Every loop is bounded; a socket timeout is a
bound on waiting for an answer (far below the two minutes waitress used to keep a client
waiting), not a speed assertion.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import PASSWORD

from kmsearch.home import Home

SEARCH = "/?q=" + urllib.parse.quote("ภาษีป้าย")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ANSWER_WITHIN = 10.0  # seconds; waitress's old idle timeout was 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `kmsearch serve` process over a home; stopped by the fixture that made it."""

    def __init__(self, home: Path, env: dict | None = None):
        self.home = home
        self.port = _free_port()
        self.log = home / f"server-{self.port}.log"  # a file: an unread pipe would block it
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("KMSEARCH_")}
        run_env.update(KMSEARCH_HOME=str(home), **(env or {}))
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from kmsearch.cli import main; main()",
                 "serve", "--port", str(self.port)],
                env=run_env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                if request(self.port, "GET", "/healthz", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("server did not start: " + self.log.read_text())
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def request(port, method, path, headers=None, body=None, timeout=ANSWER_WITHIN, source="127.0.0.1"):
    """(status, headers, text) of one request on a fresh connection from a chosen address."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0))  # fmt: skip
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def raw(port: int, data: bytes, half_close: bool = False, timeout=ANSWER_WITHIN) -> bytes:
    """Send raw bytes (even if the server stops reading), then read whatever answer comes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                answer += chunk
        return answer


@pytest.fixture
def served_home(tmp_path, indexed_home_template):
    """A copy of the indexed test corpus with one staff account (somsri / PASSWORD)."""
    import shutil

    from kmsearch.store import connect, roster

    path = tmp_path / "home"
    shutil.copytree(indexed_home_template, path)
    engine = connect(Home(path).database_url)
    with engine.begin() as conn:
        roster.add(conn, "somsri", "สมศรี ใจดี", "กองคลัง", password=PASSWORD)
    engine.dispose()
    return path


@pytest.fixture
def start(served_home):
    started: list[Server] = []

    def start_server(**env) -> Server:
        started.append(Server(served_home, env))
        return started[-1]

    yield start_server
    for server in started:
        server.stop()


# --- item 2: idle connections --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("idle", [98, 1200])
def test_idle_connections_do_not_starve_a_citizen_search(start, idle):
    # Before: 98 idle connections filled waitress's 100 (the listener and its trigger count)
    # and a citizen's search got no answer for 122 s. 1,200 is past the new limit: the
    # longest-idle connections are closed to let the citizen in.
    server = start()
    held = []
    try:
        for _ in range(idle):
            held.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        status, _, text = request(server.port, "GET", SEARCH)
        assert status == 200 and "ภาษีป้าย" in text
    finally:
        for s in held:
            s.close()


# --- item 9: behind a reverse proxy ------------------------------------------------------------


def _login_form(port, source="127.0.0.1", forwarded_for=None):
    """A session cookie and CSRF token, fetched the way a browser behind the proxy would."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    status, response_headers, html = request(port, "GET", "/login", headers, source=source)
    assert status == 200
    cookie = response_headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return cookie, token


def sign_in(port, username, password, source="127.0.0.1", forwarded_for=None, form=None):
    cookie, token = form or _login_form(port, source, forwarded_for)
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": token}
    )
    return request(port, "POST", "/login", headers, body, source=source)[0]


@pytest.mark.slow
def test_proxy_setting_is_honoured_by_the_server(start):
    # Before: waitress dropped X-Forwarded-For, every request came from the proxy's address,
    # and five failed sign-ins by anyone locked every staff member out for 15 minutes.
    server = start(KMSEARCH_TRUSTED_PROXIES="1", KMSEARCH_PROXY_ADDRESS="127.0.0.2")
    proxy = "127.0.0.2"  # the reverse proxy's address; the test plays the proxy
    for n in range(5):
        status = sign_in(server.port, f"guess{n}", "wrong-password", proxy, "203.0.113.9")
        assert status == 200  # the form again, with "wrong user name or password"
    assert sign_in(server.port, "somsri", "wrong-password", proxy, "203.0.113.9") == 429
    # Another citizen behind the same proxy is not locked out, and staff still sign in.
    assert sign_in(server.port, "somsri", PASSWORD, proxy, "198.51.100.4") == 302
    # X-Forwarded-For from anywhere but the proxy is ignored: it cannot dodge the limit.
    for n in range(5):
        sign_in(server.port, f"guess{n}", "wrong-password", "127.0.0.1", f"192.0.2.{n}")
    assert sign_in(server.port, "somsri", PASSWORD, "127.0.0.1", "192.0.2.99") == 429


# --- item 10: parallel sign-in attempts ---------------------------------------------------------


@pytest.mark.slow
def test_parallel_sign_ins_check_at_most_five_passwords_across_two_servers(start, served_home):
    # Before: 40 parallel POST /login from one client checked 12 passwords (limit 5), and a
    # correct password inside the burst signed in.
    servers = [start(), start()]
    forms = [_login_form(s.port) for s in servers]

    def attempt(n):
        i = n % 2
        return sign_in(servers[i].port, "somsri", f"wrong-{n:02d}", form=forms[i])

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    checked = [s for s in statuses if s != 429]
    print(f"40 parallel attempts on two servers: {len(checked)} passwords checked")
    assert len(checked) <= 5 and set(checked) <= {200}
    # The limit holds for the right password too, on either server.
    assert sign_in(servers[0].port, "somsri", PASSWORD) == 429
    assert sign_in(servers[1].port, "somsri", PASSWORD) == 429

    from kmsearch.store import connect, login_attempts

    engine = connect(Home(served_home).database_url)
    with engine.connect() as conn:
        rows = conn.execute(login_attempts.select()).fetchall()
    engine.dispose()
    assert len(rows) <= 5 and not any(r.success for r in rows)


# --- item 18: malformed requests get an answer ---------------------------------------------------


def _status(answer: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    return int(match.group(1)) if match else None


def _thai(answer: bytes) -> str:
    return answer.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


@pytest.mark.slow
def test_malformed_requests_are_answered_with_a_thai_page(start):
    server = start()
    port = server.port
    # A 3 MB request line: 414, and the answer arrives although the client is still sending.
    answer = raw(port, b"GET /?q=" + b"a" * 3_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _status(answer) == 414 and "ที่อยู่เว็บยาวเกินไป" in _thai(answer)
    # Too many header bytes: 431.
    headers = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"b" * 1000) for n in range(100))
    answer = raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert _status(answer) == 431 and "ส่วนหัวของคำขอใหญ่เกินไป" in _thai(answer)
    # A body declared too large for the server: 413 before any of it is read.
    answer = raw(port, b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
    assert _status(answer) == 413 and "ขนาดใหญ่เกินไป" in _thai(answer)
    # Larger than the forms need but within the server's limit: Flask's 413, in Thai too.
    body = b"a=" + b"x" * 200_000
    status, _, text = request(port, "POST", "/login", FORM, body)
    assert status == 413 and "ขนาดใหญ่เกินไป" in text
    # A body shorter than its Content-Length, then the client closes its side: 400.
    short = (b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
             b"\r\nContent-Length: 100\r\n\r\nusername=a")  # fmt: skip
    answer = raw(port, short, half_close=True)
    assert _status(answer) == 400 and "คำขอไม่ครบถ้วน" in _thai(answer)
    # ... or falls silent: 408 once the idle timeout passes (20 s, plus the sweep interval).
    from kmsearch.web import server as web_server

    answer = raw(port, short, timeout=web_server.IDLE_TIMEOUT + 15)
    assert _status(answer) == 408 and "หมดเวลารอคำขอ" in _thai(answer)
    # The server still answers normally afterwards.
    assert request(port, "GET", SEARCH)[0] == 200
