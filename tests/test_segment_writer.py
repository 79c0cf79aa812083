"""GroupedSegmentWriter writes the index Whoosh's own SegmentWriter writes, posting for posting.

The index run uses it for speed (indexer/segment_writer.py); these tests build the same
documents with both writers, in one commit, spilled to run files, and across an update that
deletes, re-adds and merges segments, and compare everything a searcher reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kmsearch.indexer.run import Source, build_fields
from kmsearch.indexer.segment_writer import ANALYSED, GroupedSegmentWriter
from whoosh import index
from whoosh.writing import SegmentWriter

from kmsearch.engine.schema import get_schema

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".md", ".txt", ".html"))
    assert len(files) >= 5
    out = []
    for n, path in enumerate(files):
        fields = build_fields(Source(path, CORPUS, str(path)), {}, f"hash{n}")
        fields.pop("_ocr_read")
        fields["indexed_at"] = "2026-01-01T00:00:00+00:00"
        out.append(fields)
    # one scanned-looking document, so the folded OCR field has postings too
    out.append(dict(out[0], doc_id="f" * 16, key="/scan", folded="ลูกหนภาษปาย ทีเกียวข้อง", ocr="1/1"))
    # every kind of run the analyzer cuts: abbreviations, an era and a year, Latin, numbers
    tricky = "ตามพ.ร.บ. e-LAAS it's A4 1,234.5 พ.ศ.2562 แบบ ภ.ป.1 ๑๒๓ ขอรับเบี้ยยังชีพ ขอรับเบี้ยยังชีพ"
    out.append(dict(out[1], doc_id="e" * 16, key="/tricky", title=tricky, content=tricky, runs=tricky))
    return out


def _write(folder: Path, writer_class, batches, **kwargs):
    folder.mkdir()
    ix = index.create_in(str(folder), get_schema())
    for batch in batches:
        writer = writer_class(ix, **kwargs)
        for action, value in batch:
            if action == "add":
                writer.add_document(**value)
            elif action == "update":
                writer.update_document(**value)
            else:
                writer.delete_by_term("doc_id", value)
        writer.commit(optimize=True)
    return index.open_dir(str(folder))


def _everything(ix) -> dict:
    """What a searcher can read: every term's postings, field lengths and stored fields."""
    with ix.reader() as r:
        out = {"doc_count": r.doc_count_all(), "stored": list(r.all_stored_fields()), "postings": {}}
        for fieldname, tbytes in r.all_terms():
            m = r.postings(fieldname, tbytes)
            items = []
            while m.is_active():
                items.append((m.id(), m.weight(), m.value()))
                m.next()
            info = r.term_info(fieldname, tbytes)
            out["postings"][(fieldname, tbytes)] = (
                items, info.doc_frequency(), info.weight(), info.min_length(), info.max_length(),
                info.max_weight(),
            )
        for fieldname in r.schema.scorable_names():
            out[("total", fieldname)] = r.field_length(fieldname)
            if r.field_length(fieldname):  # Whoosh fails on the maximum of a field never filled
                out[("max", fieldname)] = r.max_field_length(fieldname)
            out[("lengths", fieldname)] = [r.doc_field_length(d, fieldname) for d in range(r.doc_count_all())]
    return out


def _with_a_boosted_document(docs):
    """docs, the fourth boosted: its postings weigh twice as much, so a term's postings no
    longer share one weight (the writer's path for such terms is then the general one)."""
    return [("add", dict(d, _boost=2.0) if n == 3 else d) for n, d in enumerate(docs)]


def test_one_commit_is_identical(tmp_path, docs):
    batches = [_with_a_boosted_document(docs)]
    whoosh = _everything(_write(tmp_path / "whoosh", SegmentWriter, batches))
    grouped = _everything(_write(tmp_path / "grouped", GroupedSegmentWriter, batches))
    assert any(f == "runs" for f, _ in whoosh["postings"]) and any(f == "folded" for f, _ in whoosh["postings"])
    assert grouped == whoosh


def test_spilled_runs_are_identical(tmp_path, docs):
    batches = [_with_a_boosted_document(docs)]
    whoosh = _everything(_write(tmp_path / "whoosh", SegmentWriter, batches))
    writer_runs = []

    class Counting(GroupedSegmentWriter):
        def _flush_segment(self):
            writer_runs.append(len(self.pool.runs))
            super()._flush_segment()

    grouped = _everything(_write(tmp_path / "grouped", Counting, batches, limitmb=1))
    assert writer_runs[0] >= 2  # the test spills, or it proves nothing
    assert grouped == whoosh


def test_updates_deletes_and_merges_are_identical(tmp_path, docs):
    first = [("add", d) for d in docs[: len(docs) // 2]]
    second = [("update", dict(docs[0], title="ชื่อใหม่ของเอกสาร"))]
    second += [("delete", docs[1]["doc_id"])] + [("add", d) for d in docs[len(docs) // 2 :]]
    whoosh = _everything(_write(tmp_path / "whoosh", SegmentWriter, [first, second]))
    grouped = _everything(_write(tmp_path / "grouped", GroupedSegmentWriter, [first, second]))
    assert grouped == whoosh


def test_terms_analysed_in_a_worker_give_the_identical_index(tmp_path, docs):
    """Documents whose terms were analysed where they were read (run._build_and_analyse,
    in an extraction worker) give the index Whoosh writes from the text itself."""
    from kmsearch.indexer.run import analysed_fields

    analysed = [analysed_fields(dict(d)) for d in docs]
    assert all(set(a[ANALYSED]) == {"title", "content", "meta", "runs"} for a in analysed)
    whoosh = _everything(_write(tmp_path / "whoosh", SegmentWriter, [_with_a_boosted_document(docs)]))
    grouped = _everything(_write(tmp_path / "grouped", GroupedSegmentWriter, [_with_a_boosted_document(analysed)]))
    assert grouped == whoosh


def test_terms_analysed_another_way_are_not_used(tmp_path, docs):
    """The writer uses given terms only when its own field analyses the same way: terms given
    under another analyzer's signature are analysed again here; under the field's own
    signature, they are what gets written (so the test above proves the given terms used)."""
    from kmsearch.indexer.run import analysed_fields

    def tampered(sig):
        out = []
        for d in docs:
            a = analysed_fields(dict(d))
            _sig, texts, counts, values = a[ANALYSED]["content"]
            a[ANALYSED]["content"] = (sig(_sig), ["ปลอม", *texts[1:]], counts, values)
            out.append(a)
        return out

    whoosh = _everything(_write(tmp_path / "whoosh", SegmentWriter, [[("add", d) for d in docs]]))
    other = tampered(lambda s: ("OtherAnalyzer", s[1]))
    assert _everything(_write(tmp_path / "other", GroupedSegmentWriter, [[("add", d) for d in other]])) == whoosh
    same = tampered(lambda s: s)
    written = _everything(_write(tmp_path / "same", GroupedSegmentWriter, [[("add", d) for d in same]]))
    assert ("content", "ปลอม".encode()) in written["postings"]
