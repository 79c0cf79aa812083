"""A term's postings and each document's field lengths, read in bulk into numpy arrays.

Whoosh scores through a tree of Python matcher objects, one call per posting per clause: a
nine-word citizen question costs hundreds of thousands of calls at 10,000 documents. Ranking
(kmsearch.engine.ranking) instead reads each query word's postings once, block by block, into
arrays -- document numbers and term frequencies -- and does the BM25F arithmetic on whole
arrays. Positions are decoded only where phrases are checked: posting by posting for the
first search that needs a term's, then -- a term searched again -- its whole list at once,
kept as two arrays, so that a phrase check is a few array operations.

What is read is kept per index generation (`for_reader`) and shared by the server's threads:
the arrays are never written after they are built, and each thread reads postings through
its own Whoosh reader (Whoosh's readers share a file object and are not thread-safe).
The cache is bounded by the number of postings it holds.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate, chain

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Positions
from whoosh.matching import ListMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length

from kmsearch.engine import shared

MAX_CACHED_POSTINGS = 1_000_000  # ~16 MB of document numbers and frequencies per generation
MAX_CACHED_VALUES = 1_000_000  # postings whose positions are kept (~16 bytes each decoded)

# byte_to_length for every byte: the field lengths Whoosh stores are one byte per document
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)



@dataclass(frozen=True)
class Postings:
    """One term's postings over the whole index (global document numbers, ascending)."""

    ids: np.ndarray  # live documents holding the term
    weights: np.ndarray  # the term's frequency in each of them
    raw_ids: np.ndarray  # every stored posting, deleted documents included
    blocks: tuple  # (index in raw_ids of a block's first posting, segment number, where)

    @property
    def block_starts(self) -> np.ndarray:
        """The index in raw_ids of each block's first posting."""
        starts = self.__dict__.get("_starts")
        if starts is None:  # worked out once; two threads doing it at once agree
            starts = np.fromiter((b[0] for b in self.blocks), dtype=np.int64, count=len(self.blocks))
            object.__setattr__(self, "_starts", starts)
        return starts


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False  # shared between threads: nobody may change it
    return array


_EMPTY_IDS = _frozen(np.zeros(0, dtype=np.int64))
_EMPTY_WEIGHTS = _frozen(np.zeros(0, dtype=np.float64))


