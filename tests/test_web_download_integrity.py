"""A download serves only the file that was indexed, never what replaced it since."""

from kmsearch.indexer.run import index_paths
from kmsearch.web import create_app

from kmsearch.engine.schema import doc_id_for
from kmsearch.home import Home

PUBLIC = "---\ntitle: คำแนะนำภาษีป้าย\naudience: public\n---\nยื่นแบบภาษีป้ายภายในเดือนมีนาคม\n"
SECRET = "---\ntitle: บันทึกภายใน\naudience: staff\n---\nรายชื่อผู้ค้างชำระภาษี (ภายใน)\n"


def test_a_file_changed_since_indexing_is_not_served_until_reindexed(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    guide = root / "guide.md"
    guide.write_text(PUBLIC, encoding="utf-8")
    home = Home(tmp_path / "home")
    index_paths(home, [root])
    client = create_app(home, {"TESTING": True}).test_client()
    doc_id = doc_id_for(str(guide.resolve()))

    first = client.get(f"/doc/{doc_id}/download")
    assert first.status_code == 200 and "มีนาคม" in first.get_data(as_text=True)
    first.close()

    # Staff-only content written over a public file: the index still says "public".
    guide.write_text(SECRET, encoding="utf-8")
    gone = client.get(f"/doc/{doc_id}/download")
    assert gone.status_code == 410
    assert "ผู้ค้างชำระ" not in gone.get_data(as_text=True)
    assert f"/doc/{doc_id}/download" not in client.get(f"/doc/{doc_id}").get_data(as_text=True)

    index_paths(home, [root])  # now the index knows it is a staff document
    assert client.get(f"/doc/{doc_id}/download").status_code == 404
