"""PDF and DOCX extraction: Thai round trips, damaged/encrypted/scanned files, the corpus."""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from kmsearch.indexer.document import ExtractionError
from kmsearch.indexer.docx import extract_docx
from kmsearch.indexer.pdf import decode_pdf_string, extract_pdf, is_combining

REPO = Path(__file__).resolve().parents[1]


def _load_build_corpus():
    spec = importlib.util.spec_from_file_location(
        "build_corpus", REPO / "scripts" / "build_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_corpus", module)
    spec.loader.exec_module(module)
    return module


bc = _load_build_corpus()

LONG_THAI = (
    "ผู้สูงอายุที่มีสิทธิได้รับเบี้ยยังชีพต้องมีสัญชาติไทยและมีอายุครบหกสิบปีบริบูรณ์ขึ้นไป"
    "โดยยื่นคำขอลงทะเบียนด้วยตนเองที่สำนักงานเทศบาลพร้อมสำเนาบัตรประจำตัวประชาชนและ"
    "สมุดบัญชีเงินฝากธนาคารกรณีประสงค์รับเงินผ่านบัญชีธนาคารซึ่งเจ้าหน้าที่จะตรวจสอบ"
    "คุณสมบัติและบันทึกข้อมูลในระบบก่อนเสนอนายกเทศมนตรีอนุมัติต่อไป"
)

SAMPLE = f"""# คู่มือทดสอบที่ดิน ผู้สูงอายุ กี่ น้ำ

## ส่วนที่ ๑ คำที่มีวรรณยุกต์ซ้อน

ที่ดิน ผู้สูงอายุ กี่ น้ำ ปี่ ญี่ปุ่น ตั๋ว ฐานข้อมูล กำหนด ทำนา จำนำ

{LONG_THAI} {LONG_THAI}

ภาษีป้ายปี พ.ศ. ๒๕๖๗ อัตรา ๑๐ บาท ต่อ ๕๐๐ ตารางเซนติเมตร ระบบ e-LAAS และ e-GP (ฉบับที่ 2)

- รายการแรกที่มีข้อความยาวพอจะขึ้นบรรทัดใหม่ {LONG_THAI}
- รายการที่สอง น้ำประปา

1. ขั้นตอนที่หนึ่ง ยื่นคำขอ
2. ขั้นตอนที่สอง ตรวจสอบเอกสาร
"""


def collapse(text: str) -> str:
    """Whitespace runs to one space (PDF layout decides line breaks, not the source)."""
    return " ".join(text.split())


def make_pdf(tmp_path: Path, markdown: str = SAMPLE, name: str = "sample.pdf", **info) -> Path:
    """A PDF of Markdown text laid out by build_corpus (Sarabun, shaping, Thai wrapping)."""
    pdf = bc.new_pdf(header="เทศบาลตำบลประจันตคาม · ทดสอบ", footer_digits="thai")
    if "title" in info:
        pdf.set_title(info["title"])
    if "subject" in info:
        pdf.set_subject(info["subject"])
    if "encrypt" in info:
        pdf.set_encryption(**info["encrypt"])
    bc.PdfWriter(pdf).write_blocks(bc.parse_markdown(markdown))
    path = tmp_path / name
    path.write_bytes(bytes(pdf.output()))
    return path


# --------------------------------------------------------------------------------------------
# PDF round trips
# --------------------------------------------------------------------------------------------

def test_pdf_thai_round_trip_keeps_marks_words_and_paragraphs(tmp_path):
    extracted = extract_pdf(make_pdf(tmp_path))
    expected = bc.plain_text(bc.parse_markdown(SAMPLE))
    assert collapse(extracted.text) == collapse(expected)
    # Paragraph structure survives too: multi-line paragraphs are one paragraph each.
    assert extracted.text.split("\n\n") == expected.split("\n\n")
    for word in ("ที่ดิน", "ผู้สูงอายุ", "กี่", "น้ำ", "ญี่ปุ่น", "ตั๋ว", "๒๕๖๗", "e-LAAS"):
        assert word in extracted.text
    # No stray combining mark at the start of a line or word (the pdfminer layout bug).
    for token in extracted.text.split():
        assert not is_combining(token[0]), token


