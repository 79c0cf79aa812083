"""Substring fallback (issue 11): when word search finds nothing or little, documents holding
the typed text inside longer words are found, ranked below word matches, and a citizen never
gets a staff document this way either."""

from __future__ import annotations

import pytest
from kmsearch.indexer import run
from kmsearch.indexer.run import index_paths
from whoosh import query as q

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


def _index_with_schema(home, root, monkeypatch, old, fields_of):
    """Index root with schema old and build_fields' fields changed by fields_of: an index as
    an earlier version wrote it."""
    real_build = run.build_fields

    def build(*args):
        return fields_of(real_build(*args))

    with monkeypatch.context() as m:
        m.setattr(indexstore, "get_schema", lambda: old)
        m.setattr(run, "get_schema", lambda: old)
        m.setattr(run, "build_fields", build)
        assert not index_paths(home, [root]).failed


def test_an_index_without_a_substring_field_keeps_working_and_is_rebuilt_by_the_next_run(
    tmp_path, monkeypatch
):
    root = write_tree(tmp_path / "kb", {"a.md": _doc("ก", "หมู่บ้านโนนสะอาด", "public")})
    home = Home(tmp_path / "home")
    old = schema.get_schema()
    old.remove(fallback.FIELD)

    def without_runs(fields):
        fields.pop(fallback.FIELD)
        return fields

    _index_with_schema(home, root, monkeypatch, old, without_runs)  # as written before issue 11
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


def test_an_index_with_the_old_trigram_field_still_finds_substrings_until_it_is_rebuilt(
    tmp_path, monkeypatch
):
    """Indexes written before the runs field hold character trigrams (field grams): their
    fallback keeps working, staff documents stay hidden from citizens, and the next index run
    writes a fresh generation with runs."""
    from whoosh import fields as whoosh_fields

    root = write_tree(tmp_path / "kb", {
        "public.md": _doc("ประกาศซ่อมถนนในชุมชน", "ซ่อมถนนสายหมู่บ้านโนนสะอาดเสร็จแล้ว", "public"),
        "staff.md": _doc("บันทึกตรวจงานจ้าง", "ตรวจรับงานถนนหมู่บ้านโนนสะอาดเหนือ", "staff"),
    })
    home = Home(tmp_path / "home")
    old = schema.get_schema()
    old.remove(fallback.FIELD)
    old.add(fallback.OLD_FIELD, whoosh_fields.TEXT(analyzer=fallback.ThaiGramAnalyzer(), phrase=False))

    def with_grams(fields):
        fields[fallback.OLD_FIELD] = fields.pop(fallback.FIELD)
        return fields

    _index_with_schema(home, root, monkeypatch, old, with_grams)
    service = SearchService(home)
    try:
        searcher = service._searcher()
        assert fallback.OLD_FIELD in searcher.schema.names() and fallback.FIELD not in searcher.schema.names()
        assert fallback.available(searcher)
        assert [h.title for h in service.search(PIECE, audience="public").hits if h.fallback] == [
            "ประกาศซ่อมถนนในชุมชน"]
        assert len([h for h in service.search(PIECE, audience="staff").hits if h.fallback]) == 2
        assert fallback.holds(searcher, PIECE, None) and not fallback.holds(searcher, "สะอาดใต้", None)
    finally:
        service.close()
    report = index_paths(home, [root])
    assert report.indexed == 2 and not report.failed
    service = SearchService(home)
    try:
        assert fallback.FIELD in service._searcher().schema.names()
        assert [h.title for h in service.search(PIECE, audience="public").hits if h.fallback] == [
            "ประกาศซ่อมถนนในชุมชน"]
    finally:
        service.close()


def test_the_vocabulary_finds_every_run_containing_a_substring_and_no_run_pair():
    vocab = fallback.Vocabulary(sorted(["โนนสะอาด", "สะอาดใจ", "บ้านสะอาดสะอาด", "ตรวจรับ", "อาดสะ"]))
    assert set(vocab.containing("สะอาด")) == {"โนนสะอาด", "สะอาดใจ", "บ้านสะอาดสะอาด"}
    assert vocab.containing("ตรวจรับ") == ["ตรวจรับ"]  # a whole run, at an end of the string
    assert vocab.containing("ใจตรวจ") == []  # the end of one run and the start of the next
    assert vocab.containing("นอนสะอาด") == []
    assert len(vocab.containing("สะอาด", limit=2)) == 2
    assert fallback.Vocabulary([]).containing("สะอาด") == []


