"""The document page and the download: metadata, readable text, who to ask, superseded
banners, and URLs that accept document ids only."""

import pytest

from kmsearch.engine.schema import doc_id_for


def _id(corpus_dir, rel):
    return doc_id_for(str((corpus_dir / rel).resolve()))


def _text(response):
    return response.get_data(as_text=True)


def test_document_page(client, corpus_dir):
    html = _text(client.get(f"/doc/{_id(corpus_dir, 'สำนักปลัด/เบี้ยยังชีพ.md')}"))
    assert "<h1>คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ</h1>" in html
    assert "คำแนะนำประชาชน" in html and "14 มี.ค. 2568" in html
    assert "บัตรประจำตัวประชาชน ทะเบียนบ้าน" in html  # the text, readable in the page
    assert "สอบถามเพิ่มเติม" in html and "หัวหน้าสำนักปลัด" in html and "นักพัฒนาชุมชน" in html
    assert "/download" in html and "ดาวน์โหลดไฟล์ต้นฉบับ" in html


def test_superseded_banner_points_to_current(client, corpus_dir):
    old = _id(corpus_dir, "กองคลัง/ภาษีบำรุงท้องที่.md")
    new = _id(corpus_dir, "กองคลัง/ภาษีที่ดิน.md")
    html = _text(client.get(f"/doc/{old}"))
    assert 'class="banner superseded"' in html and "ถูกแทนที่แล้ว" in html
    assert f'href="/doc/{new}">คำแนะนำการชำระภาษีที่ดินและสิ่งปลูกสร้าง</a>' in html
    current = _text(client.get(f"/doc/{new}"))
    assert 'class="banner superseded"' not in current
    assert f'href="/doc/{old}"' in current  # "replaces" the old guide


def test_search_marks_superseded_hits(client, corpus_dir):
    html = _text(client.get("/?q=ภาษีบำรุงท้องที่"))
    assert "เอกสารนี้ถูกแทนที่แล้ว" in html
    assert f'/doc/{_id(corpus_dir, "กองคลัง/ภาษีที่ดิน.md")}' in html


def test_document_text_is_escaped(client, corpus_dir):
    html = _text(client.get(f"/doc/{_id(corpus_dir, 'กองช่าง/ขออนุญาตก่อสร้าง.md')}"))
    assert '<script>alert("doc")</script>' not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;ไม่ใช่ตัวหนา&lt;/b&gt;" in html


def test_download_original(client, corpus_dir):
    rel = "สำนักปลัด/เบี้ยยังชีพ.md"
    with client.get(f"/doc/{_id(corpus_dir, rel)}/download") as response:
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
        assert response.data == (corpus_dir / rel).read_bytes()


def test_download_of_a_vanished_file(client, home, corpus_dir, tmp_path):
    """The index remembers a file that was moved away: a clear page, no traceback."""
    from kmsearch.indexer.run import index_paths

    from kmsearch.home import Home

    folder = tmp_path / "moved"
    (folder / "กองช่าง").mkdir(parents=True)
    source = folder / "กองช่าง" / "ชั่วคราว.md"
    source.write_text("---\ntitle: เอกสารชั่วคราว\naudience: public\n---\n\nข้อความชั่วคราว\n",
                      encoding="utf-8")
    index_paths(Home(home.path), [folder])
    source.unlink()
    doc = doc_id_for(str(source.resolve()))
    assert "ไม่มีไฟล์ต้นฉบับให้ดาวน์โหลด" in _text(client.get(f"/doc/{doc}"))
    response = client.get(f"/doc/{doc}/download")
    assert response.status_code == 410 and "ไม่มีไฟล์ต้นฉบับแล้ว" in _text(response)


@pytest.mark.parametrize(
    "path",
    [
        "/doc/../../etc/passwd",
        "/doc/..%2F..%2Fetc%2Fpasswd",
        "/doc/%2e%2e/%2e%2e/etc/passwd/download",
        "/doc/..%5c..%5cwindows/download",
        "/doc/ABCDEF0123456789",  # ids are lower-case hex
        "/doc/0123456789abcdef0/download",  # 17 digits
        "/doc/0123456789abcde/download",  # 15 digits
        "/doc/0123456789abcdef%00/download",
        "/doc/0123456789abcdef/download/../../../etc/passwd",
        "/doc/" + "a" * 16 + "/..%2F..%2Fkmsearch.db",
        "/static/../kmsearch.db",
        "/static/..%2F..%2Fsecret_key",
    ],
)
def test_traversal_attempts(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404), path
    body = response.get_data()
    assert b"root:" not in body and b"SQLite format" not in body


def test_unknown_document(client):
    response = client.get("/doc/0123456789abcdef")
    assert response.status_code == 404 and "ไม่พบหน้าที่ต้องการ" in _text(response)
    assert "เข้าสู่ระบบ</a>เพื่อดูเอกสารภายใน" in _text(response)
