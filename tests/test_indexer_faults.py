"""An index run that meets a file, a folder or a worker it cannot handle reports that one
(path and reason) and indexes the rest; it keeps what it cannot re-read; and its workers do
not outlive it. Real files, real processes (issue 12, items 4, 7 and 8)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kmsearch.indexer.run as run
import pytest
from kmsearch.indexer.pool import KILL_WORKER_ENV, WORKER_DIED
from kmsearch.indexer.walk import BAD_NAME

from kmsearch.engine import indexstore
from kmsearch.home import Home


def doc(i: int, extra: str = "") -> str:
    return f"# เอกสารทดสอบ {i}\n\nภาษีป้ายของร้านค้าที่ {i} {extra}\n"


def make_tree(root: Path, n: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"doc{i:02d}.md").write_text(doc(i), "utf-8")


def stored_paths(home: Home) -> set[str]:
    ix = indexstore.open_current(home)
    with ix.searcher() as s:
        return {f["path"] for f in s.all_stored_fields()}


def stored_content(home: Home, path: str) -> str:
    ix = indexstore.open_current(home)
    with ix.searcher() as s:
        return next(f["content"] for f in s.all_stored_fields() if f["path"] == path)


# --- 4a: a file name that is not UTF-8 -------------------------------------------------------


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_file_name_that_is_not_utf8_fails_alone(tmp_path, rebuild):
    root = tmp_path / "kb"
    make_tree(root, 2)
    bad = os.fsencode(root) + b"/\xe0\xb8name-\xff.md"  # cut Thai, then a stray byte
    with open(bad, "wb") as f:
        f.write(doc(9).encode())
    home = Home(tmp_path / "home")
    if rebuild:
        run.index_paths(home, [root])
    report = run.index_paths(home, [root], rebuild=rebuild)
    assert [(p.path, p.reason) for p in report.failed] == [
        (str(root) + "/\\xe0\\xb8name-\\xff.md", BAD_NAME)
    ]
    assert stored_paths(home) == {str(root / "doc00.md"), str(root / "doc01.md")}


# --- 4d and 7: what the indexer may not read ------------------------------------------------


@pytest.fixture
def shared_dir():
    """A folder an unprivileged user may work in (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="kmsearch-faults-"))
    path.chmod(0o755)
    yield path
    for p in [path, *path.rglob("*")]:
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)
    shutil.rmtree(path)


def kmsearch(home: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    """`kmsearch --home HOME ARGS` in a child process; as the user nobody when we are root,
    so that file permissions apply."""
    command = [sys.executable, "-c", "from kmsearch.cli import main; main()", "--home", str(home)]
    if os.geteuid() == 0:
        # setpriv rather than subprocess's user=: the latter cannot exec a Python kept
        # under /root (mode 700) on some systems, setpriv can.
        nobody = pwd.getpwnam("nobody")
        command = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                   "--clear-groups", *command]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300, env=env)


def give_to_unprivileged(path: Path) -> None:
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for p in [path, *path.rglob("*")]:
            os.chown(p, nobody.pw_uid, nobody.pw_gid)


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"),
                    reason="as root, needs setpriv to run the indexer as an unprivileged user")
@pytest.mark.parametrize("rebuild", [False, True])
def test_an_unreadable_folder_and_file_are_reported_and_their_documents_kept(shared_dir, rebuild):
    root = shared_dir / "kb"
    make_tree(root, 2)
    (root / "ลับ").mkdir()
    (root / "ลับ" / "secret.md").write_text(doc(7), "utf-8")
    (root / "closed.md").write_text(doc(8), "utf-8")
    home = shared_dir / "home"
    give_to_unprivileged(shared_dir)
    first = kmsearch(home, "index", str(root))
    assert first.returncode == 0, first.stderr
    (root / "ลับ").chmod(0)
    (root / "closed.md").chmod(0)
    (root / "doc00.md").write_text(doc(0, "ฉบับแก้ไข"), "utf-8")

    again = kmsearch(home, "index", str(root), *(["--rebuild"] if rebuild else []))
    assert again.returncode == 1, again.stderr
    assert "Traceback" not in again.stderr
    assert f"error: {root / 'ลับ'}: cannot read the folder: Permission denied" in again.stderr
    assert f"error: {root / 'closed.md'}: cannot read the file: Permission denied" in again.stderr
    # The rest was indexed, and what could not be read again is kept as it was indexed.
    assert "ฉบับแก้ไข" in stored_content(Home(home), str(root / "doc00.md"))
    assert stored_paths(Home(home)) == {
        str(root / name) for name in ("doc00.md", "doc01.md", "closed.md", "ลับ/secret.md")
    }


