"""A Whoosh segment writer that keeps postings grouped by term instead of in one sorted pool.

Whoosh's SegmentWriter collects every posting of a run as a 5-tuple in a PostingPool, sorts
the tuples, spills them past `limitmb` into run files pickled one tuple at a time, merges the
runs through a heap and then, for each posting, looks the document's field length up in the
length column before handing it to the codec. At 2,000 documents that is two million
postings (the trigram field of the substring fallback alone is 1.4 million of them) and most
of an index run's time.

Here postings are grouped per term (documents come in docnum order, so each term's list is
already sorted): the fast paths' postings kept per document and inverted into terms when
needed (doc_postings.py), the others appended to their term as they arrive. They are spilled
past the limit one term at a time (one pickle per term, not per posting), and written term by
term at the end (term_flush.py). The codec, its files and what a searcher reads are Whoosh's
own: tests/test_segment_writer.py compares every term, posting, length and stored field with
an index written by Whoosh's writer, and tests/test_w3_terms.py every file, byte for byte.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import pickle
from array import array

from kmsearch.indexer.doc_postings import FieldPostings
from kmsearch.indexer.term_flush import field_lengths, write_terms
from whoosh import formats
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

# Rough bytes held per posting and per term (arrays and their Python objects), to decide
# when to spill: the same role as Whoosh's limitmb, and the same meaning in megabytes.
_POSTING_BYTES = 20
_SAME_POSTING_BYTES = 8  # a posting that shares its term's weight and value: its id only
_TERM_BYTES = 400


class _Term:
    """The postings of one (field, term) in docnum order: ids, weights, value bytes.

    A term whose every posting has one weight and one value (a trigram: weight 1, frequency
    1) keeps only its ids, and `same` holds the (weight, value) they share.

    A term inverted from a field's postings (doc_postings.FieldPostings) shares that field's
    blob with the field's other terms: its values are blob[starts[i]:ends[i]]. It gets a
    blob of its own (_own) only before it changes or is spilled; the flush only reads it.
    """

    __slots__ = ("docs", "weights", "ends", "blob", "same", "ordered", "starts")

    def __init__(self, same: tuple[float, bytes] | None = None):
        self.docs = array("q")
        self.same = same
        self.ordered = True  # docnums ascending: documents arrive in docnum order
        self.starts = None
        if same is None:
            self.weights = array("d")
            self.ends = array("Q")  # end of each posting's value in blob
            self.blob = bytearray()
        else:
            self.weights = self.ends = self.blob = None

    @classmethod
    def inverted(cls, docs: array, weights: array, starts: array, ends: array, blob: bytes) -> _Term:
        """A term as FieldPostings.inverted gives it, its values in a blob shared."""
        term = cls.__new__(cls)
        term.docs, term.weights, term.starts, term.ends, term.blob = docs, weights, starts, ends, blob
        term.same = None
        term.ordered = True  # FieldPostings keeps each term's postings in the order added
        return term

    def _values(self) -> list[bytes]:
        if self.starts is not None:
            blob, starts = self.blob, self.starts
        else:
            blob, starts = bytes(self.blob), [0, *self.ends[:-1]]
        return [blob[a:b] for a, b in zip(starts, self.ends, strict=True)]

    def _own(self) -> None:
        """Values in a blob of this term's own, ends counted from 0 (as add and extend keep
        them), instead of in the field's shared blob."""
        if self.starts is not None:
            values = self._values()
            self.blob = bytearray(b"".join(values))
            self.ends = array("Q", itertools.accumulate(map(len, values)))
            self.starts = None

    def add(self, docnum, weight, vbytes):
        self._own()
        if self.docs and docnum < self.docs[-1]:
            self.ordered = False
        if self.same is not None:
            if (weight, vbytes or b"") == self.same:
                self.docs.append(docnum)
                return
            self._vary()
        self.docs.append(docnum)
        self.weights.append(weight)
        if vbytes:
            self.blob += vbytes
        self.ends.append(len(self.blob))

    def _vary(self) -> None:
        """Give up the shared weight and value: store them per posting from now on."""
        weight, value = self.same
        n = len(self.docs)
        self.same = None
        self.weights = array("d", [weight]) * n
        self.blob = bytearray(value * n)
        self.ends = array("Q", range(len(value), len(value) * n + 1, len(value))) if value else array("Q", [0]) * n

    def dump(self) -> tuple:
        self._own()
        if self.same is not None:
            return self.ordered, self.docs.tobytes(), self.same
        return self.ordered, self.docs.tobytes(), self.weights.tobytes(), self.ends.tobytes(), bytes(self.blob)

    @classmethod
    def load(cls, state: tuple) -> _Term:
        if len(state) == 3:
            term = cls(state[2])
        else:
            term = cls()
            term.weights.frombytes(state[2])
            term.ends.frombytes(state[3])
            term.blob = bytearray(state[4])
        term.ordered = state[0]
        term.docs.frombytes(state[1])
        return term

    def extend(self, other: _Term) -> None:
        if not other.ordered or (self.docs and other.docs and other.docs[0] < self.docs[-1]):
            self.ordered = False
        if self.same is not None and other.same == self.same:
            self.docs.extend(other.docs)
            return
        self._own()
        other._own()
        if self.same is not None:
            self._vary()
        if other.same is not None:
            other._vary()
        base = len(self.blob)
        self.docs.extend(other.docs)
        self.weights.extend(other.weights)
        self.ends.extend(e + base for e in other.ends)
        self.blob += other.blob

    def columns(self) -> tuple[array, list[float], list[bytes]]:
        """(docnums, weights, values) in docnum order."""
        n = len(self.docs)
        if self.same is not None:
            weight, value = self.same
            docs, weights, values = self.docs, [weight] * n, [value] * n
        else:
            docs, weights, values = self.docs, list(self.weights), self._values()
        if not self.ordered:  # e.g. the same term through two paths
            order = sorted(range(n), key=docs.__getitem__)
            docs = array("q", [docs[i] for i in order])
            weights = [weights[i] for i in order]
            values = [values[i] for i in order]
        return docs, weights, values


