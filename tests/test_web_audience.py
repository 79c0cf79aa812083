"""Two audiences on one service: no path lets a citizen reach or learn of a staff document.

Every path is checked both ways: the citizen does not see the staff document, and a
signed-in staff member does (so the test would notice a check that hides everything).
"""

import pytest
from conftest import STAFF_ONLY_WORD, STAFF_TITLE

from kmsearch.engine.schema import doc_id_for


def _id(corpus_dir, rel):
    return doc_id_for(str((corpus_dir / rel).resolve()))


@pytest.fixture
def ids(corpus_dir):
    return {
        "staff_manual": _id(corpus_dir, "กองคลัง/ภาษีป้าย-คู่มือ.md"),
        "public_guide": _id(corpus_dir, "กองคลัง/ภาษีป้าย-ประชาชน.md"),
        "old_public": _id(corpus_dir, "กองคลัง/ระเบียบพัสดุเดิม.md"),
        "new_staff": _id(corpus_dir, "กองคลัง/พัสดุ-คู่มือ.md"),
    }


def _text(response):
    return response.get_data(as_text=True)


def test_search_results_and_snippets(client, staff_client_factory):
    citizen = _text(client.get(f"/?q={STAFF_ONLY_WORD}"))
    assert STAFF_TITLE not in citizen and "ไม่พบเอกสาร" in citizen
    citizen = _text(client.get("/?q=ภาษีป้าย"))
    assert STAFF_TITLE not in citizen and STAFF_ONLY_WORD not in citizen
    staff = _text(staff_client_factory().get(f"/?q={STAFF_ONLY_WORD}"))
    assert STAFF_TITLE in staff and "เฉพาะเจ้าหน้าที่" in staff


def test_the_query_cannot_ask_for_staff_documents(client):
    for q in ("audience:staff", "ภาษีป้าย audience:staff", "ภาษีป้าย OR audience:staff"):
        assert STAFF_TITLE not in _text(client.get("/", query_string={"q": q}))
    body = client.get("/api/search", query_string={"q": "ภาษีป้าย", "audience": "staff"}).get_json()
    assert body["audience"] == "public"
    assert all(h["audience"] == "public" for h in body["hits"])


def test_facet_counts(client, staff_client_factory):
    def doc_type_counts(c):
        html = _text(c.get("/?q=แผนพัฒนาท้องถิ่น"))
        import re

        return {m[0]: int(m[1]) for m in re.findall(
            r'doc_type=(plan|report)[^"]*">[^<]+</a>\s*<span class="count">(\d+)', html)}

    citizen = doc_type_counts(client)
    staff = doc_type_counts(staff_client_factory())
    assert citizen == {"plan": 4, "report": 4}  # the 8 public plans only
    assert staff == {"plan": 7, "report": 7}


def test_facet_filter_cannot_reveal_staff_documents(client):
    html = _text(client.get("/?q=ภาษีป้าย&doc_type=manual"))
    assert STAFF_TITLE not in html and "ไม่พบเอกสาร" in html


def test_suggestions_never_lead_to_staff_words(client, staff_client_factory):
    typo = STAFF_ONLY_WORD[:-1]  # one letter short
    citizen = client.get(f"/api/search?q={typo}").get_json()
    assert not citizen["suggestion"] or STAFF_ONLY_WORD not in citizen["suggestion"]
    assert STAFF_ONLY_WORD not in _text(client.get(f"/?q={typo}"))


def test_document_page_and_download(client, staff_client_factory, ids):
    staff_id = ids["staff_manual"]
    assert client.get(f"/doc/{staff_id}").status_code == 404
    assert client.get(f"/doc/{staff_id}/download").status_code == 404
    assert client.get(f"/doc/{ids['public_guide']}").status_code == 200
    staff = staff_client_factory()
    assert staff.get(f"/doc/{staff_id}").status_code == 200
    with staff.get(f"/doc/{staff_id}/download") as response:
        assert response.status_code == 200 and STAFF_ONLY_WORD in response.get_data(as_text=True)


def test_staff_and_unknown_documents_look_the_same(client, ids):
    hidden = client.get(f"/doc/{ids['staff_manual']}")
    unknown = client.get("/doc/0000000000000000")
    assert hidden.status_code == unknown.status_code == 404
    assert _text(hidden).replace(ids["staff_manual"], "0" * 16) == _text(unknown)


def test_superseded_by_a_staff_document(client, staff_client_factory, ids):
    """A public notice replaced by a staff manual must not name or link the manual."""
    citizen = _text(client.get(f"/doc/{ids['old_public']}"))
    assert ids["new_staff"] not in citizen and "คู่มือการจัดซื้อจัดจ้างภายใน" not in citizen
    search = _text(client.get("/?q=จัดซื้อจัดจ้าง"))
    assert ids["new_staff"] not in search and "คู่มือการจัดซื้อจัดจ้างภายใน" not in search
    staff = _text(staff_client_factory().get(f"/doc/{ids['old_public']}"))
    assert ids["new_staff"] in staff and "ถูกแทนที่แล้ว" in staff


def test_browse_pages(client, staff_client_factory):
    paths = ("/browse/", "/browse/division/กองคลัง", "/browse/expert/เจ้าพนักงานจัดเก็บรายได้",
             "/browse/expert/นักวิชาการพัสดุ")
    for path in paths:
        html = _text(client.get(path))
        assert STAFF_TITLE not in html and "คู่มือการจัดซื้อจัดจ้างภายใน" not in html, path
    staff = staff_client_factory()
    assert STAFF_TITLE in _text(staff.get("/browse/division/กองคลัง"))
    assert STAFF_TITLE in _text(staff.get("/browse/expert/เจ้าพนักงานจัดเก็บรายได้"))


def test_landing_examples(client, staff_client_factory):
    assert "การจัดซื้อจัดจ้าง" in _text(staff_client_factory().get("/"))
    # The only procurement document a citizen sees is the old notice, so it still shows;
    # what matters is that nothing staff-only is named.
    assert STAFF_TITLE not in _text(client.get("/"))


def test_api_audience(client, staff_client_factory):
    citizen = client.get(f"/api/search?q={STAFF_ONLY_WORD}").get_json()
    assert citizen["total"] == 0 and citizen["hits"] == []
    staff = staff_client_factory().get(f"/api/search?q={STAFF_ONLY_WORD}").get_json()
    assert staff["audience"] == "staff" and staff["hits"][0]["title"] == STAFF_TITLE
