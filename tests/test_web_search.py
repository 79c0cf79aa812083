"""The search page and the JSON API: results, snippets, facets, pages, suggestions, escaping."""

import re

from conftest import log_rows


def _text(response):
    return response.get_data(as_text=True)


def _hit_titles(html):
    return re.findall(r'<li class="hit">\s*<h2><a href="/doc/[0-9a-f]{16}">([^<]+)</a>', html)


def test_empty_search_page(client):
    response = client.get("/")
    html = _text(response)
    assert response.status_code == 200
    assert 'name="q"' in html and "ค้นหาความรู้" in html
    assert 'lang="th"' in html and 'name="viewport"' in html
    # Example searches are topics the citizen has documents on.
    assert "เบี้ยยังชีพผู้สูงอายุ" in html and "การบริหารงานบุคคล" not in html


def test_blank_query_is_the_empty_page(client, app):
    assert client.get("/?q=+++").status_code == 200
    assert log_rows(app) == []


def test_thai_search_shows_result_details(client):
    html = _text(client.get("/?q=เบี้ยยังชีพ"))
    assert _hit_titles(html)[0] == "คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ"
    assert "สำนักปลัด" in html and "หัวหน้าสำนักปลัด" in html
    assert "คำแนะนำประชาชน" in html  # doc type in Thai
    assert "ปรับปรุง 14 มี.ค. 2568" in html  # Buddhist-Era date
    assert "<mark>เบี้ยยังชีพ</mark>" in html  # neighbouring matches joined into one mark


def test_question_finds_the_guide(client):
    html = _text(client.get("/?q=ต้องใช้เอกสารอะไรบ้างในการขอรับเบี้ยยังชีพ"))
    assert _hit_titles(html)[0] == "คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ"


def test_facets_have_counts_and_filter(client):
    html = _text(client.get("/?q=ภาษี"))
    assert 'class="facets"' in html
    facet = re.search(r'href="([^"]*doc_type=guide[^"]*)">คำแนะนำประชาชน</a>\s*'
                      r'<span class="count">(\d+)</span>', html)
    assert facet, "doc_type facet with a Thai label and a count"
    filtered = _text(client.get(facet.group(1).replace("&amp;", "&")))
    assert len(_hit_titles(filtered)) == int(facet.group(2))
    assert 'class="chip active"' in filtered  # the filter shows and can be removed


def test_division_and_expert_filters(client):
    html = _text(client.get("/?q=แผนพัฒนาท้องถิ่น&division=กองคลัง"))
    assert "ไม่พบเอกสาร" in html
    html = _text(client.get("/?q=ภาษี&expert=เจ้าพนักงานจัดเก็บรายได้"))
    assert _hit_titles(html) and 'class="chip active"' in html


def test_pagination(staff_client):
    first = _text(staff_client.get("/?q=แผนพัฒนาท้องถิ่น"))
    assert 'rel="next"' in first and 'aria-current="page">1<' in first
    second = _text(staff_client.get("/?q=แผนพัฒนาท้องถิ่น&page=2"))
    assert 'rel="prev"' in second and 'aria-current="page">2<' in second
    assert set(_hit_titles(first)).isdisjoint(_hit_titles(second))
    assert len(_hit_titles(first)) == 10


def test_bad_page_numbers_are_harmless(client):
    for page in ("abc", "-3", "0", "999999"):
        assert client.get(f"/?q=ภาษี&page={page}").status_code == 200


def test_did_you_mean_is_a_link(client):
    # exact=1 searches what was typed (otherwise the correction's results are shown at once:
    # tests/test_corrected_results.py)
    html = _text(client.get("/?q=4kKuxhkp&exact=1"))  # ภาษีป้าย typed in English layout
    match = re.search(r'class="suggestion">หมายถึง <a href="([^"]+)">([^<]+)</a>', html)
    assert match and match.group(2) == "ภาษีป้าย"
    assert _hit_titles(_text(client.get(match.group(1))))


def test_nothing_found_names_who_to_ask(client):
    html = _text(client.get("/?q=ภาษีรถยนต์ข้ามจังหวัด"))
    assert "ไม่พบเอกสารที่ตรงกับ" in html or _hit_titles(html)
    html = _text(client.get("/?q=zzqqxx การบริหารงานบุคคล"))
    assert "ไม่พบเอกสารที่ตรงกับ" in html
    assert "การบริหารงานบุคคล" in html and "นักทรัพยากรบุคคล" in html
    assert "/browse/expert/" in html


