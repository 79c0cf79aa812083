"""Values worked out once per index generation and shared by every thread's searcher.

Each web thread has its own Whoosh searcher (SearchService), but what is derived from the
index -- the document numbers an audience may see, the list of every document for the
browse pages -- depends only on which index it reads: the generation folder and the TOC
generation inside it (every commit, adding or deleting, writes a new TOC generation, and
document numbers are fixed within one). Kept per thread, each of the server's threads held
its own copy (the browse list of 10,000 documents, per audience, eight times) and paid for
computing it. Here one copy serves all threads; the values are never mutated after they are
stored, so reading them from several threads needs no lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any


def index_key(folder: Path | None, searcher) -> tuple | None:
    """What identifies the index a searcher reads (None: unknown, so nothing is shared)."""
    generation = searcher.reader().generation()
    if folder is None or generation is None or generation < 0:
        return None
    return (str(folder), generation)


class PerGeneration:
    """A bounded store of values per index: at most `generations` indexes (the newest
    used), and at most `per_generation` values for each (the oldest dropped first, so
    values named in URLs, like facet filters, cannot grow it)."""

    def __init__(self, per_generation: int = 64, generations: int = 2):
        self.per_generation = per_generation
        self.generations = generations
        self._lock = threading.Lock()
        self._stores: OrderedDict[tuple, OrderedDict[Hashable, Any]] = OrderedDict()

    def get(self, index: tuple, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value of key for index, computed by compute() the first time.

        compute runs outside the lock (it may take a while): two threads asking at once
        may both compute, and the first value stored is the one every caller gets.
        """
        with self._lock:
            store = self._stores.get(index)
            if store is not None and key in store:
                self._stores.move_to_end(index)
                return store[key]
        value = compute()
        with self._lock:
            store = self._stores.get(index)
            if store is None:
                store = self._stores[index] = OrderedDict()
                while len(self._stores) > self.generations:
                    self._stores.popitem(last=False)
            self._stores.move_to_end(index)
            if key not in store:
                store[key] = value
                while len(store) > self.per_generation:
                    store.popitem(last=False)
            return store[key]

    def size(self) -> tuple[int, int]:
        """(indexes, values) held: for tests and diagnostics."""
        with self._lock:
            return len(self._stores), sum(len(s) for s in self._stores.values())

    def values(self) -> list:
        """Every value held, of every index: for tests and diagnostics."""
        with self._lock:
            return [v for store in self._stores.values() for v in store.values()]

    def clear(self) -> None:
        with self._lock:
            self._stores.clear()
