"""OCR of scans at index time, with the real Tesseract (skipped, saying why, where it is missing).

Pages are made here: Thai lines drawn with Sarabun (shipped with fontpkg-sarabun) and, where a
test needs the OCR to make mistakes, blurred, speckled and JPEG-compressed like a poor scan.
Each page is small, so each OCR takes about a second.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import kmsearch.indexer.ocr as ocr
import pytest
from kmsearch.indexer.run import index_paths
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from kmsearch.engine import folding, indexstore
from kmsearch.engine.search import SearchService
from kmsearch.engine.thai import normalize
from kmsearch.home import Home
from tests.core_fixtures import write_tree

MISSING = ocr.missing_message()
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"needs Tesseract with Thai: {MISSING}")

LINES = [
    "ลูกหนี้ภาษีป้ายค้างชำระต้องชำระภายในกำหนด",
    "กฎหมายที่เกี่ยวข้องกับการจัดเก็บภาษีบำรุงท้องที่",
    "เจ้าหน้าที่ตรวจสอบเอกสารหลักฐานของผู้ยื่นคำร้อง",
]
WORDS = ["ลูกหนี้", "ภาษีป้าย", "ค้างชำระ", "กำหนด", "กฎหมาย", "เกี่ยวข้อง", "จัดเก็บ",
         "ภาษีบำรุงท้องที่", "เจ้าหน้าที่", "ตรวจสอบ", "เอกสาร", "หลักฐาน"]


def sarabun() -> str:
    import fontpkg_sarabun

    return str(Path(fontpkg_sarabun.ROOT) / "files" / "Sarabun-Regular.ttf")


def page(lines=LINES, px: int = 20) -> Image.Image:
    """A grey page with the lines in Sarabun at px pixels."""
    font = ImageFont.truetype(sarabun(), px, layout_engine=ImageFont.Layout.RAQM)
    image = Image.new("L", (px * 24, 40 + int(px * 1.8) * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((px, 20 + int(px * 1.8) * n), line, font=font, fill=0)
    return image


def poor_scan(image: Image.Image, seed: int = 1) -> Image.Image:
    """Blur, specks and JPEG: Tesseract then drops marks and misreads letters."""
    rnd = random.Random(seed)
    image = image.filter(ImageFilter.GaussianBlur(0.7))
    px = image.load()
    for _ in range(image.width * image.height // 30):
        px[rnd.randrange(image.width), rnd.randrange(image.height)] = rnd.choice((0, 255))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=35)
    buf.seek(0)
    return Image.open(buf).copy()


def image_pdf(path: Path, *pages: Image.Image) -> Path:
    pages[0].save(path, "PDF", save_all=True, append_images=list(pages[1:]), resolution=200.0)
    return path


def stored(home: Home) -> dict[str, dict]:
    with indexstore.open_current(home).searcher() as s:
        return {Path(f["path"]).name: f for f in s.all_stored_fields()}


def found(home: Home, text: str) -> list[str]:
    service = SearchService(home)
    try:
        return [Path(h.path).name for h in service.search(text, audience="staff", pagelen=50).hits]
    finally:
        service.close()


def test_scanned_pdf_and_image_are_found_by_words_the_ocr_damaged(tmp_path, monkeypatch):
    scan = poor_scan(page())
    root = tmp_path / "kb"
    root.mkdir()
    image_pdf(root / "scan.pdf", scan)
    scan.save(root / "photo.jpg", quality=95)
    write_tree(root, {"other.md": "# บันทึก\n\nเรื่องการซ่อมถนนในหมู่บ้าน"})
    home = Home(tmp_path / "home")
    report = index_paths(home, [root])
    assert report.failed == [] and report.indexed == 3
    docs = stored(home)
    for name in ("scan.pdf", "photo.jpg"):
        assert docs[name]["ocr"] == "1/1"
        text = normalize(docs[name]["content"])
        damaged = [w for w in WORDS if normalize(w) not in text]
        assert damaged, f"the poor scan was read without a mistake: {text!r}"
        rescued = [w for w in damaged if name in found(home, w)]
        # Some words come out too garbled to find (กฎหมาย read as กรหมด); most do not.
        assert len(rescued) >= len(damaged) / 2, (damaged, rescued, text)
        with monkeypatch.context() as m:  # without the folded field some are lost
            m.setattr(folding, "clause", lambda term, exact: exact)
            assert [w for w in rescued if name not in found(home, w)], rescued
    # the born-digital note is not found by the scans' words
    assert "other.md" not in found(home, "ลูกหนี้ภาษีป้าย")


def test_exact_words_rank_a_scan_above_one_matching_only_when_folded(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    page(["ภาษีป้ายค้างชำระ"], px=28).save(root / "clean.png")
    page(["ภาษปายค้างชำระ"], px=28).save(root / "damaged.png")  # as OCR writes it
    home = Home(tmp_path / "home")
    assert index_paths(home, [root]).failed == []
    assert found(home, "ภาษีป้าย") == ["clean.png", "damaged.png"]


def test_mixed_pdf_ocrs_only_its_pages_without_text(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("Sarabun", "", sarabun())
    pdf.set_text_shaping(use_shaping_engine=True, script="thai", language="THA")
    pdf.set_font("Sarabun", size=14)
    pdf.add_page()
    pdf.cell(text="หน้าแรกมีข้อความเรื่องงบประมาณรายจ่าย")
    pdf.add_page()
    buf = io.BytesIO()
    page(["หน้าที่สองเป็นภาพสแกนเรื่องค่าธรรมเนียมขยะ"], px=28).save(buf, "PNG")
    pdf.image(buf, x=10, y=10, w=120)
    root = tmp_path / "kb"
    root.mkdir()
    (root / "mixed.pdf").write_bytes(bytes(pdf.output()))
    home = Home(tmp_path / "home")
    report = index_paths(home, [root])
    assert report.failed == [] and report.ocr_read == 1
    assert stored(home)["mixed.pdf"]["ocr"] == "1/2"
    (cache,) = home.ocr_cache_dir.glob("*/*.json")
    assert list(json.loads(cache.read_text(encoding="utf-8"))["pages"]) == ["pdf:2"]
    assert found(home, "งบประมาณรายจ่าย") == ["mixed.pdf"]
    assert found(home, "ค่าธรรมเนียมขยะ") == ["mixed.pdf"]
    content = stored(home)["mixed.pdf"]["content"]
    assert content.index("งบประมาณ") < content.index("สแกน"), content  # pages in order


def test_the_cache_prevents_a_second_ocr_even_across_rebuild(tmp_path, monkeypatch):
    root = tmp_path / "kb"
    root.mkdir()
    page(["ภาษีป้ายค้างชำระ"], px=28).save(root / "scan.png")
    home = Home(tmp_path / "home")
    first = index_paths(home, [root])
    assert (first.ocr_read, first.ocr_cached) == (1, 0)

    def no_ocr(*args, **kwargs):
        raise AssertionError("Tesseract ran again on an unchanged scan")

    monkeypatch.setattr(ocr, "_read_image", no_ocr)
    again = index_paths(home, [root], rebuild=True)
    assert again.failed == [] and (again.ocr_read, again.ocr_cached) == (0, 1)
    assert found(home, "ภาษีป้าย") == ["scan.png"]


def test_a_corrupt_image_fails_alone_with_a_clear_message(tmp_path):
    root = tmp_path / "kb"
    write_tree(root, {"broken.jpg": b"\xff\xd8\xff\xe0 not really a photo",
                      "cut.png": b"", "note.md": "# บันทึก\n\nเรื่องการซ่อมถนน"})
    good = io.BytesIO()
    page(["ภาษีป้ายค้างชำระ"], px=28).save(good, "PNG")
    (root / "cut.png").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    home = Home(tmp_path / "home")
    report = index_paths(home, [root])
    failed = {Path(p.path).name: p.reason for p in report.failed}
    assert set(failed) == {"broken.jpg", "cut.png"}
    assert all(r.startswith("damaged image: cannot be read") for r in failed.values()), failed
    assert report.indexed == 1 and found(home, "ซ่อมถนน") == ["note.md"]


def test_a_multi_page_tiff_turned_sideways_is_read_upright(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    first = page(["หน้าหนึ่งเรื่องการขออนุญาตก่อสร้างอาคาร", "ยื่นคำขอที่กองช่าง"], px=28)
    second = page(["หน้าสองเรื่องเบี้ยยังชีพผู้สูงอายุ", "ยื่นคำขอที่สำนักปลัด"], px=28)
    first.rotate(90, expand=True).save(root / "scan.tif", save_all=True, append_images=[second])
    home = Home(tmp_path / "home")
    assert index_paths(home, [root]).failed == []
    assert stored(home)["scan.tif"]["ocr"] == "2/2"
    assert found(home, "ขออนุญาตก่อสร้างอาคาร") == ["scan.tif"]
    assert found(home, "เบี้ยยังชีพผู้สูงอายุ") == ["scan.tif"]


def test_a_skewed_page_is_straightened():
    straight = page(px=28)
    skewed = straight.rotate(3, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    assert abs(ocr.skew_angle(skewed) + 3) <= 0.3


def test_the_time_budget_stops_a_file_with_a_clear_message(tmp_path, monkeypatch):
    root = tmp_path / "kb"
    root.mkdir()
    page(["ภาษีป้ายค้างชำระ"], px=28).save(root / "scan.png")
    write_tree(root, {"note.md": "# บันทึก\n\nเรื่องการซ่อมถนน"})
    monkeypatch.setenv("KMSEARCH_OCR_BUDGET", "0.000001")
    report = index_paths(Home(tmp_path / "home"), [root])
    (problem,) = report.failed
    assert Path(problem.path).name == "scan.png"
    assert "time budget of 1e-06 s (KMSEARCH_OCR_BUDGET)" in problem.reason
    assert report.indexed == 1


def test_without_tesseract_a_scan_still_needs_ocr_and_the_rest_indexes(tmp_path, monkeypatch):
    root = tmp_path / "kb"
    root.mkdir()
    image_pdf(root / "scan.pdf", page(px=28))
    page(px=28).save(root / "photo.png")
    write_tree(root, {"note.md": "# บันทึก\n\nเรื่องการซ่อมถนน"})
    monkeypatch.setattr(ocr, "tools", lambda: ocr.Tools(None, "", frozenset(), None))
    report = index_paths(Home(tmp_path / "home"), [root])
    failed = {Path(p.path).name: p.reason for p in report.failed}
    assert failed["scan.pdf"] == "scanned PDF with no text layer: needs OCR"
    assert failed["photo.png"].startswith("scanned image: needs OCR (OCR is not available: "
                                          "install tesseract-ocr tesseract-ocr-tha poppler-utils")
    assert report.indexed == 1
    assert "tesseract-ocr-tha" in report.ocr_missing


def test_a_scan_shows_its_ocr_notice_and_downloads_the_original(client, home, tmp_path):
    from kmsearch.engine.schema import doc_id_for

    root = tmp_path / "scans"
    root.mkdir()
    scan = root / "ประกาศภาษีป้าย.png"
    page(["ประกาศเรื่องการยื่นแบบภาษีป้ายค้างชำระ"], px=28).save(scan)
    # the metadata rules apply to scans too: a sidecar makes it a public guide
    write_tree(root, {"ประกาศภาษีป้าย.png.meta.yaml":
                      "title: ประกาศการยื่นแบบภาษีป้าย\naudience: public\ndoc_type: ประกาศ\n"})
    assert index_paths(home, [root]).failed == []
    doc_id = doc_id_for(str(scan.resolve()))
    results = client.get("/?q=ภาษีป้ายค้างชำระ").get_data(as_text=True)
    assert f"/doc/{doc_id}" in results and "ข้อความจากภาพสแกน" in results
    html = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert "<h1>ประกาศการยื่นแบบภาษีป้าย</h1>" in html and "ระเบียบ/กฎหมาย" in html
    assert 'class="banner ocr"' in html and "อาจมีคำที่อ่านผิดหรือตกหล่น" in html
    with client.get(f"/doc/{doc_id}/download") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data == scan.read_bytes()
    # a born-digital document has no such notice
    other = client.get("/?q=เบี้ยยังชีพ").get_data(as_text=True)
    assert "ข้อความจากภาพสแกน" not in other
