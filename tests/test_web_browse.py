"""Browsing the knowledge map: division -> topic -> expert, and an expert's page."""

import re

from kmsearch.engine.schema import doc_id_for


def _text(response):
    return response.get_data(as_text=True)


def test_browse_map(client):
    html = _text(client.get("/browse/"))
    assert "แผนที่ความรู้" in html
    for division in ("สำนักปลัด", "กองคลัง", "กองช่าง", "กองยุทธศาสตร์และงบประมาณ"):
        assert f">{division}</a></h2>" in html
    assert "การบริหารงานบุคคล" in html and "นักทรัพยากรบุคคล" in html  # topic without documents
    # Document counts are the citizen's: 8 public plans.
    assert re.search(r"แผนพัฒนาท้องถิ่น</span>\s*<a class=\"count\"[^>]*>8 เอกสาร", html)


def test_division_page(client, corpus_dir):
    html = _text(client.get("/browse/division/กองคลัง"))
    assert "<h1>กองคลัง</h1>" in html and "ภาษีป้าย" in html and "ผู้อำนวยการกองคลัง" in html
    guide = doc_id_for(str((corpus_dir / "กองคลัง/ภาษีป้าย-ประชาชน.md").resolve()))
    assert f"/doc/{guide}" in html
    assert "ถูกแทนที่แล้ว" in html  # the old land-tax guide is flagged in lists too


def test_expert_page(client):
    html = _text(client.get("/browse/expert/นักวิเคราะห์นโยบายและแผน"))
    assert "<h1>นักวิเคราะห์นโยบายและแผน</h1>" in html
    assert "แผนพัฒนาท้องถิ่น" in html
    assert html.count("/doc/") == 8


def test_unknown_division_and_expert(client):
    assert client.get("/browse/division/กองที่ไม่มี").status_code == 404
    assert client.get("/browse/expert/ตำแหน่งที่ไม่มี").status_code == 404


def test_markup_in_urls_is_escaped(client):
    response = client.get("/browse/expert/<script>alert(1)</script>")
    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in _text(response)


def test_browse_without_knowledge_map(client, home):
    home.knowledge_map_path.unlink()
    html = _text(client.get("/browse/"))
    assert client.get("/browse/").status_code == 200
    assert "กองคลัง" in html  # divisions still come from the documents