class IndexData:
    """The arrays of one index generation (all document numbers are the searcher's global ones)."""

    def __init__(self, reader):
        self.doccount = reader.doc_count_all()
        live = np.zeros(self.doccount, dtype=bool)
        live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        self.live = _frozen(live)
        self._lock = threading.Lock()
        self._postings: OrderedDict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached = 0  # postings held in _postings
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}
        self._masks: dict[int, tuple[set[int], np.ndarray]] = {}
        # (field, term, block): the block's raw position values (_Packed), as read with its
        # postings; (field, term, None): the term's whole list decoded (offsets, positions)
        self._values: OrderedDict[tuple, object] = OrderedDict()
        self._cached_values = 0  # postings whose values are held in _values
        self._asked: dict[tuple[str, bytes], object] = {}  # the last search checking phrases on a term

    # --- postings ---------------------------------------------------------------------------
    def postings(self, reader, fieldname: str, btext: bytes) -> Postings:
        """A term's postings (kept until the cache's bound pushes them out)."""
        key = (fieldname, btext)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = self._read_postings(reader, fieldname, btext)
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._cached += len(found.raw_ids)
                while self._cached > MAX_CACHED_POSTINGS and len(self._postings) > 1:
                    _key, old = self._postings.popitem(last=False)
                    self._cached -= len(old.raw_ids)
        return found

    def _read_postings(self, reader, fieldname, btext) -> Postings:
        ids_parts, weight_parts, blocks = [], [], []
        count = 0
        # The block's positions came with its ids: keep them for phrase checks to come.
        positional = reader.schema[fieldname].format.supports("positions")
        for number, (segment, offset) in enumerate(reader.leaf_readers()):
            if (fieldname, btext) not in segment:
                continue
            for ids, weights, where, values in _blocks(segment.postings(fieldname, btext)):
                if positional:
                    self._keep_values((fieldname, btext, len(blocks)), _Packed(values))
                blocks.append((count, number, where))
                count += len(ids)
                ids_parts.append(np.asarray(ids, dtype=np.int64) + offset)
                weight_parts.append(np.asarray(weights, dtype=np.float64))
        if not ids_parts:
            return Postings(_EMPTY_IDS, _EMPTY_WEIGHTS, _EMPTY_IDS, ())
        raw = _frozen(np.concatenate(ids_parts))
        weights = np.concatenate(weight_parts)
        keep = self.live[raw]
        if keep.all():
            return Postings(raw, _frozen(weights), raw, tuple(blocks))
        return Postings(_frozen(raw[keep]), _frozen(weights[keep]), raw, tuple(blocks))

    def position_keys(self, reader, fieldname: str, btext: bytes, docnums: np.ndarray,
                      search: object = None) -> np.ndarray:
        """The term's (document, position) pairs in docnums (sorted, distinct), each as one
        int64 key (document << 32 | position), ascending: a phrase check intersects them.

        Gathered by a few array operations from the term's positions (_term_positions),
        whatever the number of documents and however many blocks they lie in."""
        term = self.postings(reader, fieldname, btext)
        raw = term.raw_ids
        if not len(raw) or not len(docnums):
            return _EMPTY_IDS
        index = np.searchsorted(raw, docnums)
        present = index < len(raw)
        present[present] = raw[index[present]] == docnums[present]
        docs, index = docnums[present], index[present]
        if not len(docs):
            return _EMPTY_IDS
        search = object() if search is None else search  # who asks (None: a search of its own)
        with self._lock:
            decoded = (fieldname, btext, None) in self._values
            first = self._asked.get((fieldname, btext), search) is search
            if len(self._asked) >= 100_000:
                self._asked.clear()
            self._asked[fieldname, btext] = search
        if not decoded and first and len(docs) * 4 < len(raw):
            # Decoding a term's whole list costs ~0.5 us a posting (5 ms for a common word at
            # 10,000 documents), one posting alone ~2 us. The first search that checks a
            # phrase on a term decodes the postings it asks for one by one; a term checked
            # again by another search (a question people ask) has its whole list decoded
            # and kept, and then costs a few array operations.
            return self._few_position_keys(reader, fieldname, btext, term, docs, index)
        offsets, flat = self._term_positions(reader, fieldname, btext, term)
        first = offsets[index].astype(np.int64)
        lens = offsets[index + 1] - first
        ends = np.cumsum(lens)
        take = np.repeat(first - (ends - lens), lens) + np.arange(int(ends[-1]))
        return (np.repeat(docs, lens) << 32) | flat[take]

    def _few_position_keys(self, reader, fieldname, btext, term, docs, index) -> np.ndarray:
        """position_keys decoded posting by posting from the blocks' raw values."""
        decode = _position_decoder(reader.schema[fieldname].format)
        block_of = np.searchsorted(term.block_starts, index, side="right") - 1
        out: list[int] = []
        current, start, values = -1, 0, None
        for doc, i, blk in zip(docs.tolist(), index.tolist(), block_of.tolist(), strict=True):
            if blk != current:
                values = self._raw_values(reader, fieldname, btext, term, blk)
                current, start = blk, term.blocks[blk][0]
            base = doc << 32
            out.extend(base | p for p in decode(values[i - start]))
        return np.array(out, dtype=np.int64)

    def _raw_values(self, reader, fieldname, btext, term, blk, keep: bool = True) -> list:
        """A block's stored values (the positions of each posting, encoded), from the cache
        when its postings were read lately, else read again (and kept, if keep)."""
        with self._lock:
            values = self._values.get((fieldname, btext, blk))
        if isinstance(values, _Packed):
            return values.values()
        _start, number, where = term.blocks[blk]
        if callable(where):  # short lists stored inline, or read one by one
            return list(where())
        m = _leaf(reader.leaf_readers()[number][0].postings(fieldname, btext))
        m._goto(where)
        m._read_values()
        if keep:
            self._keep_values((fieldname, btext, blk), _Packed(m._values))
        return list(m._values)

    def _term_positions(self, reader, fieldname, btext, term) -> tuple[np.ndarray, np.ndarray]:
        """(offsets, positions) of every posting of a term (aligned with its raw_ids), decoded
        once and kept in place of its blocks' values."""
        key = (fieldname, btext, None)
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
                return found
        fmt = reader.schema[fieldname].format
        blocks = [_decode_block(fmt, self._raw_values(reader, fieldname, btext, term, blk, keep=False))
                  for blk in range(len(term.blocks))]
        sizes = np.array([o[-1] for o, _flat in blocks], dtype=np.int64)
        shifts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        offsets = np.concatenate([blocks[0][0][:1]]
                                 + [o[1:] + k for (o, _f), k in zip(blocks, shifts, strict=True)]).astype(np.int32)
        found = (_frozen(offsets), _frozen(np.concatenate([f for _o, f in blocks])))
        with self._lock:  # the decoded list replaces its blocks' raw values
            for blk in range(len(term.blocks)):
                old = self._values.pop((fieldname, btext, blk), None)
                if old is not None:
                    self._cached_values -= _count(old)
        self._keep_values(key, found)
        return found

    def _keep_values(self, key, values) -> None:
        # Reading a block means unpickling all of it (ids, frequencies and positions):
        # the positions of the blocks read lately are kept, bounded by their count.
        with self._lock:
            if key not in self._values:
                self._values[key] = values
                self._cached_values += _count(values)
                while self._cached_values > MAX_CACHED_VALUES and len(self._values) > 1:
                    _key, old = self._values.popitem(last=False)
                    self._cached_values -= _count(old)

    def mask_of(self, docnums) -> np.ndarray:
        """The live documents of the set docnums as a mask over document numbers, kept while
        that same set object is asked for again (the search service keeps one frozen set per
        audience and facet filter and index generation)."""
        key = id(docnums)
        with self._lock:
            found = self._masks.get(key)
            if found is not None and found[0] is docnums:
                return found[1]
        mask = np.zeros(self.doccount, dtype=bool)
        if docnums:
            mask[np.fromiter(docnums, dtype=np.int64, count=len(docnums))] = True
        mask = _frozen(mask & self.live)
        with self._lock:
            if len(self._masks) >= 16:
                self._masks.clear()
            self._masks[key] = (docnums, mask)  # the set is held: its id stays its own
        return mask

    # --- per-document columns -----------------------------------------------------------
    def lengths(self, reader, fieldname: str) -> np.ndarray:
        """Each document's length of fieldname as Whoosh scores it (its one-byte encoding)."""
        found = self._lengths.get(fieldname)
        if found is None:
            lengths = np.zeros(self.doccount, dtype=np.float64)
            for segment, offset in reader.leaf_readers():
                size = segment.doc_count_all()
                lengths[offset : offset + size] = _segment_lengths(segment, fieldname, size)
            found = self._lengths[fieldname] = _frozen(lengths)
        return found

    def column(self, reader, fieldname: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(document numbers, value numbers, values) of a sortable field; a comma-separated
        value gives a pair per value: facet counts become one bincount."""
        found = self._columns.get(fieldname)
        if found is None:
            docs, codes, values, index = [], [], [], {}
            column = reader.column_reader(fieldname)
            for docnum in range(self.doccount):
                value = column[docnum]
                if isinstance(value, bytes):
                    value = value.decode("utf-8")
                for v in value.split(",") if "," in value else (value,):
                    if v:
                        if v not in index:
                            index[v] = len(values)
                            values.append(v)
                        docs.append(docnum)
                        codes.append(index[v])
            found = (
                _frozen(np.array(docs, dtype=np.int64)),
                _frozen(np.array(codes, dtype=np.int64)),
                values,
            )
            self._columns[fieldname] = found
        return found


def _segment_lengths(segment, fieldname: str, size: int) -> np.ndarray:
    """One segment's lengths of fieldname (0: no such field in that document)."""
    try:
        # Whoosh keeps the lengths as a column of one byte per document: read it whole.
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = segment._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        codes = np.zeros(size, dtype=np.uint8)
        if column is not None:
            count = min(column._count, size)
            codes[:count] = np.frombuffer(column._dbfile.get(column._basepos, count), dtype=np.uint8)
        return _LENGTH_OF_BYTE[codes]
    except (AttributeError, ImportError, TypeError, ValueError):
        # Another codec: one document at a time through the public API.
        return np.array(
            [segment.doc_field_length(d, fieldname, 0) or 0 for d in range(size)], dtype=np.float64
        )


def _position_decoder(format_):
    """Whoosh's Positions.decode_positions with the running sum done by accumulate (C)
    instead of a Python loop. Another format keeps its own decoder."""
    if type(format_) is not Positions:
        return format_.decode_positions
    loads = pickle.loads

    def decode(value: bytes) -> list[int]:
        # An int count, then the pickled gaps (stored without pickle's final STOP byte)
        if not value.endswith(b"."):
            value += b"."
        return list(accumulate(loads(value[_INT_SIZE:])))

    return decode


def _decode_block(format_, values) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, positions) of a block's values: the positions of posting i are
    positions[offsets[i]:offsets[i + 1]] (int32: less than half the memory of the pickled
    values they replace in the cache).

    Whoosh stores each posting's positions as a count and a pickled list of gaps. Pickle
    has no position-dependent state between lists, so the block's lists, each without its
    STOP byte, inside one MARK ... LIST frame unpickle in a single call instead of one call
    per posting; the running sums are then one cumsum. Anything unexpected
    (a value without STOP, counts that disagree) takes Whoosh's decoder per value.
    """
    lists = None
    if type(format_) is Positions and all(v.endswith(b".") for v in values):
        try:
            lists = pickle.loads(b"(" + b"".join(v[_INT_SIZE:-1] for v in values) + b"l.")
        except Exception:  # noqa: BLE001 - the per-value decoder below says what is wrong
            lists = None
        if lists is not None:
            counts = np.frombuffer(b"".join(v[:_INT_SIZE] for v in values), dtype=">u4")
            lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
            if len(lists) != len(values) or not np.array_equal(counts, lens):
                lists = None
            else:
                gaps = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lens.sum()))
                offsets = np.concatenate(([0], np.cumsum(lens)))
                total = np.cumsum(gaps)
                base = np.concatenate(([0], total))[offsets[:-1]]
                return _frozen(offsets.astype(np.int32)), _frozen((total - np.repeat(base, lens)).astype(np.int32))
    decode = _position_decoder(format_)
    lists = [decode(v) for v in values]
    lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lens.sum()))
    return _frozen(np.concatenate(([0], np.cumsum(lens))).astype(np.int32)), _frozen(flat.astype(np.int32))


class _Packed:
    """A block's raw position values in one bytes object, until a phrase needs them decoded:
    kept as a tuple of small bytes objects they cost ~50 bytes of memory a posting, more
    than twice their size, and a server's caches would grow long after its first searches."""

    __slots__ = ("blob", "ends")

    def __init__(self, values):
        self.blob = b"".join(values)
        self.ends = np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values)))

    def __len__(self) -> int:
        return len(self.ends)

    def values(self) -> list[bytes]:
        ends = self.ends.tolist()
        blob = self.blob
        return [blob[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def _count(values) -> int:
    """Postings in a kept entry: a block's packed raw values, or a term's decoded
    (offsets, positions)."""
    return len(values) if isinstance(values, _Packed) else len(values[0]) - 1


def _leaf(matcher):
    # Deletions: SegmentReader wraps the stored postings in a FilterMatcher; the caller
    # keeps live documents only.
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def _blocks(matcher):
    """(ids, weights, where, values) per block of a term's postings, in order (local numbers).

    where finds the block's values again later: the block's position for Whoosh's block
    reader (read as Whoosh reads it: ids, then weights or values), or a function returning
    the values.
    """
    matcher = _leaf(matcher)
    if isinstance(matcher, W3LeafMatcher):
        position = matcher._baseoffset  # where reset() read the first block
        while matcher.is_active():
            matcher._read_data()  # one unpickling gives the ids, frequencies and values
            ids = matcher._data[0]
            if not matcher._byteids:  # stored as gaps: Whoosh sums them in a Python loop
                ids = np.cumsum(np.asarray(ids, dtype=np.int64))
            matcher._read_weights()
            matcher._read_values()
            yield ids, matcher._weights, position, matcher._values
            position = matcher._nextoffset
            matcher._next_block()
        return
    if isinstance(matcher, ListMatcher):  # short posting lists are stored inline
        ids = list(matcher._ids)
        weights = matcher._weights if matcher._weights is not None else [1.0] * len(ids)
        values = matcher._values
        if ids:
            yield ids, list(weights), (lambda: values), values
        return
    # Any other matcher: one posting at a time through the public API.
    ids, weights, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    if ids:
        yield ids, weights, (lambda: values), values


# --- one IndexData per index generation, shared by threads ------------------------------------

# The live index and, during a swap, the one before it (engine/shared.py: bounded, locked).
_DATA = shared.PerGeneration(per_generation=1, generations=2)


def _generation_key(reader) -> tuple:
    # Segment ids are random per segment; a deletion changes the deleted count: together
    # they name exactly what the reader sees.
    return tuple(
        (segment.segment().segment_id(), segment.doc_count_all(), segment.doc_count())
        for segment, _offset in reader.leaf_readers()
    )


def for_reader(reader) -> IndexData:
    """The shared IndexData of what reader sees (built on first use)."""
    return _DATA.get(_generation_key(reader), "arrays", lambda: IndexData(reader))
