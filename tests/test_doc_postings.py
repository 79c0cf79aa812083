"""FieldPostings (indexer/doc_postings.py) keeps a field's postings document by document and
inverts them per term only when the terms are needed. These tests hold it to what the
per-posting loop it replaced gave: for random documents, every term's docnums, weights and
values, in order, through a spill to run files, with boosts, and with the same term also
added through GroupedPostings' general path (add). The whole index it writes is compared with
Whoosh's own in tests/test_segment_writer.py and tests/test_w3_terms.py.
"""

from __future__ import annotations

import tempfile
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kmsearch.indexer.doc_postings import FieldPostings, PackedValues, packed
from kmsearch.indexer.segment_writer import GroupedPostings
from whoosh.filedb.filestore import FileStorage, RamStorage

WORDS = ["ก", "ขอ", "ภาษี", "a", "b", "เบี้ย", "ยังชีพ", "x" * 30, "ค่า", "น้ำ"]
BOOSTS = [1.0, 2.0, 0.5, 1.5, 3.7, 0.1]

documents = st.lists(
    st.tuples(
        st.sampled_from(["content", "title"]),
        st.lists(st.tuples(st.sampled_from(WORDS), st.integers(1, 40), st.binary(max_size=12)),
                 max_size=12, unique_by=lambda t: t[0]),
        st.sampled_from(BOOSTS),  # the field's boost
        st.sampled_from(BOOSTS),  # the document's boost
        st.booleans(),  # packed as an extraction worker sends them, or as lists
    ),
    max_size=25,
)


def _postings_of(doc):
    """(key, weight, value) of each term of doc, weighed as Whoosh weighs it."""
    fieldname, terms, field_boost, boost, _packed = doc
    for text, count, value in terms:
        yield (fieldname, text.encode()), float(count) * field_boost * boost, value


def _by_loop(docs) -> dict:
    """What the per-posting loop gave: per (field, term), its postings in the order added."""
    out: dict = {}
    for docnum, doc in enumerate(docs):
        for key, weight, value in _postings_of(doc):
            for column, item in zip(out.setdefault(key, ([], [], [])), (docnum, weight, value), strict=True):
                column.append(item)
    return out


def _add(pool: GroupedPostings, docnum: int, doc) -> None:
    fieldname, terms, field_boost, boost, pack = doc
    texts = [t for t, _c, _v in terms]
    counts = [c for _t, c, _v in terms]
    values = [v for _t, _c, v in terms]
    if pack:
        texts, counts, values = packed(texts, counts, values)
    pool.add_field_terms(fieldname, docnum, texts, counts, values, field_boost, boost)


def _columns(items) -> dict:
    return {key: tuple(list(c) for c in term.columns()) for key, term in items}


@settings(max_examples=150, deadline=None)
@given(documents)
def test_postings_are_the_per_posting_loops(docs):
    pool = GroupedPostings(RamStorage())
    for docnum, doc in enumerate(docs):
        _add(pool, docnum, doc)
    items = pool.sorted_in_memory()
    assert [key for key, _ in items] == sorted(_by_loop(docs))
    assert _columns(items) == {key: tuple(c) for key, c in _by_loop(docs).items()}


@settings(max_examples=60, deadline=None)
@given(documents, st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(BOOSTS), st.binary(max_size=6)),
                           max_size=25))
def test_spilled_and_through_two_paths(docs, general):
    """Spilled after every document (limit 0) and merged back, with some documents' terms
    given through the general path instead (one posting at a time, as Whoosh's pool takes
    them): each term's postings come out in docnum order, as one loop would have added them."""
    with tempfile.TemporaryDirectory() as folder:  # run files need a real file (raw_file)
        _spilled_and_through_two_paths(docs, general, FileStorage(folder))


def _spilled_and_through_two_paths(docs, general, storage):
    pool = GroupedPostings(storage, limitmb=0)
    expected: dict = {}
    spilled = 0  # documents with a posting: each is spilled to a run file of its own
    for docnum in range(max(len(docs), len(general))):
        if docnum < len(general) and docnum % 2:  # odd documents through the general path
            text, weight, value = general[docnum]
            pool.add(("content", text.encode(), docnum, weight, value))
            postings = [(("content", text.encode()), weight, value)]
        elif docnum < len(docs):
            _add(pool, docnum, docs[docnum])
            postings = list(_postings_of(docs[docnum]))
        else:
            continue
        spilled += bool(postings)
        for key, weight, value in postings:
            for column, item in zip(expected.setdefault(key, ([], [], [])), (docnum, weight, value), strict=True):
                column.append(item)
    assert len(pool.runs) == spilled
    got = _columns(pool.sorted_terms())
    pool.cleanup()
    assert got == {key: tuple(c) for key, c in expected.items()}


def test_terms_come_out_in_the_order_first_seen_with_their_postings():
    postings = FieldPostings()
    assert postings.add(7, ["b", "a"], [2, 1], [b"B7", b"A7"], 1.0, 1.0) == 2
    assert postings.add(9, *packed(["c", "b"], [3, 1], [b"", b"B9"]), 2.0, 0.5) == 1
    got = [(text, list(docs), list(weights), [blob[s:e] for s, e in zip(starts, ends, strict=True)])
           for text, docs, weights, starts, ends, blob in postings.inverted()]
    assert got == [
        ("b", [7, 9], [2.0, 1.0], [b"B7", b"B9"]),
        ("a", [7], [1.0], [b"A7"]),
        ("c", [9], [3.0], [b""]),
    ]


def test_a_document_whose_counts_or_values_do_not_match_its_terms_is_refused():
    with pytest.raises(ValueError, match="document 3: 2 terms, 1 counts, 2 values"):
        FieldPostings().add(3, ["a", "b"], [1], [b"", b""], 1.0, 1.0)
    with pytest.raises(ValueError, match="document 4: 1 terms, 1 counts, 2 values"):
        FieldPostings().add(4, ["a"], array("i", [1]), PackedValues(array("I", [0, 0]), b""), 1.0, 1.0)


def test_no_terms_inverts_to_nothing():
    postings = FieldPostings()
    postings.add(0, [], [], [], 1.0, 1.0)
    assert list(postings.inverted()) == []