def test_a_substring_is_found_inside_many_runs_and_ranked_by_how_often_it_occurs(tmp_path):
    """Each document holds the piece inside runs no other document has; the runs' counts
    decide the order (as the count in the stored text did with trigrams), and every
    document holding it is found, however many runs hold it."""
    files = {}
    for n in range(1, 13):
        # document n holds the piece n times, in n different runs (and one run twice at 12)
        words = " ".join(f"บ้าน{'ก' * k}โนนสะอาด{'ข' * n}" for k in range(1, n + 1))
        files[f"d{n:02}.md"] = _doc(f"เอกสารที่ {n}", words, "public")
    root = write_tree(tmp_path / "kb", files)
    home = Home(tmp_path / "home")
    assert not index_paths(home, [root]).failed
    service = SearchService(home)
    try:
        searcher = service._searcher()
        assert len(fallback.vocabulary(searcher).containing(PIECE)) == sum(range(1, 13))
        found = fallback.search(searcher, [PIECE], None, set(), 20)
        titles = [f["title"] for f, _score in found]
        assert sorted(titles) == sorted(f"เอกสารที่ {n}" for n in range(1, 13))
        # a count of 10 or more scores the same (the cap): 10, 11 and 12 tie at the top
        assert titles[3:] == [f"เอกสารที่ {n}" for n in range(9, 0, -1)]
        scores = [score for _f, score in found]
        assert scores == sorted(scores, reverse=True)
        assert found[-1][1] == len(PIECE) * 1.1 and found[0][1] == len(PIECE) * 2
        assert len(fallback.search(searcher, [PIECE], None, set(), 5)) == 5
    finally:
        service.close()


def test_staff_documents_never_reach_a_citizen_through_the_runs(tmp_path):
    """Staff documents that hold the piece more often than any public one (so they would
    rank first) are never shown to a citizen, nor do they make the piece count as present."""
    files = {f"staff{n}.md": _doc(f"บันทึกภายใน {n}", "โนนสะอาด " * 8, "staff") for n in range(5)}
    files["public.md"] = _doc("ประกาศ", "ถนนหมู่บ้านโนนสะอาดเหนือ", "public")
    root = write_tree(tmp_path / "kb", files)
    home = Home(tmp_path / "home")
    assert not index_paths(home, [root]).failed
    public = _hits(home, PIECE, "public")
    assert [h.title for h in public] == ["ประกาศ"] and public[0].fallback
    staff = [h.title for h in _hits(home, PIECE, "staff") if h.fallback]
    assert staff[-1] == "ประกาศ" and len(staff) == 6
    service = SearchService(home)
    try:
        searcher = service._searcher()
        staff_only = {f"บันทึกภายใน {n}" for n in range(5)}
        allowed = set(searcher.docs_for_query(q.Term("audience", "public")))
        found = fallback.search(searcher, [PIECE], allowed, set(), 10)
        assert [f["title"] for f, _ in found] == ["ประกาศ"]
        assert fallback.holds(searcher, "สะอาดเหนือ", None)
        assert not fallback.holds(searcher, "สะอาดเหนือ", q.Term("audience", "staff"))
        assert fallback.holds(searcher, "โนนสะอาด", q.Term("audience", "staff"))
        assert not staff_only & {f["title"] for f, _ in fallback.search(searcher, ["สะอาด"], allowed, set(), 10)}
    finally:
        service.close()


def test_the_filter_panel_counts_the_substring_matches_too(tmp_path):
    """Every document the results list is counted in the facets, the substring matches with
    the word matches, and for a citizen only the documents a citizen sees."""
    root = write_tree(tmp_path / "kb", {
        "กองช่าง/public.md": _doc("ประกาศซ่อมถนนในชุมชน", "ซ่อมถนนสายหมู่บ้านโนนสะอาดเสร็จแล้ว", "public"),
        "กองช่าง/staff.md": _doc("บันทึกตรวจงานจ้าง", "ตรวจรับงานถนนหมู่บ้านโนนสะอาดเหนือ", "staff"),
        "สำนักปลัด/staff.md": _doc("บันทึกประชุมหมู่บ้าน", "ประชุมผู้ใหญ่บ้านโนนสะอาดใต้", "staff"),
        "สำนักปลัด/other.md": _doc("ตารางเวรน้าอา", "เวรของน้าอาประจำสัปดาห์", "public"),
    })
    home = Home(tmp_path / "home")
    assert not index_paths(home, [root]).failed
    service = SearchService(home)
    try:
        for audience, expected in (("public", {"กองช่าง": 1, "สำนักปลัด": 1}),
                                   ("staff", {"กองช่าง": 2, "สำนักปลัด": 2})):
            result = service.search(PIECE, audience=audience)
            assert sum(h.fallback for h in result.hits) == sum(expected.values()) - 1
            assert dict(result.facets["division"]) == expected, audience
            listed: dict[str, int] = {}
            for hit in result.hits:
                listed[hit.doc_type] = listed.get(hit.doc_type, 0) + 1
            assert dict(result.facets["doc_type"]) == {k: v for k, v in listed.items() if k}
    finally:
        service.close()
