"""Superseded knowledge: old documents lead to the current one, within the audience's reach."""

from kmsearch.indexer.run import index_paths

from kmsearch.engine.schema import doc_id_for
from kmsearch.engine.search import SearchService
from kmsearch.home import Home

OLD = """---
title: คำแนะนำภาษีโรงเรือนและที่ดิน (ยกเลิกแล้ว)
audience: public
doc_type: guide
superseded_by: {target}
---
ภาษีโรงเรือนและที่ดินถูกยกเลิกแล้ว ชำระภาษีค้างเก่าได้ที่กองคลัง
"""
NEW = """---
title: {title}
audience: {audience}
doc_type: manual
---
ภาษีที่ดินและสิ่งปลูกสร้างเริ่มจัดเก็บตั้งแต่ปี 2563 แทนภาษีโรงเรือนและที่ดิน
"""


def _build(tmp_path, audience):
    root = tmp_path / "kb"
    root.mkdir()
    (root / "new.md").write_text(NEW.format(title="คู่มือภาษีที่ดินฉบับภายใน", audience=audience), "utf-8")
    (root / "old.md").write_text(OLD.format(target="new.md"), "utf-8")
    home = Home(tmp_path / "home")
    assert index_paths(home, [root]).failed == []
    return home, doc_id_for(str((root / "old.md").resolve())), doc_id_for(str((root / "new.md").resolve()))


def test_old_document_points_to_its_replacement(tmp_path):
    home, old_id, new_id = _build(tmp_path, audience="public")
    service = SearchService(home)
    old = service.document(old_id, "public")
    assert old.superseded and old.superseded_by == new_id
    assert old.superseded_by_title == "คู่มือภาษีที่ดินฉบับภายใน"
    assert service.document(new_id, "public").replaces == [(old_id, old.title)]
    hit = next(h for h in service.search("ภาษีโรงเรือน", audience="public").hits if h.doc_id == old_id)
    assert hit.superseded and hit.superseded_by == new_id


def test_citizen_is_told_a_document_is_replaced_without_seeing_a_staff_replacement(tmp_path):
    home, old_id, new_id = _build(tmp_path, audience="staff")
    service = SearchService(home)
    old = service.document(old_id, "public")
    assert old.superseded, "the citizen must still learn the guide is out of date"
    assert old.superseded_by is None and old.superseded_by_title is None
    hits = service.search("ภาษีโรงเรือนและที่ดิน", audience="public").hits
    assert [h.doc_id for h in hits] == [old_id]
    assert hits[0].superseded and hits[0].superseded_by_title is None
    listed = {d.doc_id: d for d in service.documents("public")}
    assert set(listed) == {old_id} and listed[old_id].superseded_by_title is None
    # Staff see the link.
    assert service.document(old_id, "staff").superseded_by_title == "คู่มือภาษีที่ดินฉบับภายใน"


def test_citizen_document_page_says_replaced_without_naming_the_staff_document(tmp_path):
    from kmsearch.web import create_app

    home, old_id, _new_id = _build(tmp_path, audience="staff")
    app = create_app(home, {"TESTING": True})
    page = app.test_client().get(f"/doc/{old_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ถูกแทนที่แล้ว" in html
    assert "คู่มือภาษีที่ดินฉบับภายใน" not in html
