"""One search at a time per serving process, in order of arrival.

A search is CPU work under the GIL: threads running searches at once do not finish more
of them, they share the interpreter in 5 ms slices, so every search in flight takes as
long as all of them together (four at once: a 14 ms question answers after ~56 ms). Taken in
turns, each waits for those ahead and then runs alone: the same throughput, and a short
search no longer waits behind the slices of a long one. Threads stay free for everything
else (pages without a search, downloads, the access log).
"""

from __future__ import annotations

import threading
from collections import deque
from contextlib import contextmanager


class Turns:
    """A FIFO lock: threading.Lock wakes waiters in no particular order, which lets one
    request wait behind many that came later."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queue: deque[threading.Lock] = deque()
        self._busy = False

    @contextmanager
    def turn(self):
        with self._lock:
            if not self._busy:
                self._busy = True
                mine = None
            else:
                mine = threading.Lock()
                mine.acquire()
                self._queue.append(mine)
        if mine is not None:
            mine.acquire()  # released by the search before us, which hands its turn over
        try:
            yield
        finally:
            with self._lock:
                if self._queue:
                    self._queue.popleft().release()
                else:
                    self._busy = False
