"""The serving process gives freed heap memory back to the system (kmsearch.web.heap)."""

from __future__ import annotations

import sys

import pytest
from kmsearch.web import heap


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))


@pytest.mark.skipif(heap._LIBC is None, reason="glibc's malloc_trim is Linux-only")
def test_every_nth_search_trims_and_the_freed_pages_leave_the_resident_size():
    trimmer = heap.Trimmer(every=4)
    assert [trimmer.searched() for _ in range(8)] == [False, False, False, True] * 2
    # Many small blocks freed in the middle of the heap stay resident until a trim.
    kept = [bytearray(2_000) for _ in range(50_000)]  # glibc malloc (pymalloc takes <= 512 bytes)
    del kept[: len(kept) - 1]  # the last one keeps the heap's top in place
    before = _rss_kb()
    for _ in range(3):
        trimmer.searched()
    trimmer.searched()  # the fourth since the last trim
    assert _rss_kb() < before - 20_000  # more than 20 MB went back


def test_the_search_route_counts_each_search(client, monkeypatch):
    from kmsearch.web import search

    counted = []
    monkeypatch.setattr(search._trimmer, "searched", lambda: counted.append(1))
    assert client.get("/?q=ภาษี").status_code == 200
    assert client.get("/api/search?q=ภาษีป้าย").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert len(counted) == 2


if sys.platform.startswith("linux"):
    def test_glibc_is_found_on_linux():
        assert heap._LIBC is not None