def test_pdf_thai_line_wraps_join_without_space(tmp_path):
    """A paragraph wrapped over many lines (and across pages) comes back as one Thai run."""
    body = f"# หัวเรื่อง\n\n{LONG_THAI * 12}\n\nย่อหน้าสุดท้าย\n"
    path = make_pdf(tmp_path, body)
    from pdfminer.high_level import extract_pages

    assert sum(1 for _ in extract_pages(path)) >= 2  # really crosses a page break
    assert extract_pdf(path).text == f"หัวเรื่อง\n\n{LONG_THAI * 12}\n\nย่อหน้าสุดท้าย"


def test_pdf_page_header_and_numbers_are_not_text(tmp_path):
    text = extract_pdf(make_pdf(tmp_path)).text
    assert "หน้า ๑" not in text
    assert "เทศบาลตำบลประจันตคาม · ทดสอบ" not in text


def test_pdf_actual_text_replaces_the_glyphs_it_spans(tmp_path):
    """/ActualText (as LibreOffice writes for each sara am cluster) wins over glyph mapping."""
    pdf = bc.new_pdf()
    pdf.add_page()
    pdf.set_font("Sarabun", "", 14)
    pdf.set_xy(30, 30)
    pdf.cell(text="ผู้ใช้")
    actual = "".join(f"{ord(ch):04X}" for ch in "น้ำ")
    pdf._out(f"/Span <</ActualText <FEFF{actual}>>> BDC")
    pdf.cell(text="xyz")
    pdf._out("EMC")
    pdf.cell(text="ประปา")
    path = tmp_path / "actual.pdf"
    path.write_bytes(bytes(pdf.output()))
    assert extract_pdf(path).text == "ผู้ใช้น้ำประปา"


def test_pdf_properties_title_and_subject_are_decoded(tmp_path):
    path = make_pdf(tmp_path, title="คู่มือภาษีป้าย (ฉบับปรับปรุง)", subject="ภาษีป้าย")
    assert extract_pdf(path).properties == {
        "title": "คู่มือภาษีป้าย (ฉบับปรับปรุง)",
        "topic": "ภาษีป้าย",
    }
    assert extract_pdf(make_pdf(tmp_path, name="plain.pdf")).properties == {}


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"\xfe\xff" + "ภาษีป้าย".encode("utf-16-be"), "ภาษีป้าย"),
        (b"\xef\xbb\xbf" + "ภาษีป้าย".encode(), "ภาษีป้าย"),
        (b"Caf\xe9 \x8dquoted\x8e \x93", "Café “quoted” ﬁ"),  # PDFDocEncoding
        (b"  ", None),
        (42, None),
    ],
)
def test_decode_pdf_string(raw, text):
    assert decode_pdf_string(raw) == text


def test_pdf_owner_password_only_still_extracts(tmp_path):
    path = make_pdf(tmp_path, encrypt={"owner_password": "owner-secret"}, title="ทดสอบ")
    extracted = extract_pdf(path)
    assert "ผู้สูงอายุ" in extracted.text
    assert extracted.properties["title"] == "ทดสอบ"


# --------------------------------------------------------------------------------------------
# PDFs that cannot be read
# --------------------------------------------------------------------------------------------

def test_pdf_with_user_password_needs_password(tmp_path):
    path = make_pdf(tmp_path, encrypt={"owner_password": "o", "user_password": "secret"})
    with pytest.raises(ExtractionError, match=r"^encrypted PDF: needs a password$"):
        extract_pdf(path)


def test_truncated_pdf_is_damaged(tmp_path):
    data = make_pdf(tmp_path).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractionError, match=r"^damaged PDF: cannot be parsed"):
        extract_pdf(cut)


