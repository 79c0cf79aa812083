"""Where the Whoosh index lives in the home: numbered generations and a CURRENT pointer.

A rebuild writes a new generation beside the live one and then replaces CURRENT atomically
(os.replace), so searches never see a half-built index and a failed rebuild changes nothing.
Incremental runs write into the live generation; Whoosh commits are atomic themselves.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index

from kmsearch.engine import mapped
from kmsearch.engine.schema import get_schema
from kmsearch.home import Home

# Readers read the mapped index files in place instead of a heap copy each (engine/mapped.py).
mapped.install()


class IndexBusy(Exception):
    """Another index run holds the home's index lock."""


def current_generation(home: Home) -> Path | None:
    """Folder of the live index, or None when nothing was indexed yet."""
    pointer = home.indexes_dir / "CURRENT"
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    folder = home.indexes_dir / name
    return folder if folder.is_dir() else None


def open_current(home: Home) -> index.Index | None:
    folder = current_generation(home)
    if folder is None or not index.exists_in(str(folder)):
        return None
    return index.open_dir(str(folder))


def new_generation(home: Home) -> Path:
    """Create an empty index in a fresh generation folder (not yet live)."""
    home.indexes_dir.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[4:]) for p in home.indexes_dir.glob("gen-*") if p.name[4:].isdigit()]
    folder = home.indexes_dir / f"gen-{max(numbers, default=0) + 1:06d}"
    folder.mkdir()
    index.create_in(str(folder), get_schema())
    return folder


def make_live(home: Home, folder: Path) -> None:
    """Point CURRENT at folder atomically, then drop generations older than the one replaced.

    The replaced generation is kept until the next swap: a search that read CURRENT just
    before the swap can still open it.
    """
    previous = current_generation(home)
    pointer = home.indexes_dir / "CURRENT"
    tmp = pointer.with_name("CURRENT.tmp")
    tmp.write_text(folder.name + "\n")
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, pointer)
    remove_stale_generations(home, keep=previous)


def remove_stale_generations(home: Home, keep: Path | None = None) -> None:
    """Delete generation folders other than the live one and keep (if given)."""
    live = current_generation(home)
    for folder in home.indexes_dir.glob("gen-*"):
        if folder != live and folder != keep:
            shutil.rmtree(folder, ignore_errors=True)


def remove_unfinished_generations(home: Home) -> None:
    """Delete generations newer than the live one: left by a rebuild that died mid-way."""
    live = current_generation(home)
    number = int(live.name[4:]) if live is not None else 0
    for folder in home.indexes_dir.glob("gen-*"):
        if folder.name[4:].isdigit() and int(folder.name[4:]) > number:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def index_lock(home: Home) -> Iterator[None]:
    """Hold the home's index lock: one index run at a time (the web never writes)."""
    home.indexes_dir.mkdir(parents=True, exist_ok=True)
    with open(home.indexes_dir / "index.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(f"another index run is using {home.indexes_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
