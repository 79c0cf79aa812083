"""Smoke test of an installed kmsearch (not the source tree): index, serve, fetch the pages.

Run by scripts/smoke_wheel.sh with the python of a fresh virtual environment holding only the
wheel, from a folder outside the repository. Standard library only. Usage:
    python smoke_wheel.py CORPUS_DIR WORK_DIR
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


def step(text: str) -> None:
    print(f"smoke: {text}", flush=True)


def fail(text: str) -> None:
    print(f"smoke: FAILED: {text}", flush=True)
    sys.exit(1)


def main(corpus: Path, work: Path) -> None:
    import kmsearch.web

    import kmsearch

    installed = Path(kmsearch.__file__).resolve()
    if "site-packages" not in installed.parts:
        fail(f"kmsearch was imported from {installed}, not from the installed wheel")
    step(f"kmsearch imported from {installed.parent}")
    kms = Path(sys.executable).with_name("kmsearch")
    home = work / "home"
    env = {**os.environ, "KMSEARCH_HOME": str(home)}
    for name in ("KMSEARCH_DATABASE_URL", "KMSEARCH_SECRET_KEY", "PYTHONPATH"):
        env.pop(name, None)

    def cli(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([str(kms), *args], env=env, cwd=work, capture_output=True,
                                text=True, timeout=600)
        if result.returncode:
            fail(f"kmsearch {' '.join(args)} exited {result.returncode}: {result.stderr[-2000:]}")
        return result

    summary = cli("index", str(corpus)).stderr.strip().splitlines()[-1]
    step(f"kmsearch index {corpus.name}/: {summary}")
    cli("staff", "add", "smoke", "--name", "ผู้ทดสอบ ระบบ", "--division", "สำนักปลัด",
        "--role", "admin", "--password", "smoke-test-password")
    step("kmsearch staff add smoke --role admin")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(kms), "serve", "--port", str(port)], env=env, cwd=work,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def get(path: str, data: dict | None = None) -> tuple[int, dict, bytes]:
            body = urllib.parse.urlencode(data).encode() if data is not None else None
            try:
                with opener.open(base + path, data=body, timeout=60) as r:
                    return r.status, dict(r.headers), r.read()
            except urllib.error.HTTPError as e:
                return e.code, dict(e.headers), e.read()

        for _ in range(300):
            try:
                if get("/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            fail("the server did not answer /healthz within 30 s")
        step(f"kmsearch serve answers on {base}")

        status, _h, body = get("/?q=" + urllib.parse.quote("ภาษีป้าย"))
        page = body.decode("utf-8")
        links = re.findall(r'href="(/doc/[0-9a-f]+)"', page)
        if status != 200 or not links:
            fail(f"search page: HTTP {status}, {len(links)} document links")
        step(f"GET /?q=ภาษีป้าย -> {status}, {len(set(links))} documents")

        status, _h, body = get(links[0])
        title = re.search(r"<h1[^>]*>(.*?)</h1>", body.decode("utf-8"), re.S)
        if status != 200 or not title:
            fail(f"document page {links[0]}: HTTP {status}")
        step(f"GET {links[0]} -> {status} ({title.group(1).strip()[:60]})")

        status, headers, body = get("/dashboard/dashboard.css")
        if status != 200 or "text/css" not in headers.get("Content-Type", "") or b"{" not in body:
            fail(f"dashboard stylesheet: HTTP {status} {headers.get('Content-Type')}")
        step(f"GET /dashboard/dashboard.css -> {status}, {len(body)} bytes of CSS")

        login = get("/login")[2].decode("utf-8")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        status, _h, _b = get("/login", {"username": "smoke", "password": "smoke-test-password",
                                        "csrf_token": token, "next": "/dashboard/"})
        if status != 200:  # urllib follows the redirect to the dashboard
            fail(f"sign-in: HTTP {status}")
        step("POST /login as admin -> dashboard")

        status, headers, body = get("/dashboard/report.pdf")
        disposition = headers.get("Content-Disposition", "")
        if status != 200 or not body.startswith(b"%PDF") or "attachment" not in disposition:
            fail(f"report download: HTTP {status} {disposition!r} {body[:20]!r}")
        step(f"GET /dashboard/report.pdf -> {status}, {len(body)} bytes, {disposition}")
    finally:
        server.terminate()
        try:
            _out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _out, err = server.communicate()
    if "Traceback" in (err or ""):
        fail(f"the server logged an error:\n{err[-3000:]}")
    step("server stopped cleanly; all checks passed")


if __name__ == "__main__":
    corpus_dir, work_dir = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    main(corpus_dir, work_dir)
    shutil.rmtree(work_dir / "home", ignore_errors=True)
