"""Substring fallback (issue 11): when word search finds nothing or little, documents holding
the typed text inside longer words are found, ranked below word matches, and a citizen never
gets a staff document this way either."""

from __future__ import annotations

import pytest
from kmsearch.indexer import run
from kmsearch.indexer.run import index_paths

from kmsearch.engine import analysis, fallback, indexstore, schema
from kmsearch.engine.search import SearchService
from kmsearch.home import Home
from tests.core_fixtures import front_matter_doc, write_tree

# The piece of a village name a person types: the dictionary cuts it น|สะ|อา, pieces no
# document has as words, while the documents hold it inside โนน|สะอาด.
PIECE = "นสะอา"


def _doc(title: str, body: str, audience: str) -> str:
    return front_matter_doc({"title": title, "audience": audience}, body)


@pytest.fixture
def home(tmp_path):
    root = write_tree(tmp_path / "kb", {
        "public.md": _doc("ประกาศซ่อมถนนในชุมชน", "ซ่อมถนนสายหมู่บ้านโนนสะอาดเสร็จแล้ว", "public"),
        "staff.md": _doc("บันทึกตรวจงานจ้าง", "ตรวจรับงานถนนหมู่บ้านโนนสะอาดเหนือ", "staff"),
        "other.md": _doc("ตารางเวรน้าอา", "เวรของน้าอาประจำสัปดาห์", "public"),
    })
    home = Home(tmp_path / "home")
    assert not index_paths(home, [root]).failed
    return home


def _hits(home, text, audience):
    service = SearchService(home)
    try:
        return service.search(text, audience=audience).hits
    finally:
        service.close()


def test_the_piece_is_not_a_word_of_any_document():
    words = {t for t, *_ in analysis.analyze("ซ่อมถนนสายหมู่บ้านโนนสะอาดเสร็จแล้ว ตรวจรับงานถนนหมู่บ้านโนนสะอาดเหนือ")}
    assert not {t for t, *_ in analysis.analyze(PIECE)} & words  # so words alone find neither


def test_a_citizen_finds_the_public_document_by_a_substring_and_never_the_staff_one(home):
    hits = _hits(home, PIECE, "public")
    found = [h for h in hits if h.fallback]
    assert [h.title for h in found] == ["ประกาศซ่อมถนนในชุมชน"]
    assert all(h.audience == "public" for h in hits)
    assert any(PIECE in text and marked for text, marked in found[0].fragments)


def test_staff_find_both(home):
    titles = {h.title for h in _hits(home, PIECE, "staff") if h.fallback}
    assert titles == {"ประกาศซ่อมถนนในชุมชน", "บันทึกตรวจงานจ้าง"}


def test_substring_matches_rank_below_word_matches(home):
    hits = _hits(home, PIECE, "public")
    # ตารางเวรน้าอา matches the word อา; the substring match comes after it, scored lower
    assert [h.fallback for h in hits] == sorted(h.fallback for h in hits)
    words = [h for h in hits if not h.fallback]
    assert words and words[0].title == "ตารางเวรน้าอา"
    assert max(h.score for h in hits if h.fallback) < min(h.score for h in words)


def test_an_index_without_the_grams_field_keeps_working_and_is_rebuilt_by_the_next_run(
    tmp_path, monkeypatch
):
    root = write_tree(tmp_path / "kb", {"a.md": _doc("ก", "หมู่บ้านโนนสะอาด", "public")})
    home = Home(tmp_path / "home")
    old = schema.get_schema()
    old.remove("grams")
    real_build = run.build_fields

    def build_without_grams(*args):
        fields = real_build(*args)
        fields.pop("grams")
        return fields

    with monkeypatch.context() as m:  # an index as written before issue 11
        m.setattr(indexstore, "get_schema", lambda: old)
        m.setattr(run, "get_schema", lambda: old)
        m.setattr(run, "build_fields", build_without_grams)
        index_paths(home, [root])
    service = SearchService(home)
    try:
        assert not fallback.available(service._searcher())
        assert service.search("หมู่บ้าน", audience="public").hits  # searching still works
        assert not service.search(PIECE, audience="public").hits
    finally:
        service.close()
    report = index_paths(home, [root])  # nothing changed, but the index lacks a field
    assert report.indexed == 1 and not report.failed
    assert [h.fallback for h in _hits(home, PIECE, "public")] == [True]
