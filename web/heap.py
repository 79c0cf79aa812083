"""The serving process's C heap (glibc malloc): how its freed memory goes back to the system.

Searches allocate and free numpy arrays of a few MB each. glibc keeps freed memory inside its
heaps for reuse, so a server's resident size kept what its busiest moments needed: at 10,000
documents it grew about 40 MB per process between the first 100 searches and the first
1,000, of which the caches filling up were only half. Two things keep it to what is in use:
few arenas shared by all threads, and giving back the free pages every TRIM_EVERY searches
(malloc_trim; ~1-3 ms, a fraction of a millisecond per search).
"""

from __future__ import annotations

import ctypes
import sys
import threading

M_ARENA_MAX = -8  # glibc mallopt parameter
TRIM_EVERY = 32  # searches between two trims


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()


def few_arenas() -> None:
    """glibc gives every thread that allocates its own malloc arena and keeps what is freed in
    it; eight waitress threads each kept their own peak of a search's temporaries. Two arenas
    shared by all threads reuse that memory. Call before the threads start."""
    if _LIBC is not None:
        _LIBC.mallopt(M_ARENA_MAX, 2)


class Trimmer:
    """Counts searches and gives freed heap pages back every TRIM_EVERY of them."""

    def __init__(self, every: int = TRIM_EVERY):
        self.every = every
        self._count = 0
        self._lock = threading.Lock()

    def searched(self) -> bool:
        """Count one search; True when this one trimmed the heap."""
        with self._lock:
            self._count += 1
            due = self._count % self.every == 0
        if due and _LIBC is not None:
            _LIBC.malloc_trim(0)
        return due and _LIBC is not None
