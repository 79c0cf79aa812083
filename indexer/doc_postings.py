"""One field's postings kept as they arrive, document by document, and turned into per-term
lists only when the terms are needed (a spill or the flush).

The index run adds every analysed term of every document (about 900 postings per text file):
appended to its term's lists one posting at a time (a dict look-up, three appends and a bytes
concatenation each, in Python), that was 4.7 s of the run's 24 s CPU at 5,931 text files, and
grew faster than the corpus. Here a document's terms become term ids in one C-level call (a
map over a defaultdict whose default is the next id), and its counts, value lengths and values
are appended whole; no Python runs per posting. Inverting that into per-term postings is one
stable sort by term id (numpy) when the terms are needed. The postings come out exactly as the
per-posting loop gave them: each term's in the order they were added (docnum order), terms in
the order they were first seen, weights computed with the same float operations in the same
order (tests/test_doc_postings.py compares the two on random documents).
"""

from __future__ import annotations

import itertools
from array import array
from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple


class PackedValues(NamedTuple):
    """A document's encoded values of one field, as packed() sends them: their lengths and
    their bytes joined."""

    lengths: array
    joined: bytes


class FieldPostings:
    """The postings of one field, per document: term ids, counts, encoded values."""

    __slots__ = ("ids", "tids", "counts", "vlens", "blob", "docs", "sizes", "field_boosts", "boosts")

    def __init__(self):
        # text -> term id, numbered as first seen: so iterating ids gives the texts in id order
        self.ids: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.tids = array("i")  # per posting
        self.counts = array("i")
        self.vlens = array("I")  # length of each posting's value in blob
        self.blob = bytearray()
        self.docs = array("q")  # per added document: docnum, postings, field boost, boost
        self.sizes = array("q")
        self.field_boosts = array("d")
        self.boosts = array("d")

    def add(self, docnum: int, texts: list[str], counts, values, field_boost: float, boost: float) -> int:
        """The postings of docnum: one per text, with its count and its value bytes, weighing
        float(count) * field_boost * boost. counts and values as analysed_terms gives them
        (lists), or as packed() packs them. Returns how many of the texts were new terms."""
        if type(values) is PackedValues:
            vlens, joined = values
        else:
            vlens, joined = array("I", map(len, values)), b"".join(values)
        if not len(texts) == len(counts) == len(vlens):
            raise ValueError(f"document {docnum}: {len(texts)} terms, {len(counts)} counts, {len(vlens)} values")
        ids = self.ids
        before = len(ids)
        # the only step per posting, all in C: a look-up, or a new id for a new text
        self.tids.fromlist(list(map(ids.__getitem__, texts)))
        if type(counts) is list:
            self.counts.fromlist(counts)
        else:
            self.counts.extend(counts)
        self.vlens.extend(vlens)
        self.blob += joined
        self.docs.append(docnum)
        self.sizes.append(len(texts))
        self.field_boosts.append(field_boost)
        self.boosts.append(boost)
        return len(ids) - before

    def inverted(self) -> Iterator[tuple[str, array, array, array, array, bytes]]:
        """(text, docnums, weights, value starts, value ends, blob) per term, in the order the
        terms were first seen; a term's postings in the order they were added. The value of
        a posting is blob[start:end]; blob is shared by all the terms of the field.

        The values stay where they are: moving them term by term (numpy, a byte at a time)
        cost more than the flush reading them out of order (measured at 5,931 files)."""
        import numpy as np  # only when inverting: numpy costs ~0.1 s to import

        texts = list(self.ids)
        if not texts:
            return
        tids = np.frombuffer(self.tids, dtype=np.intc)
        # stable: each term's postings stay in the order added (docnum order); with fewer
        # than 65,536 terms, on 16-bit keys, which numpy sorts by radix (3-6 times faster)
        order = np.argsort(tids.astype(np.uint16) if len(texts) <= 1 << 16 else tids, kind="stable")
        bounds = np.zeros(len(texts) + 1, dtype=np.int64)  # each term's first posting, in order
        np.cumsum(np.bincount(tids, minlength=len(texts)), out=bounds[1:])
        del tids
        sizes = np.frombuffer(self.sizes, dtype=np.longlong)
        docs = np.repeat(np.frombuffer(self.docs, dtype=np.longlong), sizes)[order].tobytes()
        # float(count) * field boost * boost, as Whoosh weighs a term: the same IEEE operations
        # in the same order give the same doubles
        weights = np.frombuffer(self.counts, dtype=np.intc).astype(np.float64)
        weights *= np.repeat(np.frombuffer(self.field_boosts, dtype=np.float64), sizes)
        weights *= np.repeat(np.frombuffer(self.boosts, dtype=np.float64), sizes)
        weights = weights[order].tobytes()
        lengths = np.frombuffer(self.vlens, dtype=np.uintc)
        ends = np.cumsum(lengths, dtype=np.int64)
        starts = (ends - lengths)[order].tobytes()
        ends = ends[order].tobytes()
        del order
        blob = bytes(self.blob)
        for text, a, b in zip(texts, bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            a, b = a * 8, b * 8
            yield (text, array("q", docs[a:b]), array("d", weights[a:b]),
                   array("q", starts[a:b]), array("q", ends[a:b]), blob)


def packed(texts: list[str], counts: list[int], values: list[bytes]) -> tuple[list[str], array, PackedValues]:
    """(texts, counts, values) of analysed_terms in the form FieldPostings.add takes fastest:
    counts as one array, values as (their lengths, their bytes joined). Done in the extraction
    worker, it also makes what crosses back to the index run cheaper to unpickle there (two
    arrays and one bytes object instead of an int and a bytes object per term)."""
    return texts, array("i", counts), PackedValues(array("I", map(len, values)), b"".join(values))