def test_query_with_markup_is_shown_as_text(client):
    response = client.get("/?q=<script>alert(1)</script>ภาษี")
    html = _text(response)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "script-src" not in response.headers["Content-Security-Policy"]  # no inline allowance
    api = client.get("/api/search?q=<script>x</script>").get_json()
    assert api["query"] == "<script>x</script>"


def test_snippet_text_is_escaped(client):
    html = _text(client.get("/?q=ขออนุญาตก่อสร้าง"))
    assert '<script>alert("doc")' not in html and "<b>ไม่ใช่ตัวหนา</b>" not in html


def test_overlong_query_is_cut(client):
    assert client.get("/?q=" + "ภาษี" * 500).status_code == 200


def test_api_search(client):
    body = client.get("/api/search?q=ภาษีป้าย").get_json()
    assert {"query", "total", "hits", "suggestion"} <= body.keys()
    assert body["audience"] == "public" and body["total"] == len(body["hits"])
    hit = body["hits"][0]
    assert {"path", "title", "topic", "division", "expert", "audience", "doc_type", "score",
            "snippet"} <= hit.keys()
    assert hit["doc_id"] and isinstance(hit["expert"], list)


def test_api_filters_and_pages(staff_client):
    body = staff_client.get("/api/search?q=แผนพัฒนาท้องถิ่น&page=2").get_json()
    assert body["page"] == 2 and body["pagecount"] == 2
    body = staff_client.get("/api/search?q=ภาษี&doc_type=manual").get_json()
    assert body["hits"] and {h["doc_type"] for h in body["hits"]} == {"manual"}


def test_api_empty_query_is_400(client):
    for url in ("/api/search", "/api/search?q=", "/api/search?q=%20"):
        response = client.get(url)
        assert response.status_code == 400 and "error" in response.get_json()


def test_api_errors_are_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]


def test_no_index_yet(tmp_path):
    from kmsearch.web import create_app

    from kmsearch.home import Home

    app = create_app(Home(tmp_path / "empty"), {"TESTING": True})
    try:
        client = app.test_client()
        assert client.get("/").status_code == 200
        response = client.get("/?q=ภาษี")
        assert response.status_code == 503 and "ยังไม่มีเอกสาร" in _text(response)
        assert client.get("/api/search?q=ภาษี").status_code == 503
        assert client.get("/browse/").status_code == 200
        assert client.get("/doc/0123456789abcdef").status_code == 404
    finally:
        app.extensions["kmsearch"].close()


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"


def test_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_staff_pages_are_not_cached(staff_client):
    assert staff_client.get("/?q=ภาษี").headers["Cache-Control"] == "private, no-store"


def test_bare_route_reads_no_database_for_staff_and_is_still_not_cached(app, staff_client):
    """/healthz is the load benchmark's bare route: even a signed-in browser's request must
    not read the roster (the security headers used to), and it is still kept out of caches."""
    import sqlalchemy as sa

    statements = []
    engine = app.extensions["kmsearch"].engine

    def count(*_args):
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = staff_client.get("/healthz")
        assert response.headers["Cache-Control"] == "private, no-store"
        assert statements == []
        staff_client.get("/?q=ภาษี")  # a page still asks the roster who is signed in
        assert statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_facet_links_are_the_urls_flask_builds(app):
    """url_with encodes its arguments itself (for speed): the same URL as url_for gives,
    whatever the words typed and the filter values hold."""
    from urllib.parse import urlencode

    from flask import url_for
    from kmsearch.web.search import url_with

    values = ["ภาษีป้าย", "ภาษี ป้าย", '"หนังสือ" & =+?#%/', "นาย ก, นาง ข", "é中😀\t!*()$,:;@~"]
    for typed in values:
        for value in values:
            args = {"q": typed, "division": value, "page": "3", "x": "1"}
            with app.test_request_context("/?" + urlencode(args)):
                kept = {"q": typed, "division": value}  # page and unknown arguments go
                assert url_with() == url_for("search.index", **kept)
                assert url_with(expert=value) == url_for("search.index", **kept, expert=value)
                assert url_with(division=None) == url_for("search.index", q=typed)
                assert url_with(page=2) == url_for("search.index", **kept, page=2)
