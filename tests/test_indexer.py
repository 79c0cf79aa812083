"""The indexer: text extractors, metadata precedence, incremental runs, rebuilds, the lock."""

from __future__ import annotations

import threading
from pathlib import Path

import kmsearch.indexer.run as run
import pytest
from kmsearch.indexer.document import Extracted, ExtractionError
from kmsearch.indexer.extract import extract
from kmsearch.indexer.metadata import resolve
from kmsearch.indexer.run import index_paths

from kmsearch.engine import indexstore
from kmsearch.engine.search import SearchService
from kmsearch.home import Home
from kmsearch.km.knowledge_map import by_topic, load
from tests.core_fixtures import front_matter_doc, write_tree

THAI = "เทศบาลจัดเก็บภาษีป้ายทุกปี ผู้ประกอบการยื่นแบบภายในเดือนมีนาคม"


def stored(home: Home) -> dict[str, dict]:
    """Stored fields of every indexed document, by source path as given."""
    ix = indexstore.open_current(home)
    with ix.searcher() as s:
        return {f["path"]: f for f in s.all_stored_fields()}


def found(home: Home, text: str, audience: str = "staff") -> list[str]:
    """Paths of the documents a search finds (a fresh service each time)."""
    service = SearchService(home)
    try:
        return [h.path for h in service.search(text, audience=audience, pagelen=100).hits]
    finally:
        service.close()


def generations(home: Home) -> set[str]:
    return {p.name for p in home.indexes_dir.glob("gen-*")}


def current_name(home: Home) -> str:
    return (home.indexes_dir / "CURRENT").read_text().strip()


# --- text extractors ---------------------------------------------------------------------


