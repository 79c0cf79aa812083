"""End to end: real headless Chromium against `kmsearch serve` (waitress) on loopback.

A citizen and a signed-in staff member each run a Thai search through the pages a person
uses; afterwards the server is stopped like systemd would (SIGTERM) and the access log
must hold one row per search, the citizen's without identity.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import PASSWORD, STAFF_ONLY_WORD, STAFF_TITLE

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's Chromium at /usr/bin/chromium "
                              "(apt-get install chromium fonts-thai-tlwg)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(home):
    """`kmsearch serve` in a subprocess on a free loopback port, with one staff account."""
    from kmsearch.store import connect, roster

    engine = connect(home.database_url)
    with engine.begin() as conn:
        roster.add(conn, "somsri", "สมศรี ใจดี", "กองคลัง", password=PASSWORD)
    engine.dispose()
    port = _free_port()
    env = dict(os.environ, KMSEARCH_HOME=str(home.path))
    log = home.path / "server.log"  # a file: an unread pipe would fill and block the server
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from kmsearch.cli import main; main()", "serve", "--port",
             str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                pytest.fail("server did not start: " + log.read_text())
            time.sleep(0.2)
    server = type("Server", (), {"base": base, "proc": proc, "home": home, "log": log})
    yield server
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def _stop(server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0, server.log.read_text()


def test_citizen_and_staff_search(server, browser):
    from kmsearch.store import accesslog, connect

    # --- a citizen on a phone ----------------------------------------------------------
    citizen = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = citizen.new_page()
    page.goto(server.base + "/")
    page.fill("input[name=q]", "ต้องใช้เอกสารอะไรบ้างในการขอรับเบี้ยยังชีพ")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("li.hit")
    assert page.inner_text("li.hit h2 >> nth=0") == "คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ"
    assert page.locator("li.hit mark").count() > 0
    page.click("li.hit h2 a >> nth=0")
    page.wait_for_selector("article.document h1")
    assert "บัตรประจำตัวประชาชน" in page.inner_text(".doctext")
    assert "หัวหน้าสำนักปลัด" in page.inner_text(".ask")
    page.goto(server.base + f"/?q={STAFF_ONLY_WORD}")
    assert "ไม่พบเอกสาร" in page.inner_text("main")
    assert STAFF_TITLE not in page.content()
    citizen.close()

    # --- a staff member on a desktop -----------------------------------------------------
    staff = browser.new_context(viewport={"width": 1366, "height": 900})
    page = staff.new_page()
    page.goto(server.base + "/")
    page.click("text=เจ้าหน้าที่")
    page.fill("#username", "somsri")
    page.fill("#password", PASSWORD)
    page.click("form.stacked button")
    page.wait_for_selector(".whoami")
    assert "สมศรี ใจดี" in page.inner_text(".whoami")
    page.fill("input[name=q]", STAFF_ONLY_WORD)
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("li.hit")
    assert page.inner_text("li.hit h2 >> nth=0") == STAFF_TITLE
    page.click(".facets a >> text=คู่มือ")  # the doc_type facet filters when clicked
    page.wait_for_selector(".chip.active")
    assert page.locator("li.hit").count() >= 1
    page.click("text=ออกจากระบบ")
    page.wait_for_selector("text=เจ้าหน้าที่")
    assert page.locator(".whoami").count() == 0
    staff.close()

    _stop(server)
    engine = connect(server.home.database_url)
    with engine.connect() as conn:
        searches = [r for r in reversed(accesslog.recent(conn)) if r["action"] == "search"]
        views = accesslog.count(conn, "view")
    engine.dispose()
    assert [(r["audience"], r["staff_id"] is None) for r in searches] == [
        ("public", True), ("public", True), ("staff", False), ("staff", False)]
    assert views == 1