@pytest.mark.parametrize("damage", ["middle", "streams", "not-a-pdf", "empty"])
def test_corrupt_pdf_is_damaged(tmp_path, damage):
    data = make_pdf(tmp_path).read_bytes()
    if damage == "middle":  # objects and xref destroyed, header and %%EOF kept
        data = data[:400] + bytes(range(256)) * 40 + data[-300:]
    elif damage == "streams":  # compressed page content garbled
        data = bytes(b ^ 0x55 if 2000 < i < len(data) - 2000 else b for i, b in enumerate(data))
    elif damage == "not-a-pdf":
        data = "ไม่ใช่ไฟล์ PDF".encode() * 50
    else:
        data = b""
    path = tmp_path / "bad.pdf"
    path.write_bytes(data)
    with pytest.raises(ExtractionError, match=r"^damaged PDF: cannot be parsed"):
        extract_pdf(path)


def test_image_only_pdf_needs_ocr(tmp_path):
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).rectangle((40, 40, 360, 160), outline="black", width=4)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(image, x=20, y=20, w=170)
    path = tmp_path / "scan.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(ExtractionError, match=r"^scanned PDF with no text layer: needs OCR$"):
        extract_pdf(path)


def test_pdf_whose_fonts_have_no_unicode_mapping_cannot_be_decoded(tmp_path):
    data = make_pdf(tmp_path).read_bytes()
    # Same-length renames keep the xref valid: no ToUnicode CMap, no embedded font cmap.
    data = data.replace(b"/ToUnicode", b"/ToUnicodX").replace(b"/FontFile2", b"/FontFileX")
    path = tmp_path / "nomap.pdf"
    path.write_bytes(data)
    with pytest.raises(ExtractionError, match=r"^PDF text cannot be decoded"):
        extract_pdf(path)


def test_pdf_without_any_text_or_image_is_empty(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.line(10, 10, 100, 100)
    path = tmp_path / "blank.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(ExtractionError, match=r"^empty PDF"):
        extract_pdf(path)


# --------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(tmp_path: Path, extra_body: str = "", name: str = "sample.docx",
              subject: str | None = "เบี้ยความพิการ") -> Path:
    """A .docx from build_corpus, optionally with extra WordprocessingML before sectPr."""
    import datetime as dt

    blocks = bc.parse_markdown(SAMPLE)
    parts = bc.docx_parts(blocks, "คู่มือเบี้ยความพิการ", subject,
                          dt.datetime(2025, 3, 14, 9, tzinfo=bc.BANGKOK))
    if extra_body:
        parts["word/document.xml"] = parts["word/document.xml"].replace(
            "<w:sectPr>", extra_body + "<w:sectPr>"
        )
    path = tmp_path / name
    path.write_bytes(bc.zip_parts(parts))
    return path


def test_docx_round_trip_text_and_core_properties(tmp_path):
    extracted = extract_docx(make_docx(tmp_path))
    blocks = bc.parse_markdown(SAMPLE)
    # Word draws the bullets (w:numPr); typed numbers stay text, separated by a tab.
    expected = [b.text if b.kind == "bullet" else line
                for b, line in zip(blocks, bc.block_lines(blocks), strict=True)]
    assert [collapse(p) for p in extracted.text.split("\n\n")] == expected
    assert "1.\tขั้นตอนที่หนึ่ง ยื่นคำขอ" in extracted.text
    assert extracted.properties == {"title": "คู่มือเบี้ยความพิการ", "topic": "เบี้ยความพิการ"}
    assert "หน้า" not in extracted.text.split("\n\n")[-1]  # the footer is not body text


def test_docx_table_tabs_breaks_and_skipped_text(tmp_path):
    table = (
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>ประเภทป้าย</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>อัตรา</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:tc><w:p><w:r><w:t>อักษรไทยล้วน</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>๑๐ บาท</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        "<w:p><w:r><w:t>ก่อนแท็บ</w:t><w:tab/><w:t>หลังแท็บ</w:t><w:br/>"
        "<w:t>บรรทัดใหม่</w:t></w:r>"
        "<w:del><w:r><w:delText>ข้อความที่ลบแล้ว</w:delText></w:r></w:del>"
        '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r></w:p>'
    )
    text = extract_docx(make_docx(tmp_path, table)).text
    assert "ประเภทป้าย\tอัตรา\nอักษรไทยล้วน\t๑๐ บาท" in text
    assert "ก่อนแท็บ\tหลังแท็บ\nบรรทัดใหม่" in text
    assert "ข้อความที่ลบแล้ว" not in text
    assert "PAGE" not in text


