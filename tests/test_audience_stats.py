"""A citizen's scores come from public documents only (issue 12 item 13).

Two knowledge bases hold the same public documents and one staff-only document each; they
differ only in what that staff document says. A citizen searching either must get the same
hits with exactly the same scores: otherwise public scores tell a citizen which words staff
documents use. Staff searches keep whole-index statistics, so theirs do differ.
"""

from __future__ import annotations

import pytest

from kmsearch.engine.search import SearchService
from tests.core_fixtures import front_matter_doc, index_home, write_tree

WORD = "ใบอนุญาต"  # in the public documents, and many times in one staff version
STAFF_ONLY = "ครุภัณฑ์"  # in no public document; in one staff version only


def _public(title: str, body: str) -> str:
    return front_matter_doc({"title": title, "audience": "public", "doc_type": "guide"}, body)


PUBLIC = {
    "กองช่าง/ขออนุญาตก่อสร้าง.md": _public(
        "การขอใบอนุญาตก่อสร้างอาคาร",
        "ยื่นคำขอใบอนุญาตก่อสร้างอาคารที่กองช่าง พร้อมแบบแปลนและสำเนาโฉนดที่ดิน",
    ),
    "กองสาธารณสุข/ขออนุญาตขายอาหาร.md": _public(
        "การขออนุญาตจำหน่ายอาหาร",
        "ผู้ขายอาหารในตลาดต้องมีใบอนุญาต ยื่นคำขอที่กองสาธารณสุข "
        "ใช้บัตรประจำตัวประชาชนและรูปถ่าย ตรวจสุขลักษณะสถานที่ก่อนออกใบอนุญาต",
    ),
    "กองคลัง/ภาษีป้าย.md": _public(
        "การชำระภาษีป้าย",
        "เจ้าของป้ายยื่นแบบแสดงรายการภาษีป้ายที่กองคลังภายในเดือนมีนาคม",
    ),
}


def _staff(body: str) -> dict[str, str]:
    doc = front_matter_doc({"title": "บันทึกภายใน", "audience": "staff", "doc_type": "manual"}, body)
    return {"สำนักปลัด/บันทึกภายใน.md": doc}


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """(plain, loaded): the same public documents; the staff document of `loaded` repeats
    WORD and STAFF_ONLY in a long text, that of `plain` holds neither."""
    built = []
    for name, staff in (
        ("plain", _staff("ประชุมประจำเดือน สรุปงานประจำสัปดาห์ของสำนักปลัด")),
        ("loaded", _staff(" ".join([f"ตรวจ{WORD} ทะเบียน{STAFF_ONLY}"] * 200))),
    ):
        base = tmp_path_factory.mktemp(name)
        root = write_tree(base / "kb", {**PUBLIC, **staff})
        home, report = index_home(base / "home", [root])
        assert report.failed == [], report.failed
        built.append(SearchService(home))
    yield built
    for service in built:
        service.close()


def _scored(result) -> list[tuple[str, float]]:
    return [(hit.title, hit.score) for hit in result.hits]


@pytest.mark.parametrize(
    "text",
    [WORD, f"{WORD} อาหาร", f"{WORD} {STAFF_ONLY}", f"ขอ{WORD}ก่อสร้าง", "ยื่นคำขอ"],
)
def test_public_scores_do_not_depend_on_staff_documents(twins, text):
    plain, loaded = twins
    a = plain.search(text, audience="public", exact=True)
    b = loaded.search(text, audience="public", exact=True)
    assert a.total == b.total and a.total > 0, text
    assert _scored(a) == _scored(b), text  # same hits, same order, exactly the same scores
    assert all(h.audience == "public" for h in a.hits + b.hits)


def test_staff_scores_keep_whole_index_statistics(twins):
    plain, loaded = twins
    a = plain.search(WORD, audience="staff", exact=True)
    b = loaded.search(WORD, audience="staff", exact=True)
    # The staff document is a hit in `loaded` only, and the public ones score differently
    # there: staff keep Whoosh's statistics over the whole index.
    assert "บันทึกภายใน" in [h.title for h in b.hits]
    assert "บันทึกภายใน" not in [h.title for h in a.hits]
    public_a = dict(_scored(a))
    public_b = {t: s for t, s in _scored(b) if t in public_a}
    assert public_a.keys() == public_b.keys()
    assert public_a != public_b


def test_public_scores_equal_staff_scores_when_every_document_is_public(tmp_path):
    """With no staff document, the public statistics are the whole index's: the same order
    and nearly the same scores. Not exactly: Whoosh keeps each document's field length
    rounded to one byte, so the public average is taken over rounded lengths, while the
    whole-index average uses the exact total (the rounding moves a score by about 1%)."""
    home, report = index_home(tmp_path / "home", [write_tree(tmp_path / "kb", PUBLIC)])
    assert report.failed == []
    service = SearchService(home)
    try:
        for text in (WORD, f"{WORD} อาหาร", "ยื่นคำขอ"):
            pub = _scored(service.search(text, audience="public", exact=True))
            staff = _scored(service.search(text, audience="staff", exact=True))
            assert pub and [t for t, _ in pub] == [t for t, _ in staff]
            assert [s for _, s in pub] == pytest.approx([s for _, s in staff], rel=0.03)
    finally:
        service.close()