def _inverted_terms(postings: FieldPostings):
    """(text, _Term) per term of postings, in the order the terms were first seen."""
    make = _Term.inverted
    for text, docs, weights, starts, ends, blob in postings.inverted():
        yield text, make(docs, weights, starts, ends, blob)


class GroupedPostings:
    """Stands in for Whoosh's PostingPool: add() takes the same 5-tuples; the writer's fast
    paths add a document's terms of one field at once (add_field_terms, add_same)."""

    def __init__(self, tempstore, limitmb: int = 128):
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.terms: dict[tuple[str, bytes], _Term] = {}
        # Terms added by the fast paths, keyed by text (encoded once per term, when folded
        # into self.terms): field -> its postings document by document (inverted when folded),
        # and (field, (weight, value)) -> text -> ids.
        self.texts: dict[str, FieldPostings] = {}
        self.same: dict[tuple[str, tuple[float, bytes]], dict[str, array]] = {}
        self.runs: list[str] = []
        self.fieldnames: set[str] = set()

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        key = (fieldname, tbytes)
        term = self.terms.get(key)
        if term is None:
            term = self.terms[key] = _Term()
            self.fieldnames.add(fieldname)
            self.size += _TERM_BYTES + len(tbytes)
        term.add(docnum, weight, vbytes)
        self.size += _POSTING_BYTES + (len(vbytes) if vbytes else 0)
        if self.size > self.limit:
            self._spill()

    def add_field_terms(self, fieldname: str, docnum: int, texts, counts, values,
                        field_boost: float = 1.0, boost: float = 1.0) -> None:
        """Postings of one document in one field: per term its text, its count and its value
        bytes; each weighs float(count) * field_boost * boost, as in Whoosh."""
        postings = self.texts.get(fieldname)
        if postings is None:
            postings = self.texts[fieldname] = FieldPostings()
            self.fieldnames.add(fieldname)
        nbytes = len(postings.blob)
        new = postings.add(docnum, texts, counts, values, field_boost, boost)
        # What the per-term lists it becomes when folded hold (the texts' own size aside)
        self.size += new * _TERM_BYTES + len(texts) * _POSTING_BYTES + len(postings.blob) - nbytes
        if self.size > self.limit:
            self._spill()

    def add_same(self, fieldname: str, words, docnum: int, same: tuple[float, bytes]) -> None:
        """One posting of docnum for each of words, all with the weight and value of same."""
        group = self.same.get((fieldname, same))
        if group is None:
            group = self.same[(fieldname, same)] = {}
            self.fieldnames.add(fieldname)
        before = len(group)
        for word in words:
            ids = group.get(word)
            if ids is None:
                ids = group[word] = array("q")
            ids.append(docnum)
        self.size += (len(group) - before) * _TERM_BYTES + len(words) * _SAME_POSTING_BYTES
        if self.size > self.limit:
            self._spill()

    def _fold(self) -> None:
        """Move the fast paths' terms into self.terms, keyed by encoded text as Whoosh's."""
        # Without the cyclic garbage collector: folding creates hundreds of thousands of
        # objects at once, none of them garbage, and the collections they set off went
        # through the whole heap again and again (0.9 s of 1.5 s at 5,931 text files).
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._fold_terms()
        finally:
            if enabled:
                gc.enable()

    def _fold_terms(self) -> None:
        terms = self.terms
        pending = [(fieldname, _inverted_terms(postings)) for fieldname, postings in self.texts.items()]
        for (fieldname, same), group in self.same.items():
            items = []
            for text, ids in group.items():
                term = _Term(same)
                term.docs = ids
                items.append((text, term))
            pending.append((fieldname, items))
        for fieldname, items in pending:
            for text, term in items:
                key = (fieldname, text.encode("utf-8"))
                found = terms.get(key)
                if found is None:
                    terms[key] = term
                else:  # the same term through two paths (e.g. a boosted document)
                    found.extend(term)
        self.texts = {}
        self.same = {}

    def _spill(self) -> None:
        self._fold()
        name = f"grouped-{len(self.runs)}.run"
        with self.tempstore.create_file(name).raw_file() as f:
            for key in sorted(self.terms):
                pickle.dump((key, self.terms[key].dump()), f, pickle.HIGHEST_PROTOCOL)
        self.runs.append(name)
        self.terms = {}
        self.size = 0

    def _read_run(self, name):
        with self.tempstore.open_file(name).raw_file() as f:
            while True:
                try:
                    key, state = pickle.load(f)
                except EOFError:
                    return
                yield key, _Term.load(state)

    def sorted_in_memory(self) -> list[tuple[tuple[str, bytes], _Term]] | None:
        """((fieldname, term bytes), _Term) in term order when no run was spilled, else None."""
        self._fold()
        return None if self.runs else sorted(self.terms.items())

    def sorted_terms(self):
        """((fieldname, term bytes), _Term) in term order, runs merged."""
        in_memory = self.sorted_in_memory()
        if in_memory is not None:
            yield from in_memory
            return
        if self.terms:
            self._spill()
        streams = [self._read_run(name) for name in self.runs]
        merged = heapq.merge(*streams, key=lambda kv: kv[0])
        current_key, current = None, None
        for key, term in merged:
            if key == current_key:
                current.extend(term)  # runs are in docnum order: later run, later docs
                continue
            if current is not None:
                yield current_key, current
            current_key, current = key, term
        if current is not None:
            yield current_key, current

    def cleanup(self) -> None:
        for name in self.runs:
            try:
                self.tempstore.delete_file(name)
            except OSError:
                pass
        self.runs = []
        self.terms = {}
        self.texts = {}
        self.same = {}


