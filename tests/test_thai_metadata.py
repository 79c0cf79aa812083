"""Metadata as Thai offices write it: Thai document-type names, B.E. dates, Thai digits and
month names (CLI-CONTRACT.md, "Metadata of a document"), and implausible dates refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from kmsearch.indexer.run import index_paths

from kmsearch.cli import main as cli_main
from kmsearch.engine import indexstore
from kmsearch.engine.schema import DOC_TYPE_ALIASES, DOC_TYPE_LABELS, DOC_TYPES
from kmsearch.engine.search import SearchService
from kmsearch.engine.thaidate import ThaiDateError, parse_date, stored_date, thai_date
from kmsearch.home import Home
from tests.core_fixtures import front_matter_doc, write_tree

BODY = "เทศบาลจัดเก็บภาษีป้ายทุกปี ผู้ประกอบการยื่นแบบภายในเดือนมีนาคม"
TODAY = dt.date(2026, 11, 29)


# --- the date reader ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-12",  # ISO C.E.
        "2568-03-12",  # ISO B.E.
        "๒๕๖๘-๐๓-๑๒",  # Thai digits
        "๒๐๒๕-๐๓-๑๒",
        "12 มีนาคม 2568",  # full month name
        "12 มี.ค. 68",  # abbreviated, two-digit B.E. year
        "12 มี.ค. 2568",
        "๑๒ มีนาคม ๒๕๖๘",
        "วันที่ 12 มีนาคม พ.ศ. 2568",
        "12 มีค 68",  # dots left out
        " 12  มี. ค.  68 ",  # spaced as typed
        "12 มีนาคม 2025",  # a C.E. year with a Thai month name
    ],
)
def test_every_written_form_is_the_same_day(text):
    assert parse_date(text, today=TODAY) == dt.date(2025, 3, 12)


def test_every_month_name_full_and_short():
    for month, (full, short) in enumerate(
        zip(("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
             "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"),
            ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.",
             "พ.ย.", "ธ.ค."), strict=True),
        start=1,
    ):
        assert parse_date(f"1 {full} 2567", today=TODAY) == dt.date(2024, month, 1)
        assert parse_date(f"1 {short} 67", today=TODAY) == dt.date(2024, month, 1)


def test_be_leap_day_is_a_real_day():
    # 2567 is not a C.E. leap year but B.E. 2567 = 2024 is: convert the year first.
    assert parse_date("2567-02-29", today=TODAY) == dt.date(2024, 2, 29)
    assert parse_date("29 ก.พ. 67", today=TODAY) == dt.date(2024, 2, 29)


def test_a_date_object_with_a_be_year_is_converted():
    assert parse_date(dt.date(2568, 3, 12), today=TODAY) == dt.date(2025, 3, 12)
    assert parse_date(dt.datetime(2025, 3, 12, 9, 0), today=TODAY) == dt.date(2025, 3, 12)


@pytest.mark.parametrize(
    "text, words",
    [
        ("yesterday", "cannot read"),
        ("14/03/2568", "cannot read"),
        ("2568-02-30", "not a day of the calendar"),
        ("2025-13-01", "not a day of the calendar"),
        ("12 มีนาแคม 2568", "not a Thai month name"),
        ("2028-01-01", "more than a year in the future"),  # C.E. year in the future
        ("2300-01-01", "more than a year in the future"),  # read as C.E. 2300
        ("12 มีนาคม พ.ศ. 2300", "before B.E. 2400"),  # B.E. before 2400
        ("1800-01-01", "before B.E. 2400"),
        ("12 มี.ค. 2600", "more than a year in the future"),  # B.E. 2600 = 2057
    ],
)
def test_unreadable_or_implausible_dates_are_refused_in_plain_words(text, words):
    with pytest.raises(ThaiDateError, match=words):
        parse_date(text, today=TODAY)


def test_up_to_a_year_ahead_is_accepted():
    assert parse_date("2027-11-29", today=TODAY) == dt.date(2027, 11, 29)
    with pytest.raises(ThaiDateError):
        parse_date("2027-11-30", today=TODAY)


def test_shown_in_thai_and_read_back_from_old_indexes():
    assert thai_date(dt.date(2025, 3, 12)) == "12 มี.ค. 2568"
    assert thai_date(dt.date(2025, 3, 12), full=True) == "12 มีนาคม 2568"
    assert stored_date("2025-03-12") == dt.date(2025, 3, 12)
    # an index written before this change stored a B.E. date as typed
    assert stored_date("2568-03-12") == dt.date(2025, 3, 12)
    assert stored_date("") is None and stored_date("nonsense") is None


# --- the indexer ---------------------------------------------------------------------------


def _stored(home: Home) -> dict[str, dict]:
    ix = indexstore.open_current(home)
    with ix.searcher() as s:
        return {f["filename"]: f for f in s.all_stored_fields()}


def test_every_contract_alias_maps_to_its_code():
    expected = {
        "manual": {"คู่มือ"},
        "guide": {"คำแนะนำ", "คู่มือประชาชน", "ถาม-ตอบ"},
        "form": {"แบบฟอร์ม", "แบบคำร้อง"},
        "regulation": {"ระเบียบ", "ประกาศ", "คำสั่ง", "ข้อบัญญัติ", "เทศบัญญัติ"},
        "plan": {"แผน"},
        "note": {"บันทึกข้อความ", "หนังสือเวียน"},
        "report": {"รายงาน", "รายงานการประชุม"},
    }
    got: dict[str, set[str]] = {}
    for name, code in DOC_TYPE_ALIASES.items():
        got.setdefault(code, set()).add(name)
    assert got == expected
    assert set(DOC_TYPE_LABELS) == set(DOC_TYPES)


def test_thai_doc_type_names_and_dates_are_indexed_as_codes_and_iso(tmp_path):
    files = {}
    for n, name in enumerate(DOC_TYPE_ALIASES):
        files[f"d{n}.md"] = front_matter_doc({"title": f"เอกสาร {n}", "doc_type": name}, BODY)
    files["iso-be.md"] = front_matter_doc({"title": "ก", "updated": "2568-03-12"}, BODY)
    files["thai-digits.md"] = front_matter_doc({"title": "ข", "updated": "๒๕๖๘-๐๓-๑๒"}, BODY)
    files["month.txt"] = BODY
    files["month.txt.meta.yaml"] = "updated: 12 มี.ค. 68\ndoc_type: ประกาศ\n"
    files["spaced.md"] = front_matter_doc({"title": "ค", "doc_type": "ถาม - ตอบ"}, BODY)
    root = write_tree(tmp_path / "kb", files)
    home = Home(tmp_path / "home")
    report = index_paths(home, [root])
    assert not report.failed, report.failed
    docs = _stored(home)
    for n, (_name, code) in enumerate(DOC_TYPE_ALIASES.items()):
        assert docs[f"d{n}.md"]["doc_type"] == code
    for name in ("iso-be.md", "thai-digits.md", "month.txt"):
        assert docs[name]["updated"] == "2025-03-12", name
    assert docs["month.txt"]["doc_type"] == "regulation"
    assert docs["spaced.md"]["doc_type"] == "guide"


@pytest.mark.parametrize(
    "front, words",
    [
        ("doc_type: หนังสือ", "doc_type"),
        ("updated: 2600-01-01", "updated"),  # B.E. 2600: far in the future
        ("updated: 2099-01-01", "updated"),  # C.E. in the future
        ("updated: 12 มีนาคม พ.ศ. 2300", "updated"),  # B.E. before 2400
        ("updated: 31 ก.พ. 68", "updated"),
        ("updated: 12 มีนาแคม 2568", "updated"),
    ],
)
def test_implausible_metadata_fails_that_file_with_the_field_named(tmp_path, front, words):
    root = write_tree(
        tmp_path / "kb",
        {"good.md": f"# ดี\n\n{BODY}\n", "bad.md": f"---\n{front}\n---\n\n{BODY}\n"},
    )
    report = index_paths(Home(tmp_path / "home"), [root])
    assert report.indexed == 1
    (problem,) = report.failed
    assert problem.path == str(root / "bad.md")
    assert words in problem.reason and "bad metadata" in problem.reason, problem.reason


def test_cli_shows_thai_label_and_json_gives_code_and_ce_date(tmp_path, monkeypatch):
    from click.testing import CliRunner

    root = write_tree(
        tmp_path / "kb",
        {"ป้าย.md": front_matter_doc(
            {"title": "ภาษีป้าย", "doc_type": "คู่มือประชาชน", "updated": "12 มีนาคม 2568",
             "audience": "public"}, BODY)},
    )
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(cli_main, ["--home", str(home), "index", str(root)]).exit_code == 0
    text = runner.invoke(cli_main, ["--home", str(home), "search", "ภาษีป้าย"])
    assert text.exit_code == 0 and f"[{DOC_TYPE_LABELS['guide']}]" in text.output
    out = runner.invoke(cli_main, ["--home", str(home), "search", "ภาษีป้าย", "--json"])
    hit = json.loads(out.output)["hits"][0]
    assert hit["doc_type"] == "guide" and hit["updated"] == "2025-03-12"


def test_an_old_index_with_a_be_date_shows_the_right_day(tmp_path):
    # Before this change `updated: 2568-03-12` was stored as given; it must not show as 3111.
    root = write_tree(tmp_path / "kb", {"a.md": front_matter_doc({"title": "ก"}, BODY)})
    home = Home(tmp_path / "home")
    index_paths(home, [root])
    ix = indexstore.open_current(home)
    with ix.writer() as w:
        fields = dict(next(iter(ix.searcher().all_stored_fields())))
        fields["updated"] = "2568-03-12"
        w.update_document(**{k: v for k, v in fields.items() if k in ix.schema.names()})
    service = SearchService(home)
    try:
        (hit,) = service.search("ภาษีป้าย", audience="staff").hits
        assert hit.updated == dt.date(2025, 3, 12)
    finally:
        service.close()


def test_a_thai_type_name_filters_like_its_code(tmp_path):
    root = write_tree(tmp_path / "kb", {
        "m.md": front_matter_doc({"title": "คู่มือภาษีป้าย", "doc_type": "คู่มือ"}, BODY),
        "g.md": front_matter_doc({"title": "คำแนะนำภาษีป้าย", "doc_type": "คำแนะนำ"}, BODY),
    })
    home = Home(tmp_path / "home")
    index_paths(home, [root])
    service = SearchService(home)
    try:
        for value in ("manual", "คู่มือ"):
            assert [h.title for h in service.search("ภาษีป้าย", audience="staff", doc_type=value).hits] == ["คู่มือภาษีป้าย"]
    finally:
        service.close()


def test_date_errors_say_whether_the_text_was_read_and_any_future_lifts_the_year_limit():
    today = dt.date(2026, 11, 30)
    for text, unreadable in (("31/13/2568", True), ("1 ตค.", True), ("2568-02-30", True),
                             ("1800-01-01", False), ("2573-01-01", False)):
        with pytest.raises(ThaiDateError) as caught:
            parse_date(text, today=today)
        assert caught.value.unreadable is unreadable, text
    assert parse_date("2573-01-01", today=today, any_future=True) == dt.date(2030, 1, 1)
    with pytest.raises(ThaiDateError):
        parse_date("1800-01-01", any_future=True)  # still too early