def test_docx_without_subject_has_title_only(tmp_path):
    assert extract_docx(make_docx(tmp_path, subject=None)).properties == {
        "title": "คู่มือเบี้ยความพิการ"
    }


def _rezip(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for name in zin.namelist():
            data = replace.get(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)
    return target


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("not-zip", r"^damaged DOCX: not a zip package$"),
        ("truncated", r"^damaged DOCX: "),
        ("no-document", r"^damaged DOCX: missing word/document\.xml$"),
        ("bad-xml", r"^damaged DOCX: word/document\.xml is not well-formed XML"),
        ("ole", r"^encrypted DOCX or Word 97-2003 file"),
    ],
)
def test_damaged_docx(tmp_path, damage, reason):
    good = make_docx(tmp_path)
    bad = tmp_path / "bad.docx"
    if damage == "not-zip":
        bad.write_text("นี่ไม่ใช่ไฟล์ Word", encoding="utf-8")
    elif damage == "truncated":
        bad.write_bytes(good.read_bytes()[:300])
    elif damage == "no-document":
        _rezip(good, bad, {"word/document.xml": None})
    elif damage == "bad-xml":
        _rezip(good, bad, {"word/document.xml": b"<w:document><w:body><w:p>"})
    else:
        bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(ExtractionError, match=reason):
        extract_docx(bad)


# --------------------------------------------------------------------------------------------
# The build tool's output
# --------------------------------------------------------------------------------------------

def test_markdown_subset_parser():
    blocks = bc.parse_markdown(
        "# ชื่อ\n\nย่อหน้า\nต่อบรรทัด\n\n- ข้อหนึ่ง\nต่อข้อ\n- ข้อสอง\n\n"
        "๑. ลำดับไทย\n12) ลำดับ\n\n## หัวข้อ **ตัวหนา** ##\n  - ย่อย\n"
    )
    assert blocks == [
        bc.Block("heading", "ชื่อ", 1),
        bc.Block("paragraph", "ย่อหน้า ต่อบรรทัด"),
        bc.Block("bullet", "ข้อหนึ่ง ต่อข้อ"),
        bc.Block("bullet", "ข้อสอง"),
        bc.Block("number", "ลำดับไทย", 0, "๑."),
        bc.Block("number", "ลำดับ", 0, "12)"),
        bc.Block("heading", "หัวข้อ ตัวหนา", 2),
        bc.Block("bullet", "ย่อย", 1),
    ]


def test_thai_wrapping_never_breaks_inside_a_word():
    from pythainlp.tokenize import word_tokenize

    words = word_tokenize(LONG_THAI, engine="newmm", keep_whitespace=True)
    boundaries = {sum(len(w) for w in words[:i]) for i in range(len(words) + 1)}
    lines = bc.wrap_text(LONG_THAI, 60.0, lambda s: len(s) * 1.0)
    assert "".join(lines) == LONG_THAI
    offset = 0
    for line in lines[:-1]:
        offset += len(line)
        assert offset in boundaries
        assert len(line) <= 60


def test_wrapping_keeps_the_space_at_the_end_of_a_line():
    lines = bc.wrap_text("ระบบ e-LAAS ของกรม", 8.0, lambda s: len(s) * 1.0)
    assert lines == ["ระบบ ", "e-LAAS ", "ของกรม"]  # no break between e- and LAAS