class GroupedSegmentWriter(SegmentWriter):
    """SegmentWriter with GroupedPostings as its pool, analyzers' fast paths and a
    term-at-a-time flush."""

    def __init__(self, ix, limitmb: int = 128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = GroupedPostings(self._tempstorage, limitmb=limitmb)

    def add_document(self, **fields):
        """Whoosh's add_document, with the terms of fields whose analyzer offers a fast path
        (term_positions, term_counts, distinct_terms) taken without Token objects, or given
        already analysed in fields[ANALYSED] (see analysed_terms)."""
        self._check_state()
        schema = self.schema
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        docboost = self._doc_boost(fields)
        analysed = fields.get(ANALYSED) or {}
        docnum = self.docnum
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                if field.separate_spelling() or field.vector:
                    raise NotImplementedError(f"field {name!r}: spelling and vectors are not supported here")
                length = 0
                if field.indexed:
                    length = self._index_field(name, field, value, docnum,
                                               self._field_boost(fields, name, docboost), analysed.get(name))
                stored = fields.get(f"_stored_{name}", value)
                perdoc.add_field(name, field, stored if field.stored else None, length)
                if field.column_type and stored is not None:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(stored))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _index_field(self, name: str, field, value, docnum: int, boost: float, analysed=None) -> int:
        """Add the postings of one field of one document; returns its length (0 when the
        field is not scorable), as Whoosh's add_document counts it."""
        fmt, analyzer = field.format, field.analyzer
        if isinstance(value, str) and type(fmt) is formats.Frequency and hasattr(analyzer, "distinct_terms"):
            words = analyzer.distinct_terms(value)
            # each term once: frequency 1, weight 1.0 (one token's boost) times the boosts
            self.pool.add_same(name, words, docnum, (1.0 * fmt.field_boost * boost, pack_uint(1)))
            return len(words) if field.scorable else 0
        # Terms analysed where the document was read count only if they were analysed the
        # way this index's own field analyses (an older index keeps its pickled schema).
        terms = analysed[1:] if analysed is not None and analysed[0] == signature(field) else None
        if terms is None and isinstance(value, str):
            terms = analysed_terms(field, value)
        if terms is not None:
            texts, counts, values = terms
            # Whoosh's weight: one token boost (1.0) per occurrence, times the field's and
            # the document's boosts, in that order
            self.pool.add_field_terms(name, docnum, texts, counts, values, fmt.field_boost, boost)
            length = sum(counts)
            return length if field.scorable else 0
        length = 0
        add = self.pool.add
        for tbytes, freq, weight, vbytes in field.index(value):
            add((name, tbytes, docnum, weight * boost, vbytes))
            length += freq
        return length if field.scorable else 0

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        try:
            write_terms(self.fieldwriter, self.schema, field_lengths(lengths, self.docnum, self.pool.fieldnames),
                        self.pool)
        finally:
            self.fieldwriter.close()
            if lengths is not None:
                lengths.close()


