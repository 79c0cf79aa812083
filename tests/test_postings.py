"""Postings read in bulk (kmsearch.engine.postings): the same numbers Whoosh's matchers give,
kept once per index generation for every thread, and bounded."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh.formats import Positions

from kmsearch.engine import postings
from tests import core_fixtures

corpus_kb = core_fixtures.corpus_kb


@pytest.mark.parametrize("positions", [[0], [3, 4, 5], [1, 90, 91, 4000], list(range(0, 3000, 7))])
def test_positions_decode_as_whoosh_decodes_them(positions):
    fmt = Positions()
    value = fmt.encode(positions)
    assert postings._position_decoder(fmt)(value) == fmt.decode_positions(value) == positions
    # Whoosh stores the value without pickle's last byte: both read that too.
    assert postings._position_decoder(fmt)(value[:-1]) == positions


def _terms(reader, fieldname, limit=40):
    return [t for _i, t in zip(range(limit), reader.lexicon(fieldname), strict=False)]


LISTS = [[0], [46], [3, 49], list(range(0, 3000, 7)), [1, 90, 91, 4000], [2**20], [5, 46, 47]]


def test_a_block_of_positions_decodes_in_one_call_as_whoosh_decodes_each_value():
    fmt = Positions()
    offsets, flat = postings._decode_block(fmt, [fmt.encode(p) for p in LISTS])
    assert [flat[offsets[i] : offsets[i + 1]].tolist() for i in range(len(LISTS))] == LISTS
    assert [fmt.decode_positions(fmt.encode(p)) for p in LISTS] == LISTS


def test_values_stored_without_their_stop_byte_are_decoded_one_by_one():
    fmt = Positions()
    lists = [p for p in LISTS if p[-1] != 46]  # "K." would read as a STOP to Whoosh too
    values = [fmt.encode(p)[:-1] for p in lists]
    offsets, flat = postings._decode_block(fmt, values)
    assert [flat[offsets[i] : offsets[i + 1]].tolist() for i in range(len(lists))] == lists


def test_postings_and_positions_equal_whoosh_matchers(corpus_kb):
    searcher = corpus_kb.service._searcher()
    reader = searcher.reader()
    data = postings.for_reader(reader)
    checked = one_by_one = 0
    for btext in _terms(reader, "content"):
        m = reader.postings("content", btext)
        ids, weights, positions = [], [], {}
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            positions[m.id()] = m.value_as("positions")
            m.next()
        got = data.postings(reader, "content", btext)
        assert got.ids.tolist() == ids and got.weights.tolist() == pytest.approx(weights)
        # A few documents of the list, decoded posting by posting the first time; then
        # more, from the whole list decoded at once.
        for step in (5, 2, 3):
            wanted = ids[::step]
            keys = data.position_keys(reader, "content", btext, np.array(wanted, dtype=np.int64)).tolist()
            assert keys == sorted(keys)
            got_positions: dict[int, list[int]] = {}
            for key in keys:
                got_positions.setdefault(key >> 32, []).append(key & 0xFFFFFFFF)
            assert got_positions == {d: positions[d] for d in wanted}
            whole = ("content", btext, None) in data._values
            if step == 5:
                one_by_one += not whole
            else:
                assert whole
        checked += 1
    assert checked == 40
    assert one_by_one >= 3  # terms of five documents or more


def test_one_index_generation_is_read_once_for_every_thread(corpus_kb):
    service = corpus_kb.service
    ix = service._open_live()
    with ix.searcher() as a, ix.searcher() as b:  # two readers, as two server threads have
        assert a.reader() is not b.reader()
        assert postings.for_reader(a.reader()) is postings.for_reader(b.reader())


def test_the_postings_kept_are_bounded(corpus_kb, monkeypatch):
    monkeypatch.setattr(postings, "MAX_CACHED_POSTINGS", 30)
    reader = corpus_kb.service._searcher().reader()
    data = postings.IndexData(reader)  # a private one: the shared one stays as it is
    for btext in _terms(reader, "content", 200):
        data.postings(reader, "content", btext)
    largest = max(len(p.raw_ids) for p in data._postings.values())
    assert data._cached <= max(30, largest) and len(data._postings) < 200
    assert data._cached == sum(len(p.raw_ids) for p in data._postings.values())


def test_positions_are_read_again_when_the_kept_values_were_pushed_out(corpus_kb, monkeypatch):
    """A block's raw values dropped by the bound are read again from the index, through
    Whoosh's block reader, for either way of decoding."""
    monkeypatch.setattr(postings, "MAX_CACHED_VALUES", 1)
    searcher = corpus_kb.service._searcher()
    reader = searcher.reader()
    data = postings.IndexData(reader)  # a private one: the shared one stays as it is
    checked = 0
    for btext in _terms(reader, "content", 300):
        m = reader.postings("content", btext)
        expected = {}
        while m.is_active():
            expected[m.id()] = m.value_as("positions")
            m.next()
        ids = sorted(expected)
        if len(ids) < 5:
            continue
        data.postings(reader, "content", btext)
        for other in _terms(reader, "content", 3):  # push this term's values out
            data.postings(reader, "content", other)
        for wanted, search in ((ids[:1], None), (ids[::2], object())):
            keys = data.position_keys(reader, "content", btext, np.array(wanted, dtype=np.int64), search)
            got: dict[int, list[int]] = {}
            for key in keys.tolist():
                got.setdefault(key >> 32, []).append(key & 0xFFFFFFFF)
            assert got == {d: expected[d] for d in wanted}
        checked += 1
    assert checked >= 3
    assert len(data._values) == 1  # the bound keeps the newest block only