def test_utf8_text(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(THAI, encoding="utf-8")
    assert extract(f).text == THAI


def test_utf8_with_bom_and_front_matter(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"\xef\xbb\xbf" + f"---\ntitle: หัวเรื่อง\n---\n{THAI}\n".encode())
    got = extract(f)
    assert got.text.strip() == THAI and "\ufeff" not in got.text
    assert got.properties["title"] == "หัวเรื่อง"


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_tis620_cp874_text(tmp_path, suffix):
    f = tmp_path / f"legacy{suffix}"
    f.write_bytes(THAI.encode("cp874"))
    assert extract(f).text.strip() == THAI
    f.write_bytes(THAI.encode("tis-620"))
    assert extract(f).text.strip() == THAI


@pytest.mark.parametrize(
    "data",
    [
        b"\x81\x82\x83\x84\xff\xfe garbage",  # neither UTF-8 nor cp874
        b"\x00\x01\x02\x80\x90\x9f",  # would decode as cp874 control characters
        "ภาษีป้าย".encode("utf-16"),  # a UTF-16 file (BOM ff fe)
    ],
)
def test_undecodable_text_is_a_failure_with_a_reason(tmp_path, data):
    f = tmp_path / "bad.txt"
    f.write_bytes(data)
    with pytest.raises(ExtractionError, match="undecodable"):
        extract(f)


def test_undecodable_file_fails_and_the_others_are_indexed(tmp_path):
    root = write_tree(tmp_path / "kb", {"ok.txt": THAI, "bad.txt": b"\x81\x82\x83\xff\xfe"})
    home = Home(tmp_path / "home")
    report = index_paths(home, [root])
    assert report.indexed == 1
    assert [(p.path, "undecodable" in p.reason) for p in report.failed] == [(str(root / "bad.txt"), True)]
    assert found(home, "ภาษีป้าย") == [str(root / "ok.txt")]


HTML = """<!doctype html>
<html><head><title>ชื่อในแท็บ</title>
<style>.x { color: red } ภาษีลับในสไตล์</style>
<script>var secret = "ข้อความในสคริปต์";</script>
</head>
<body><nav>เมนู</nav>
<h1>คำแนะนำ &amp; ภาษีป้าย</h1>
<p>ผู้ประกอบการ<b>ยื่นแบบ</b>ภายในเดือนมีนาคม</p>
<script>document.write("ไม่ควรเห็น")</script><noscript>เปิดจาวาสคริปต์</noscript>
<template><p>แม่แบบ</p></template>
</body></html>"""


def test_html_visible_text_only(tmp_path):
    f = tmp_path / "page.html"
    f.write_text(HTML, encoding="utf-8")
    got = extract(f)
    for hidden in ("color", "ภาษีลับในสไตล์", "ข้อความในสคริปต์", "ไม่ควรเห็น", "แม่แบบ", "ชื่อในแท็บ"):
        assert hidden not in got.text
    assert "ผู้ประกอบการยื่นแบบภายในเดือนมีนาคม" in got.text
    assert "คำแนะนำ & ภาษีป้าย" in got.text
    assert got.properties["_heading"] == "คำแนะนำ & ภาษีป้าย"  # the <h1> is the title


def test_html_title_from_title_tag_without_h1(tmp_path):
    f = tmp_path / "page.html"
    f.write_text("<html><head><title>ชื่อ  หน้า</title></head><body><p>เนื้อหา</p></body></html>")
    assert extract(f).properties["_heading"] == "ชื่อ หน้า"


def test_html_legacy_thai_charset(tmp_path):
    f = tmp_path / "old.html"
    f.write_bytes(
        b'<html><head><meta charset="tis-620"></head><body><h1>'
        + "ภาษีป้าย".encode("cp874")
        + b"</h1></body></html>"
    )
    assert "ภาษีป้าย" in extract(f).text


def test_html_is_indexed_with_its_h1_as_title(tmp_path):
    root = write_tree(tmp_path / "kb", {"page.html": HTML})
    home = Home(tmp_path / "home")
    assert index_paths(home, [root]).failed == []
    (doc,) = stored(home).values()
    assert doc["title"] == "คำแนะนำ & ภาษีป้าย"
    assert found(home, "ข้อความในสคริปต์") == []


def test_markdown_markers_are_removed(tmp_path):
    f = tmp_path / "a.md"
    f.write_text("# หัวเรื่อง\n\n- รายการ **ตัวหนา** [ลิงก์](http://x)\n> อ้างอิง\n", encoding="utf-8")
    got = extract(f)
    assert got.properties["_heading"] == "หัวเรื่อง"
    assert "**" not in got.text and "http://x" not in got.text and "#" not in got.text
    assert "ตัวหนา" in got.text and "ลิงก์" in got.text


# --- metadata precedence -----------------------------------------------------------------

MAP_CSV = (
    "no,topic,division,expert\n"
    "1,ภาษีป้าย,กองคลัง,ผู้อำนวยการกองคลัง/เจ้าพนักงานจัดเก็บรายได้\n"
)


def _resolve(root: Path, rel: str, extracted: Extracted, csv: str | None = MAP_CSV):
    if csv is not None:
        (root / "knowledge-map.csv").write_text(csv, encoding="utf-8")
    topics = by_topic(load(root / "knowledge-map.csv"))
    return resolve(root / rel, root, extracted, topics)


def test_sidecar_wins_over_front_matter(tmp_path):
    root = tmp_path / "kb"
    md = root / "กองช่าง" / "a.md"
    md.parent.mkdir(parents=True)
    md.write_text(
        front_matter_doc({"title": "จากฟรอนต์แมตเตอร์", "audience": "public", "doc_type": "guide"}, THAI)
    )
    (root / "กองช่าง" / "a.md.meta.yaml").write_text("title: จากไซด์คาร์\ndoc_type: form\n")
    meta = _resolve(root, "กองช่าง/a.md", extract(md))
    assert meta.title == "จากไซด์คาร์"  # sidecar
    assert meta.doc_type == "form"  # sidecar
    assert meta.audience == "public"  # front matter: the sidecar does not say
    assert meta.division == "กองช่าง"  # folder below the root


def test_document_properties_rank_below_sidecar_and_above_the_map(tmp_path):
    root = tmp_path / "kb"
    (root / "กองช่าง").mkdir(parents=True)
    # what the PDF extractor returns for a.pdf: its text and own properties (Title, Subject)
    props = Extracted(THAI, {"title": "ชื่อใน PDF", "topic": "ภาษีป้าย"})
    meta = _resolve(root, "กองช่าง/a.pdf", props)
    assert meta.title == "ชื่อใน PDF"
    assert meta.topic == "ภาษีป้าย"
    # the map, found by the document's topic, beats the folder fallback for division/expert
    assert meta.division == "กองคลัง"
    assert meta.expert == ["ผู้อำนวยการกองคลัง", "เจ้าพนักงานจัดเก็บรายได้"]
    (root / "กองช่าง" / "a.pdf.meta.yaml").write_text(
        "title: ชื่อในไซด์คาร์\ndivision: สำนักปลัด\n", encoding="utf-8"
    )
    meta = _resolve(root, "กองช่าง/a.pdf", props)
    assert meta.title == "ชื่อในไซด์คาร์"
    assert meta.division == "สำนักปลัด"  # sidecar beats the map
    assert meta.expert == ["ผู้อำนวยการกองคลัง", "เจ้าพนักงานจัดเก็บรายได้"]  # still the map


def test_front_matter_beats_the_knowledge_map(tmp_path):
    root = tmp_path / "kb"
    md = root / "x" / "a.md"
    md.parent.mkdir(parents=True)
    md.write_text(front_matter_doc({"topic": "ภาษีป้าย", "expert": "นิติกร"}, THAI))
    meta = _resolve(root, "x/a.md", extract(md))
    assert meta.expert == ["นิติกร"]  # front matter
    assert meta.division == "กองคลัง"  # map (front matter has none), not the folder x


def test_fallbacks_title_and_division(tmp_path):
    root = tmp_path / "kb"
    (root / "สำนักปลัด" / "งานย่อย").mkdir(parents=True)
    md = root / "สำนักปลัด" / "งานย่อย" / "a.md"
    md.write_text(f"บรรทัดนำ\n\n# หัวเรื่องแรก\n\n{THAI}\n", encoding="utf-8")
    meta = _resolve(root, "สำนักปลัด/งานย่อย/a.md", extract(md), csv=None)
    assert meta.title == "หัวเรื่องแรก"  # the first heading, not the first line
    assert meta.division == "สำนักปลัด"  # the folder just below the root, not the deepest
    assert meta.audience == "staff" and meta.expert == [] and meta.updated == ""
    txt = root / "top.txt"
    txt.write_text(f"\n\n  บรรทัดแรกของไฟล์  \n{THAI}\n", encoding="utf-8")
    meta = _resolve(root, "top.txt", extract(txt), csv=None)
    assert meta.title == "บรรทัดแรกของไฟล์"  # the first line of a text file
    assert meta.division == ""  # directly in the root: no division folder


@pytest.mark.parametrize(
    "expert, expected",
    [
        ("[หัวหน้าสำนักปลัด, นักพัฒนาชุมชน]", ["หัวหน้าสำนักปลัด", "นักพัฒนาชุมชน"]),
        ("หัวหน้าสำนักปลัด/นักพัฒนาชุมชน", ["หัวหน้าสำนักปลัด", "นักพัฒนาชุมชน"]),
        ("หัวหน้าสำนักปลัด / นักพัฒนาชุมชน", ["หัวหน้าสำนักปลัด", "นักพัฒนาชุมชน"]),
        ("นิติกร", ["นิติกร"]),
    ],
)
def test_expert_as_list_or_slash_string(tmp_path, expert, expected):
    root = tmp_path / "kb"
    root.mkdir()
    md = root / "a.md"
    md.write_text(f"---\nexpert: {expert}\n---\n{THAI}\n", encoding="utf-8")
    assert _resolve(root, "a.md", extract(md), csv=None).expert == expected


def test_metadata_reaches_the_index(tmp_path):
    root = write_tree(
        tmp_path / "kb",
        {
            "knowledge-map.csv": MAP_CSV,
            "กองช่าง/ป้าย.md": front_matter_doc(
                {"title": "คำแนะนำภาษีป้าย", "topic": "ภาษีป้าย", "audience": "public",
                 "doc_type": "guide", "updated": "2025-01-06"},
                THAI,
            ),
            "กองช่าง/ป้าย.md.meta.yaml": "updated: 2025-03-14\n",
        },
    )
    home = Home(tmp_path / "home")
    assert index_paths(home, [root]).failed == []
    doc = stored(home)[str(root / "กองช่าง/ป้าย.md")]
    assert doc["title"] == "คำแนะนำภาษีป้าย"
    assert doc["division"] == "กองคลัง"  # the map, by topic, beats the folder name
    assert doc["expert"].split(",") == ["ผู้อำนวยการกองคลัง", "เจ้าพนักงานจัดเก็บรายได้"]
    assert doc["audience"] == "public" and doc["doc_type"] == "guide"
    assert doc["updated"] == "2025-03-14"  # sidecar
    assert doc["filename"] == "ป้าย.md"
    # the knowledge map was copied to the home for the web
    assert home.knowledge_map_path.read_text(encoding="utf-8") == MAP_CSV


@pytest.mark.parametrize(
    "front, field",
    [
        ("audience: citizens", "audience"),
        ("doc_type: memo", "doc_type"),
        ("updated: 14/03/2568", "updated"),
        ("updated: 2025-02-30", "updated"),  # YAML itself would fail on it
        ("updated: 2024-13-01", "updated"),
        ("expert: {a: 1}", "expert"),
        ("title: [a, b]", "title"),
        ("title: 'unterminated", "YAML"),
        ("- just\n- a list", "mapping"),
    ],
)
def test_bad_front_matter_fails_the_file_with_the_field_named(tmp_path, front, field):
    root = write_tree(
        tmp_path / "kb",
        {"good.md": f"# ดี\n\n{THAI}\n", "bad.md": f"---\n{front}\n---\n\n{THAI}\n"},
    )
    home = Home(tmp_path / "home")
    report = index_paths(home, [root])
    assert report.indexed == 1
    (problem,) = report.failed
    assert problem.path == str(root / "bad.md")
    assert field in problem.reason, problem.reason
    assert list(stored(home)) == [str(root / "good.md")]


@pytest.mark.parametrize(
    "sidecar, field",
    [
        ("audience: everyone\n", "audience"),
        ("updated: yesterday\n", "updated"),
        ("title: [unclosed\n", "YAML"),
        ("updated: 2024-13-01\n", "updated"),
    ],
)
def test_bad_sidecar_fails_the_file_with_the_field_named(tmp_path, sidecar, field):
    root = write_tree(
        tmp_path / "kb",
        {"good.txt": THAI, "bad.txt": THAI, "bad.txt.meta.yaml": sidecar},
    )
    report = index_paths(Home(tmp_path / "home"), [root])
    assert report.indexed == 1
    (problem,) = report.failed
    assert problem.path == str(root / "bad.txt") and field in problem.reason


def test_unsupported_files_are_skipped_with_a_notice(tmp_path):
    root = write_tree(
        tmp_path / "kb",
        {
            "a.md": THAI,
            "sheet.xlsx": b"PK\x03\x04",
            "clip.MP4": b"\x00\x00\x00\x18ftyp",
            "README": "no extension",
            "a.md.meta.yaml": "title: ชื่อ\n",  # metadata, not a document
            "knowledge-map.csv": MAP_CSV,
            ".hidden/secret.md": THAI,
        },
    )
    report = index_paths(Home(tmp_path / "home"), [root])
    assert report.indexed == 1 and report.failed == []
    skipped = {Path(p.path).name: p.reason for p in report.skipped}
    assert set(skipped) == {"sheet.xlsx", "clip.MP4", "README"}
    assert all("not a supported type" in r for r in skipped.values())
    # a single unsupported file given by name is skipped too, and a missing path fails
    report = index_paths(Home(tmp_path / "home2"), [root / "sheet.xlsx", root / "nope.md"])
    assert [Path(p.path).name for p in report.skipped] == ["sheet.xlsx"]
    assert [(Path(p.path).name, p.reason) for p in report.failed] == [("nope.md", "no such file or folder")]


# --- incremental runs --------------------------------------------------------------------

DOCS = {
    "กองคลัง/a.md": front_matter_doc({"title": "เอกสารเอ"}, "ข้อความเรื่องภาษีป้าย"),
    "กองคลัง/b.md": front_matter_doc({"title": "เอกสารบี"}, "ข้อความเรื่องเบี้ยยังชีพ"),
    "กองช่าง/c.txt": "ข้อความเรื่องใบอนุญาตก่อสร้าง",
    "กองช่าง/d.html": "<h1>เอกสารดี</h1><p>ข้อความเรื่องขยะมูลฝอย</p>",
}


@pytest.fixture
def kb(tmp_path):
    """A fresh root of DOCS and an empty home (function scope: tests change them)."""
    root = write_tree(tmp_path / "kb", DOCS)
    return root, Home(tmp_path / "home")


@pytest.fixture
def extract_calls(monkeypatch):
    """Names of the files the indexer extracts (the real extractor still runs)."""
    calls: list[str] = []
    real = run.extract

    def spy(path, ocr=None):
        calls.append(path.name)
        return real(path, ocr)

    monkeypatch.setattr(run, "extract", spy)
    return calls


def test_unchanged_files_are_not_read_again(kb, extract_calls):
    root, home = kb
    first = index_paths(home, [root])
    assert (first.indexed, first.unchanged, first.failed) == (4, 0, [])
    before = stored(home)
    extract_calls.clear()
    again = index_paths(home, [root])
    assert (again.indexed, again.unchanged, again.removed, again.failed) == (0, 4, 0, [])
    assert extract_calls == []
    after = stored(home)
    for path, fields in before.items():
        assert after[path]["indexed_at"] == fields["indexed_at"]
        assert after[path]["content_hash"] == fields["content_hash"]


def test_changed_file_is_reindexed(kb, extract_calls):
    root, home = kb
    index_paths(home, [root])
    old_hash = stored(home)[str(root / "กองคลัง/a.md")]["content_hash"]
    (root / "กองคลัง/a.md").write_text(
        front_matter_doc({"title": "เอกสารเอ"}, "ข้อความใหม่เรื่องค่าธรรมเนียม"), encoding="utf-8"
    )
    extract_calls.clear()
    report = index_paths(home, [root])
    assert (report.indexed, report.unchanged) == (1, 3)
    assert extract_calls == ["a.md"]
    assert stored(home)[str(root / "กองคลัง/a.md")]["content_hash"] != old_hash
    assert found(home, "ค่าธรรมเนียม") == [str(root / "กองคลัง/a.md")]
    assert found(home, "ภาษีป้าย") == []
    assert len(stored(home)) == 4  # updated in place, not added twice


def test_changed_sidecar_reindexes_its_document(kb):
    root, home = kb
    index_paths(home, [root])
    (root / "กองช่าง/c.txt.meta.yaml").write_text("audience: public\n", encoding="utf-8")
    report = index_paths(home, [root])
    assert (report.indexed, report.unchanged) == (1, 3)
    assert stored(home)[str(root / "กองช่าง/c.txt")]["audience"] == "public"
    assert found(home, "ใบอนุญาตก่อสร้าง", audience="public") == [str(root / "กองช่าง/c.txt")]


def test_deleted_file_is_removed_when_its_folder_is_indexed_again(kb):
    root, home = kb
    index_paths(home, [root])
    (root / "กองคลัง/b.md").unlink()
    report = index_paths(home, [root])
    assert (report.indexed, report.unchanged, report.removed) == (0, 3, 1)
    assert str(root / "กองคลัง/b.md") not in stored(home)
    assert found(home, "เบี้ยยังชีพ") == []


def test_deleted_file_in_a_subfolder_indexed_again(kb):
    root, home = kb
    index_paths(home, [root])
    (root / "กองช่าง/c.txt").unlink()
    report = index_paths(home, [root / "กองช่าง"])
    assert report.removed == 1
    assert len(stored(home)) == 3


def test_file_that_now_fails_keeps_its_old_version(kb):
    root, home = kb
    index_paths(home, [root])
    (root / "กองคลัง/a.md").write_text("---\naudience: everyone\n---\nข้อความใหม่\n", encoding="utf-8")
    report = index_paths(home, [root])
    assert [p.path for p in report.failed] == [str(root / "กองคลัง/a.md")]
    assert "audience" in report.failed[0].reason
    assert found(home, "ภาษีป้าย") == [str(root / "กองคลัง/a.md")]
    # and so does a --rebuild
    report = index_paths(home, [root], rebuild=True)
    assert [p.path for p in report.failed] == [str(root / "กองคลัง/a.md")]
    assert found(home, "ภาษีป้าย") == [str(root / "กองคลัง/a.md")]
    assert len(stored(home)) == 4


def test_documents_of_other_paths_are_kept(kb, tmp_path):
    root, home = kb
    other = write_tree(tmp_path / "other", {"x.md": "เอกสารเรื่องน้ำประปา"})
    index_paths(home, [root])
    index_paths(home, [other])
    assert len(stored(home)) == 5
    report = index_paths(home, [other], rebuild=True)  # a rebuild keeps them too
    assert report.removed == 0
    assert len(stored(home)) == 5
    assert found(home, "ภาษีป้าย") == [str(root / "กองคลัง/a.md")]


# --- rebuilds ----------------------------------------------------------------------------


def test_rebuild_makes_a_new_generation_and_drops_the_old(kb):
    root, home = kb
    index_paths(home, [root])
    old = current_name(home)
    results = found(home, "ข้อความ")
    report = index_paths(home, [root], rebuild=True)
    assert (report.indexed, report.unchanged, report.failed) == (4, 0, [])
    new = current_name(home)
    assert new != old
    # The replaced generation stays until the next swap, for searches that read CURRENT
    # just before this one; the next rebuild drops it.
    assert generations(home) == {old, new}
    assert sorted(found(home, "ข้อความ")) == sorted(results)
    assert len(results) == 4
    index_paths(home, [root], rebuild=True)
    assert generations(home) == {new, current_name(home)}


def test_rebuild_drops_files_that_are_gone(kb):
    root, home = kb
    index_paths(home, [root])
    (root / "กองช่าง/d.html").unlink()
    report = index_paths(home, [root], rebuild=True)
    assert (report.indexed, report.removed) == (3, 1)
    assert found(home, "ขยะมูลฝอย") == []


def _failing_build_fields(monkeypatch, exc: BaseException, on_call: int = 3) -> list[int]:
    calls = [0]
    real = run.build_fields

    def flaky(source, topics, hash_, ocr=None):
        calls[0] += 1
        if calls[0] == on_call:
            raise exc
        return real(source, topics, hash_, ocr)

    monkeypatch.setattr(run, "build_fields", flaky)
    return calls


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failed_rebuild_leaves_the_live_index_untouched(kb, monkeypatch, exc):
    root, home = kb
    index_paths(home, [root])
    live = current_name(home)
    before = {q: found(home, q) for q in ("ข้อความ", "ภาษีป้าย", "ขยะมูลฝอย")}
    (root / "กองคลัง/a.md").write_text("ข้อความที่ยังไม่ควรเห็นเรื่องน้ำประปา", encoding="utf-8")
    calls = _failing_build_fields(monkeypatch, exc)
    with pytest.raises(type(exc)):
        index_paths(home, [root], rebuild=True)
    assert calls[0] == 3
    assert current_name(home) == live
    assert generations(home) == {live}, "no stray generation is left behind"
    assert {q: found(home, q) for q in before} == before
    assert found(home, "น้ำประปา") == []
    # and the next run works
    monkeypatch.undo()
    assert index_paths(home, [root], rebuild=True).failed == []
    assert found(home, "น้ำประปา") == [str(root / "กองคลัง/a.md")]


def test_failed_incremental_run_commits_nothing(kb, monkeypatch):
    root, home = kb
    index_paths(home, [root])
    for rel in ("กองคลัง/a.md", "กองคลัง/b.md", "กองช่าง/c.txt"):
        (root / rel).write_text("ข้อความแก้ไขเรื่องน้ำประปา", encoding="utf-8")
    _failing_build_fields(monkeypatch, RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        index_paths(home, [root])
    assert found(home, "น้ำประปา") == []
    assert found(home, "ภาษีป้าย") == [str(root / "กองคลัง/a.md")]


def test_open_search_service_sees_the_rebuilt_index(kb):
    root, home = kb
    index_paths(home, [root])
    service = SearchService(home)
    try:
        assert [h.path for h in service.search("ภาษีป้าย", audience="staff").hits] == [str(root / "กองคลัง/a.md")]
        (root / "กองคลัง/a.md").write_text("ข้อความเรื่องน้ำประปา", encoding="utf-8")
        index_paths(home, [root], rebuild=True)
        assert service.search("ภาษีป้าย", audience="staff").hits == []
        assert [h.path for h in service.search("น้ำประปา", audience="staff").hits] == [str(root / "กองคลัง/a.md")]
        # and an incremental run into the same generation (a refresh, not a reopen)
        (root / "กองคลัง/b.md").write_text("ข้อความเรื่องไฟฟ้าส่องสว่าง", encoding="utf-8")
        index_paths(home, [root])
        assert [h.path for h in service.search("ไฟฟ้าส่องสว่าง", audience="staff").hits] == [str(root / "กองคลัง/b.md")]
    finally:
        service.close()


def test_search_keeps_working_during_a_rebuild(kb, monkeypatch):
    root, home = kb
    index_paths(home, [root])
    service = SearchService(home)
    seen: list[list[str]] = []
    real = run.build_fields

    def searching(source, topics, hash_, ocr=None):
        seen.append([h.path for h in service.search("ภาษีป้าย", audience="staff").hits])
        return real(source, topics, hash_, ocr)

    monkeypatch.setattr(run, "build_fields", searching)
    try:
        index_paths(home, [root], rebuild=True)
    finally:
        service.close()
    assert seen == [[str(root / "กองคลัง/a.md")]] * 4


# --- one index run at a time -------------------------------------------------------------


def test_concurrent_index_runs_are_refused(kb, monkeypatch):
    root, home = kb
    index_paths(home, [root])
    outcome: list[BaseException | None] = []

    def second_run(n, total, path, ocr_pages):
        if n == 1:  # while the first run holds the lock
            try:
                index_paths(home, [root], rebuild=True)
                outcome.append(None)
            except BaseException as e:  # noqa: BLE001 - recorded for the assertion
                outcome.append(e)

    first = current_name(home)
    report = index_paths(home, [root], rebuild=True, progress=second_run)
    assert report.failed == []
    assert len(outcome) == 1 and isinstance(outcome[0], indexstore.IndexBusy)
    assert generations(home) == {first, current_name(home)}  # no third, half-built one


def test_index_run_in_another_thread_is_refused(kb):
    root, home = kb
    errors: list[BaseException] = []
    with indexstore.index_lock(home):
        t = threading.Thread(target=lambda: _record(errors, lambda: index_paths(home, [root])))
        t.start()
        t.join()
    assert len(errors) == 1 and isinstance(errors[0], indexstore.IndexBusy)
    assert index_paths(home, [root]).indexed == 4  # free again once the lock is released


def _record(errors, fn):
    try:
        fn()
    except BaseException as e:  # noqa: BLE001
        errors.append(e)


# --- more incremental cases --------------------------------------------------------------


def test_knowledge_map_change_reindexes_the_documents_it_describes(tmp_path):
    root = write_tree(
        tmp_path / "kb",
        {
            "knowledge-map.csv": MAP_CSV,
            "x/a.md": front_matter_doc({"topic": "ภาษีป้าย"}, THAI),
        },
    )
    home = Home(tmp_path / "home")
    index_paths(home, [root])
    assert stored(home)[str(root / "x/a.md")]["division"] == "กองคลัง"
    (root / "knowledge-map.csv").write_text(MAP_CSV.replace(",กองคลัง,", ",กองช่าง,"), encoding="utf-8")
    report = index_paths(home, [root])
    assert report.indexed == 1
    assert stored(home)[str(root / "x/a.md")]["division"] == "กองช่าง"


def test_empty_file_fails_with_a_reason(tmp_path):
    root = write_tree(tmp_path / "kb", {"empty.md": "---\ntitle: ว่าง\n---\n\n", "ok.md": THAI})
    report = index_paths(Home(tmp_path / "home"), [root])
    assert report.indexed == 1
    (problem,) = report.failed
    assert problem.path == str(root / "empty.md") and "no text" in problem.reason


def test_moved_file_is_indexed_at_its_new_place(kb):
    root, home = kb
    index_paths(home, [root])
    (root / "กองคลัง/a.md").rename(root / "กองช่าง/a.md")
    report = index_paths(home, [root])
    assert (report.indexed, report.removed) == (1, 1)
    assert found(home, "ภาษีป้าย") == [str(root / "กองช่าง/a.md")]
    assert stored(home)[str(root / "กองช่าง/a.md")]["division"] == "กองช่าง"


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_file_given_twice_is_indexed_once(kb, rebuild):
    root, home = kb
    if rebuild:
        index_paths(home, [root])
    report = index_paths(home, [root, root / "กองคลัง/a.md"], rebuild=rebuild)
    assert report.indexed == 4
    assert found(home, "ภาษีป้าย") == [str(root / "กองคลัง/a.md")]


def test_overlapping_folders_changed_file_is_indexed_once(kb):
    root, home = kb
    index_paths(home, [root])
    (root / "กองคลัง/a.md").write_text("ข้อความเรื่องภาษีป้ายฉบับแก้ไข", encoding="utf-8")
    index_paths(home, [root, root / "กองคลัง"])
    assert found(home, "ภาษีป้าย") == [str(root / "กองคลัง/a.md")]
    assert len(stored(home)) == 4


@pytest.mark.parametrize(
    "csv, reason",
    [("no,topic\n1,ภาษีป้าย\n", "missing column"), ("no,topic,division,expert\n1,,กองคลัง,x\n", "empty topic")],
)
def test_bad_knowledge_map_is_reported_and_the_documents_still_indexed(tmp_path, csv, reason):
    root = write_tree(
        tmp_path / "kb",
        {"knowledge-map.csv": csv, "x/a.md": front_matter_doc({"topic": "ภาษีป้าย"}, THAI)},
    )
    home = Home(tmp_path / "home")
    report = index_paths(home, [root])
    assert report.indexed == 1
    (problem,) = report.failed
    assert problem.path.endswith("knowledge-map.csv") and reason in problem.reason
    assert stored(home)[str(root / "x/a.md")]["division"] == "x"  # the folder fallback


def test_search_that_read_current_just_before_a_swap_still_works(kb, monkeypatch):
    root, home = kb
    index_paths(home, [root])
    service = SearchService(home)
    real_current = indexstore.current_generation
    real_open = indexstore.open_current
    state = {"opening": False, "swapped": False}

    def open_current(h):
        state["opening"] = True
        try:
            return real_open(h)
        finally:
            state["opening"] = False

    def current_generation(h):
        folder = real_current(h)
        if state["opening"] and not state["swapped"]:
            # another process's `kmsearch index --rebuild` finishes right now
            state["swapped"] = True
            monkeypatch.setattr(indexstore, "current_generation", real_current)
            monkeypatch.setattr(indexstore, "open_current", real_open)
            index_paths(home, [root], rebuild=True)
        return folder

    monkeypatch.setattr(indexstore, "current_generation", current_generation)
    monkeypatch.setattr(indexstore, "open_current", open_current)
    try:
        hits = service.search("ภาษีป้าย", audience="staff").hits
    finally:
        service.close()
    assert state["swapped"], "the rebuild was not placed in the window: rewrite this test"
    assert [h.path for h in hits] == [str(root / "กองคลัง/a.md")]


def test_document_list_follows_incremental_runs_and_rebuilds(tmp_path):
    root = write_tree(tmp_path / "kb", {"a.md": "# ก\n\nภาษีป้าย", "b.md": "# ข\n\nภาษีที่ดิน"})
    home = Home(tmp_path / "home")
    index_paths(home, [root])
    service = SearchService(home)
    try:
        assert len(service.documents("staff")) == 2
        assert len(service.documents("staff")) == 2  # the second answer comes from the cache
        (root / "c.md").write_text("# ค\n\nเบี้ยยังชีพ", encoding="utf-8")
        index_paths(home, [root])
        assert len(service.documents("staff")) == 3
        (root / "a.md").unlink()
        index_paths(home, [root], rebuild=True)
        assert sorted(d.title for d in service.documents("staff")) == ["ข", "ค"]
    finally:
        service.close()