# Key of add_document's fields holding terms analysed elsewhere: {field name:
# (signature(field), texts, counts, values)} as analysed_terms gives them. Whoosh's own writer
# ignores fields whose names start with "_".
ANALYSED = "_analysed"


def signature(field) -> tuple[str, str]:
    """What decides how a field's terms are analysed and encoded: its analyzer and format
    classes (the analyzers with a fast path are stateless: equal whenever their class is)."""
    return (type(field.analyzer).__qualname__, type(field.format).__qualname__)


def analysed_terms(field, value: str) -> tuple[list[str], list[int], list[bytes]] | None:
    """(terms, their frequencies, their encoded values) of value in field, when the field's
    analyzer has a fast path (term_positions or term_counts) for its format; else None.

    What Whoosh's Positions/Frequency word_values build from the analyzer's tokens, without
    a Token per term. Runs in the index run or in an extraction worker (indexer/run.py)."""
    fmt, analyzer = field.format, field.analyzer
    kind = type(fmt)
    if kind is formats.Frequency and hasattr(analyzer, "term_counts"):
        counts = analyzer.term_counts(value)
        return list(counts), list(counts.values()), [pack_uint(c) for c in counts.values()]
    if kind in (formats.Frequency, formats.Positions) and hasattr(analyzer, "term_positions"):
        poses_of = analyzer.term_positions(value)
        counts = list(map(len, poses_of.values()))
        if kind is formats.Positions:
            one = _ONE_POSITION
            values = [one[p[0]] if len(p) == 1 else _encode_positions(p) for p in poses_of.values()]
        else:
            values = [pack_uint(c) for c in counts]
        return list(poses_of), counts, values
    return None


class _OnePosition(dict):
    """Positions.encode([pos]) by pos, computed once per position: most terms occur once."""

    def __missing__(self, pos: int) -> bytes:
        value = _encode_positions([pos])
        if len(self) < 100_000:
            self[pos] = value
        return value


_ONE_POSITION = _OnePosition()
_TWO = pack_uint(2)


def _encode_positions(poses: list[int]) -> bytes:
    """Whoosh's Positions.encode, the same bytes (the count, then the gaps between positions
    pickled), with less Python per call; two positions (a sixth of the terms) directly."""
    if len(poses) == 2:
        first, second = poses
        return _TWO + pickle.dumps([first, second - first], 2)
    gaps = []
    add = gaps.append
    last = 0
    for pos in poses:
        add(pos - last)
        last = pos
    return pack_uint(len(gaps)) + pickle.dumps(gaps, 2)