def _sample_source(tmp_path: Path, output: str, metadata: str) -> Path:
    folder = tmp_path / "sources" / "กองคลัง"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"คู่มือทดสอบ{output}.md"
    path.write_text(
        "---\ntitle: คู่มือทดสอบ\ntopic: ภาษีป้าย\ndivision: กองคลัง\n"
        "expert: [ผู้อำนวยการกองคลัง, เจ้าพนักงานจัดเก็บรายได้]\naudience: staff\n"
        f"doc_type: manual\nupdated: 2025-01-20\noutput: {output}\nmetadata: {metadata}\n"
        f"digits: thai\n---\n\n{SAMPLE}",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("output", ["pdf", "docx"])
def test_build_is_deterministic_and_check_mode_detects_changes(tmp_path, output):
    source = _sample_source(tmp_path, output, "sidecar")
    out = tmp_path / "corpus"
    log = io.StringIO()
    assert bc.run(tmp_path / "sources", out, check=False, out=log) == 0
    built = out / "กองคลัง" / f"{source.stem}.{output}"
    first = built.read_bytes()
    assert bc.run(tmp_path / "sources", out, check=True, out=io.StringIO()) == 0
    assert bc.build_outputs(bc.read_source(source))[f"กองคลัง/{built.name}"] == first
    sidecar = (out / "กองคลัง" / f"{built.name}.meta.yaml").read_text(encoding="utf-8")
    assert sidecar.startswith("title: คู่มือทดสอบ\ntopic: ภาษีป้าย\ndivision: กองคลัง\n")
    built.write_bytes(first + b"\n")
    report = io.StringIO()
    assert bc.run(tmp_path / "sources", out, check=True, out=report) == 1
    assert "stale" in report.getvalue()


def test_built_docx_is_a_valid_package(tmp_path):
    source = bc.read_source(_sample_source(tmp_path, "docx", "properties"))
    data = bc.render_docx(source)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == sorted(names)
        assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml",
                "docProps/core.xml", "docProps/app.xml"} <= set(names)
        for name in names:
            ET.fromstring(zf.read(name))  # every part is well-formed XML
        styles = ET.fromstring(zf.read("word/styles.xml"))
        ids = {s.get(f"{{{W}}}styleId") for s in styles.iter(f"{{{W}}}style")}
        assert {"Heading1", "Heading2"} <= ids
    assert extract_docx_bytes(tmp_path, data).properties == {
        "title": "คู่มือทดสอบ", "topic": "ภาษีป้าย"
    }


def extract_docx_bytes(tmp_path: Path, data: bytes):
    path = tmp_path / "x.docx"
    path.write_bytes(data)
    return extract_docx(path)


# --------------------------------------------------------------------------------------------
# The bundled corpus
# --------------------------------------------------------------------------------------------

def _corpus_sources(outputs: tuple[str, ...]) -> list[Path]:
    """Sources whose output is one of `outputs` (a broken source is kept: its test fails)."""
    found = []
    for path in bc.find_sources():
        try:
            if bc.read_source(path).output in outputs:
                found.append(path)
        except bc.SourceError:
            found.append(path)
    return found


CORPUS_SOURCES = _corpus_sources(("pdf", "docx"))


def test_corpus_is_built_from_the_current_sources():
    if not bc.find_sources():
        pytest.skip("no corpus sources yet")
    report = io.StringIO()
    status = bc.run(bc.SOURCES_DIR, bc.CORPUS_DIR, check=True, out=report)
    problems = [line for line in report.getvalue().splitlines()
                if not line.startswith("unchanged")]
    assert status == 0, "run scripts/build_corpus.py:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "source_path", CORPUS_SOURCES, ids=[p.stem for p in CORPUS_SOURCES]
)
def test_corpus_document_extracts_to_its_source_text(source_path):
    source = bc.read_source(source_path)
    document = bc.CORPUS_DIR / source.relpath
    assert document.exists(), f"{source.relpath} not built: run scripts/build_corpus.py"
    if source.output == "pdf":
        extracted = extract_pdf(document)
        expected = bc.plain_text(source.blocks)
    else:
        extracted = extract_docx(document)
        expected = "\n\n".join(b.text if b.kind == "bullet" else line for b, line in
                               zip(source.blocks, bc.block_lines(source.blocks), strict=True))
    assert collapse(extracted.text) == collapse(expected)
    assert extracted.properties["title"] == source.meta["title"]
    if source.route == "properties":
        assert extracted.properties["topic"] == source.meta["topic"]
