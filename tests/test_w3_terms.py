"""The index run's terms writer (indexer/w3_terms.py) writes Whoosh's files byte for byte.

Both writers get the same documents and the same segment name; every file of the index they
leave must then be identical, not only what a searcher reads (tests/test_segment_writer.py).
The documents are the bundled corpus, plus generated ones giving terms of every block shape:
one posting, a block just under, at and over the codec's block limit, exactly two full
blocks, and weights that differ within a block (a boosted document).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kmsearch.indexer import forked, term_flush
from kmsearch.indexer.segment_writer import GroupedSegmentWriter
from kmsearch.indexer.w3_terms import terms_writer
from whoosh import index
from whoosh.codec import base
from whoosh.writing import SegmentWriter

from kmsearch.engine.schema import get_schema
from tests.test_segment_writer import docs  # noqa: F401 - the bundled corpus, as fields

LIMIT = 128  # the whoosh3 codec's postings per block


def _generated(base_doc: dict, count: int) -> list[dict]:
    """count documents: word k (k = 1..) is in the documents whose number is below
    its limit, so each word has as many postings as its limit says."""
    limits = {"หนึ่ง": 1, "ใต้": LIMIT - 1, "เต็ม": LIMIT, "เกิน": LIMIT + 1, "สองเต็ม": 2 * LIMIT,
              "ทุกฉบับ": count}
    out = []
    for n in range(count):
        words = [w for w, limit in limits.items() if n < limit]
        text = " ".join(words * (1 + n % 3)) + f" เลข{n}"
        out.append(dict(base_doc, doc_id=f"{n:016x}", key=f"/gen/{n}", title=f"ฉบับ {n}",
                        content=text, runs=text, **({"_boost": 1.3} if n % 7 == 3 else {})))
    return out


def _files(folder: Path, writer_class, documents, monkeypatch) -> dict[str, bytes]:
    monkeypatch.setattr(base.Segment, "_random_id", classmethod(lambda cls, size=16: "s" * size))
    monkeypatch.setattr(term_flush, "MIN_FORKED_TERMS", 1)  # these few terms are split too
    folder.mkdir()
    ix = index.create_in(str(folder), get_schema())
    writer = writer_class(ix, compound=False)
    for fields in documents:
        writer.add_document(**fields)
    writer.commit()
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.endswith(".toc")}


@pytest.mark.parametrize("how", ["one process", "forked", "child fails"])
@pytest.mark.parametrize("which", ["corpus", "generated"])
def test_every_file_is_whooshs_own(tmp_path, monkeypatch, docs, which, how):  # noqa: F811
    """Written in one process, with a forked child encoding part of the terms, or with a
    child that fails (its part then written by the parent): the same files as Whoosh's."""
    documents = docs if which == "corpus" else _generated(docs[0], 2 * LIMIT + 44)
    whoosh = _files(tmp_path / "whoosh", SegmentWriter, documents, monkeypatch)
    children, results = [], []
    start = forked.start

    def start_recorded(*args):
        child = start(*args) if how != "one process" else None
        if child is not None:
            result = child.result
            child.result = lambda: results.append(result()) or results[-1]
        children.append(child)
        return child

    monkeypatch.setattr(forked, "start", start_recorded)
    _lengths_read_here_only(monkeypatch)
    if how == "child fails":
        monkeypatch.setattr(term_flush, "_encode", lambda *args: 1 / 0)  # in the child
    grouped = _files(tmp_path / "grouped", GroupedSegmentWriter, documents, monkeypatch)
    assert len(children) == 1 and (children[0] is None) == (how == "one process")
    assert [r is None for r in results] == {"one process": [], "forked": [False], "child fails": [True]}[how]
    assert {name.rsplit(".", 1)[-1] for name in whoosh} >= {"trm", "pst"}
    assert sorted(grouped) == sorted(whoosh)
    for name in whoosh:
        assert grouped[name] == whoosh[name], name


def _lengths_read_here_only(monkeypatch):
    """The segment's field lengths are read through file objects a forked child would share:
    reading them in the child fails it (and the forked case above then fails)."""
    here = os.getpid()
    reader_of = GroupedSegmentWriter.per_document_reader

    def checked(self):
        reader = reader_of(self)
        doc_field_length = reader.doc_field_length

        def read(*args, **kwargs):
            if os.getpid() != here:
                raise AssertionError("a forked child read the segment's files")
            return doc_field_length(*args, **kwargs)

        reader.doc_field_length = read
        return reader

    monkeypatch.setattr(GroupedSegmentWriter, "per_document_reader", checked)


def test_it_writes_only_for_the_whoosh3_codec(tmp_path):
    ix = index.create_in(str(tmp_path), get_schema())
    writer = ix.writer()
    try:
        assert terms_writer(writer.fieldwriter) is not None
        assert terms_writer(object()) is None
        writer.fieldwriter._codec._inlinelimit = 2  # would inline terms of one posting
        assert terms_writer(writer.fieldwriter) is None
    finally:
        writer.cancel()


def test_the_child_gets_the_terms_after_the_parents_share():
    class Term:
        def __init__(self, n):
            self.docs = range(n)

    items = [(("content", b"%d" % n), Term(n)) for n in (1, 1, 1, 600, 1, 1)]  # costs 201,..,800,..
    assert term_flush._split_point(items, 0.45) == 4  # 201 * 3 + 800 >= 0.45 * 1807
    assert term_flush._split_point(items, 0.1) == 1
    assert term_flush._split_point(items[:1], 0.45) == 1