def test_rebuild_keeps_a_document_whose_sidecar_became_a_folder(tmp_path):
    root = tmp_path / "kb"
    make_tree(root, 2)
    home = Home(tmp_path / "home")
    run.index_paths(home, [root])
    (root / "doc01.md.meta.yaml").mkdir()
    report = run.index_paths(home, [root], rebuild=True)
    assert [p.path for p in report.failed] == [str(root / "doc01.md")]
    assert "cannot read the file" in report.failed[0].reason
    assert stored_paths(home) == {str(root / "doc00.md"), str(root / "doc01.md")}


# --- 4e: a worker killed as the out-of-memory killer would ----------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("rebuild", [False, True])
def test_a_killed_worker_fails_only_its_file(tmp_path, monkeypatch, rebuild):
    monkeypatch.setattr(run, "POOL_MIN_FILES", 1)
    monkeypatch.setattr(run, "POOL_MIN_TEXT_FILES", 1)  # these Markdown files go to workers,
    monkeypatch.setattr(run, "READ_HERE_TOO", False)  # all of them (none read by the run itself)
    root = tmp_path / "kb"
    make_tree(root, 12)
    (root / "poison.md").write_text(doc(99), "utf-8")
    home = Home(tmp_path / "home")
    assert not run.index_paths(home, [root]).failed

    (root / "poison.md").write_text(doc(99, "ฉบับใหม่"), "utf-8")
    for i in range(12):
        (root / f"doc{i:02d}.md").write_text(doc(i, "ฉบับใหม่"), "utf-8")
    monkeypatch.setenv(KILL_WORKER_ENV, "poison.md")
    report = run.index_paths(home, [root], rebuild=rebuild)
    assert [(p.path, p.reason) for p in report.failed] == [(str(root / "poison.md"), WORKER_DIED)]
    assert report.indexed == 12
    assert "ฉบับใหม่" in stored_content(home, str(root / "doc05.md"))
    assert "ฉบับใหม่" not in stored_content(home, str(root / "poison.md"))  # the old one kept


# --- 8: workers die with the index run -----------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int, started: str) -> bool:
    """pid still runs as the same process (not a zombie, not a reused pid)."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and fields[19] == started


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_do_not_outlive_a_killed_index_run(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    # PDFs: the slowest files to read, so that the workers are still busy when it is killed
    pdf = next((Path(__file__).resolve().parent.parent / "corpus").rglob("*.pdf"))
    for i in range(60):
        shutil.copyfile(pdf, root / f"doc{i:02d}.pdf")
    command = [sys.executable, "-c", "from kmsearch.cli import main; main()",
               "--home", str(tmp_path / "home"), "index", str(root)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while time.monotonic() < deadline and len(children) < 3 and proc.poll() is None:
            time.sleep(0.05)
            children = _children(proc.pid)  # the resource tracker and the workers
        assert len(children) >= 3, "the index run did not start its workers"
        started = {}
        for pid in children:
            try:
                started[pid] = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19]
            except OSError:
                pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p, s) for p, s in started.items()):
            time.sleep(0.1)
        survivors = [p for p, s in started.items() if _alive(p, s)]
        for pid in survivors:  # do not leave them behind when this fails
            os.kill(pid, signal.SIGKILL)
        assert survivors == [], f"processes of the killed run still alive: {survivors}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
