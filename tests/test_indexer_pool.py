"""Extraction in worker processes gives the same index as extraction in this process (the
workers also analyse the text: every posting is the same)."""

from pathlib import Path

import pytest
from kmsearch.indexer import run

from kmsearch.engine import indexstore
from kmsearch.engine.search import SearchService
from kmsearch.home import Home
from tests.test_segment_writer import _everything

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _index(tmp_path, name, monkeypatch, pool_min):
    monkeypatch.setattr(run, "POOL_MIN_FILES", pool_min)
    home = Home(tmp_path / name)
    report = run.index_paths(home, [CORPUS])
    service = SearchService(home)
    try:
        docs = {
            d.doc_id: (d.title, d.division, tuple(d.expert), d.audience, d.doc_type, d.updated)
            for d in service.documents("staff")
        }
        texts = {d: service.document(d, "staff").text for d in docs}
        hits = [h.doc_id for h in service.search("ภาษีที่ดินและสิ่งปลูกสร้าง", audience="staff", pagelen=25).hits]
    finally:
        service.close()
    everything = _everything(indexstore.open_current(home))
    for stored in everything["stored"]:
        stored.pop("indexed_at")  # the time of each run
    return report, docs, texts, hits, everything


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the bundled corpus is not there")
def test_pool_and_sequential_runs_build_the_same_index(tmp_path, monkeypatch):
    seq = _index(tmp_path, "sequential", monkeypatch, pool_min=10_000)
    pool = _index(tmp_path, "pool", monkeypatch, pool_min=1)
    assert seq[0].indexed == pool[0].indexed == len(seq[1]) > 20
    assert seq[0].failed == pool[0].failed == []
    assert seq[1:] == pool[1:]


def test_a_broken_file_is_reported_from_a_worker_and_the_rest_indexed(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "POOL_MIN_FILES", 1)
    root = tmp_path / "kb"
    root.mkdir()
    for i in range(3):
        (root / f"doc{i}.md").write_text(f"# เอกสาร {i}\n\nภาษีป้ายของร้านค้า {i}\n", "utf-8")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    report = run.index_paths(Home(tmp_path / "home"), [root])
    assert report.indexed == 3
    assert [p.path for p in report.failed] == [str(root / "broken.pdf")]
    assert "PDF" in report.failed[0].reason


def test_text_files_shared_between_one_worker_and_the_run_give_the_same_postings(tmp_path, monkeypatch):
    """On 2 cores a run of text files has one worker, and the run reads files itself while
    the worker's next result is not ready (tests/test_pool_here.py): the same index."""
    root = tmp_path / "kb"
    for n, path in enumerate(sorted(p for p in CORPUS.rglob("*") if p.suffix in (".md", ".txt", ".html"))):
        (root / f"d{n % 3}").mkdir(parents=True, exist_ok=True)
        (root / f"d{n % 3}" / f"{n:02}{path.suffix}").write_bytes(path.read_bytes())
    indexes = {}
    for name, pool_min in (("sequential", 10_000), ("shared", 1)):
        monkeypatch.setattr(run, "POOL_MIN_TEXT_FILES", pool_min)
        monkeypatch.setattr(run.os, "cpu_count", lambda: 2)
        home = Home(tmp_path / name)
        report = run.index_paths(home, [root])
        assert report.indexed >= 12 and not report.failed
        indexes[name] = _everything(indexstore.open_current(home))
        for stored in indexes[name]["stored"]:
            stored.pop("indexed_at")
    assert indexes["shared"] == indexes["sequential"]


def test_a_sources_key_is_resolved_once_and_travels_with_it_to_a_worker(tmp_path, monkeypatch):
    import pickle

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text("ภาษีป้าย\n", "utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    source = run.Source(tmp_path / "link" / "a.txt", tmp_path / "link", "link/a.txt")
    real = str((tmp_path / "real" / "a.txt").resolve())
    assert source.key == real
    copy = pickle.loads(pickle.dumps(source))  # as a job is sent to a worker process

    def no_resolving(self, strict=False):
        raise AssertionError("resolved again")

    monkeypatch.setattr(Path, "resolve", no_resolving)
    assert source.key == copy.key == real
    assert copy == source and hash(copy) == hash(source)
