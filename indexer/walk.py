"""Walking the folders of an index run without stopping at the first folder or name it
cannot handle: each is reported (path and reason) and the walk goes on."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

Report = Callable[[str, str], None]  # (printable path, reason)


def printable(path: str | Path) -> str:
    """path as text that can be printed and stored: bytes that are not UTF-8 (kept by Python
    as lone surrogates) are shown as \\xNN."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def valid_name(path: str | Path) -> bool:
    """True when path is valid UTF-8 (the index, the database and the web need text)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


BAD_NAME = "the file name is not valid UTF-8 text; rename the file (e.g. with convmv)"


def files_under(folder: Path, report: Report) -> Iterator[Path]:
    """Files below folder (sorted, symlinked folders not followed), skipping hidden names.

    A folder that cannot be listed and a file that cannot be looked at are reported and
    left out.
    """

    def unlistable(error: OSError) -> None:
        where = error.filename if error.filename is not None else folder
        report(printable(where), f"cannot read the folder: {error.strerror or error}; "
                                 "the files in it were not indexed")

    found: list[Path] = []
    for top, dirs, names in os.walk(folder, onerror=unlistable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.startswith("."):
                continue
            path = Path(top) / name
            try:
                if not path.is_file():
                    continue
            except OSError as e:  # e.g. a folder we may list but not enter (no x bit)
                report(printable(path), f"cannot read the file: {e.strerror or e}")
                continue
            found.append(path)
    yield from sorted(found)
