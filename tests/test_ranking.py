"""The two-stage ranking (kmsearch.engine.ranking) answers as an exhaustive evaluation does:
the total and the facet counts of Whoosh's own search over every document, and the first page
of scoring every matching document (not just the candidates)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as q
from whoosh import sorting

from kmsearch.engine import query as querymod
from kmsearch.engine import ranking
from kmsearch.engine.analysis import analyze
from kmsearch.engine.evaluation import load_judgments
from tests import core_fixtures

corpus_kb = core_fixtures.corpus_kb
small_kb = core_fixtures.small_kb


def whoosh_scores(searcher, node: q.Query, docnums: list[int]) -> dict[int, float]:
    """The score Whoosh's own matcher tree gives each of docnums (sorted) that node matches:
    the oracle the array arithmetic of kmsearch.engine.ranking is checked against."""
    context = searcher.context(needs_current=True)
    out: dict[int, float] = {}
    for sub, offset in searcher.leaf_searchers():
        m = node.matcher(sub, context)
        for docnum in docnums:
            local = docnum - offset
            if local < 0 or local >= sub.doc_count_all() or not m.is_active():
                continue
            if m.id() < local:
                m.skip_to(local)
                if not m.is_active():
                    break
            if m.id() == local:
                out[docnum] = m.score()
    return out


def _exhaustive(searcher, text: str, audience: str):
    """Whoosh evaluating the whole query on every document (what search.py did before)."""
    flt = q.Term("audience", "public") if audience == "public" else None
    facets = {
        "division": sorting.FieldFacet("division"),
        "expert": sorting.FieldFacet("expert", allow_overlap=True),
        "doc_type": sorting.FieldFacet("doc_type"),
    }
    found = searcher.search(
        querymod.build(querymod.parse(text)), filter=flt, limit=None, groupedby=facets,
        maptype=sorting.Count,
    )
    counts = {
        name: sorted(((k, v) for k, v in found.groups(name).items() if k), key=lambda kv: (-kv[1], kv[0]))
        for name in facets
    }
    return found, counts


def _allowed(searcher, audience):
    return set(searcher.docs_for_query(q.Term("audience", "public"))) if audience == "public" else None


def _same_as_exhaustive(searcher, text: str, audience: str, pagelen: int = 10):
    found, counts = _exhaustive(searcher, text, audience)
    query = querymod.build(querymod.parse(text))
    ranked = ranking.rank(
        searcher, query, _allowed(searcher, audience), 1, pagelen, ("division", "expert", "doc_type")
    )
    assert ranked.total == len(found), text
    assert ranked.facets == counts, text
    everything = whoosh_scores(searcher, query, sorted(h.docnum for h in found))
    assert ranking.exact_scores(searcher, query, sorted(everything)) == pytest.approx(everything), text
    assert set(everything) == {h.docnum for h in found}, text
    expected = sorted(everything.items(), key=lambda kv: (-kv[1], kv[0]))[:pagelen]
    assert [d for d, _s in ranked.page] == [d for d, _s in expected], text
    assert [s for _d, s in ranked.page] == pytest.approx([s for _d, s in expected]), text


JUDGED = sorted({(j.query, j.audience) for j in load_judgments(core_fixtures.CORPUS_SOURCES / "queries")})


def test_every_judged_query_ranks_as_whoosh_does(corpus_kb):
    searcher = corpus_kb.service._searcher()
    checked = 0
    for text, audience in JUDGED:
        if querymod.parse(text).empty:
            continue
        _same_as_exhaustive(searcher, text, audience)
        checked += 1
    assert checked >= 100


def _words(kb) -> list[str]:
    service = kb.service
    text = " ".join(service.document(d.doc_id, "staff").text for d in service.documents("staff"))
    return sorted({t for t, _p, _s, _e, part in analyze(text) if not part})


@pytest.fixture(scope="module")
def corpus_words(corpus_kb):
    return _words(corpus_kb)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_queries_rank_as_whoosh_does(corpus_kb, corpus_words, data):
    words = data.draw(st.lists(st.sampled_from(corpus_words), min_size=1, max_size=6), label="words")
    quoted = data.draw(st.booleans(), label="quoted")
    glue = data.draw(st.sampled_from(["", " "]), label="glue")
    text = glue.join(words)
    if quoted:
        text = f'"{text}"'
    audience = data.draw(st.sampled_from(["public", "staff"]), label="audience")
    if querymod.parse(text).empty:
        return
    _same_as_exhaustive(corpus_kb.service._searcher(), text, audience)


def test_few_candidates_still_give_exact_totals_and_facets(corpus_kb, monkeypatch):
    """The candidate count bounds the work, never the total or the facet counts."""
    monkeypatch.setattr(ranking, "CANDIDATES", 1)
    searcher = corpus_kb.service._searcher()
    for text in ["ภาษี", "ต้องใช้เอกสารอะไรบ้างในการขอรับเบี้ยยังชีพ", '"ที่ดินและสิ่งปลูกสร้าง"']:
        for audience in ("public", "staff"):
            found, counts = _exhaustive(searcher, text, audience)
            ranked = ranking.rank(
                searcher, querymod.build(querymod.parse(text)), _allowed(searcher, audience), 1, 3,
                ("division", "expert", "doc_type"),
            )
            assert ranked.total == len(found) and ranked.facets == counts
            assert {d for d, _s in ranked.page} <= {h.docnum for h in found}
            assert len(ranked.page) == min(3, len(found))


def test_a_page_past_the_end_is_the_last_page(small_kb):
    searcher = small_kb.service._searcher()
    ranked = ranking.rank(searcher, querymod.build(querymod.parse("ภาษี")), None, 99, 2)
    assert ranked.pagenum == ranked.pagecount and ranked.page


def test_a_field_the_index_does_not_have_matches_nothing(small_kb):
    """An index written before a field was added (the OCR folded field, the grams field) still
    answers: clauses on that field match nothing, as Whoosh's own matchers do."""
    searcher = small_kb.service._searcher()
    absent = q.Or([q.Term("ภาษี_field", "ภาษี"), q.Phrase("no_such_field", ["ภาษี", "ป้าย"]),
                   q.Term("content", "ภาษี")])
    ranked = ranking.rank(searcher, absent, None, 1, 10)
    assert ranked.total == len(searcher.search(q.Term("content", "ภาษี"), limit=None))


def test_an_index_of_several_segments_with_deletions_ranks_as_whoosh_does(tmp_path):
    """Postings are read segment by segment (document numbers offset) and a replaced
    document's old posting is skipped: the same matches and scores as Whoosh's matchers."""
    from whoosh import index

    from kmsearch.engine.schema import get_schema

    texts = [
        ("ภาษีป้าย", "การยื่นแบบภาษีป้ายและการชำระภาษีป้ายที่กองคลัง ภาษีที่ดิน"),
        ("เบี้ยยังชีพ", "ผู้สูงอายุยื่นคำขอรับเบี้ยยังชีพ ภาษีป้าย ไม่เกี่ยว"),
        ("ภาษีที่ดิน", "ภาษีที่ดินและสิ่งปลูกสร้าง ชำระภาษีที่กองคลัง ป้าย"),
    ]
    ix = index.create_in(str(tmp_path), get_schema())
    for round_ in range(3):  # three commits without merging: three segments
        writer = ix.writer()
        for i, (title, content) in enumerate(texts):
            writer.update_document(  # a document of an earlier round is replaced: a deletion
                doc_id=f"d{i}" if round_ == 2 and i == 0 else f"d{round_}-{i}",
                title=title, content=f"{content} รอบ{round_}", audience="public",
            )
        writer.commit(merge=False)
    writer = ix.writer()
    writer.delete_by_term("doc_id", "d1-2")
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) >= 3 and searcher.reader().has_deletions()
        for text in ["ภาษีป้าย", "ภาษี ที่ดิน กองคลัง", '"ภาษีป้าย"', "ชำระภาษีป้ายที่กองคลัง"]:
            query = querymod.build(querymod.parse(text))
            everything = whoosh_scores(searcher, query, list(range(searcher.doc_count_all())))
            assert {d for d, _s in ranking.rank(searcher, query, None, 1, 1000).page} == set(everything), text
            assert ranking.exact_scores(searcher, query, sorted(everything)) == pytest.approx(everything), text
            ranked = ranking.rank(searcher, query, None, 1, 5)
            # Whoosh sums a segment's clauses in an order of its own, so two copies of one
            # document in different segments can differ in the last bit: order by the
            # scores rounded, then by document number.
            expected = sorted(everything.items(), key=lambda kv: (-round(kv[1], 9), kv[0]))[:5]
            assert [d for d, _s in ranked.page] == [d for d, _s in expected], text


def test_documents_are_scored_exactly_only_until_the_page_is_certain(corpus_kb, monkeypatch):
    """The page equals scoring every match, while positions are read for fewer documents
    than match: the upper bound rules the rest out."""
    searcher = corpus_kb.service._searcher()
    exact_sizes = []
    scored = ranking._Ranking.scored

    def counting(self, node, domain, exact):
        if exact and node is query:
            exact_sizes.append(len(domain))
        return scored(self, node, domain, exact)

    monkeypatch.setattr(ranking._Ranking, "scored", counting)
    pruned = 0
    for text in ["เทศบาล", "ภาษี", "ขั้นตอนการขอรับเบี้ยยังชีพผู้สูงอายุ", "ประชาชนยื่นคำร้อง"]:
        query = querymod.build(querymod.parse(text))
        exact_sizes.clear()
        ranked = ranking.rank(searcher, query, None, 1, 3)
        everything = whoosh_scores(searcher, query, list(range(searcher.doc_count_all())))
        expected = sorted(everything.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert [d for d, _s in ranked.page] == [d for d, _s in expected], text
        pruned += sum(exact_sizes) < ranked.total
    assert pruned >= 2


def test_a_citizens_scores_do_not_depend_on_how_the_index_is_segmented(tmp_path):
    """Statistics and coordination are taken over the whole index: the same documents give
    the same public scores in one segment or in several (incremental runs leave several)."""
    from whoosh import index

    from kmsearch.engine import audience_stats
    from kmsearch.engine.schema import get_schema

    docs = [
        ("ภาษีป้าย", "การยื่นแบบภาษีป้ายและการชำระภาษีป้ายที่กองคลัง", "public"),
        ("ครุภัณฑ์", "ทะเบียนครุภัณฑ์และการตรวจนับพัสดุประจำปี ภาษี", "staff"),
        ("ภาษีที่ดิน", "ภาษีที่ดินและสิ่งปลูกสร้าง ชำระภาษีที่กองคลัง ป้าย", "public"),
        ("เบี้ยยังชีพ", "ผู้สูงอายุยื่นคำขอรับเบี้ยยังชีพ ภาษีป้าย", "public"),
        ("งบประมาณ", "การจัดทำงบประมาณรายจ่ายประจำปี กองคลัง ภาษีป้าย", "staff"),
    ]
    scores = []
    for commits in (1, len(docs)):
        folder = tmp_path / str(commits)
        folder.mkdir()
        ix = index.create_in(str(folder), get_schema())
        per = len(docs) // commits
        for start in range(0, len(docs), per):
            writer = ix.writer()
            for i, (title, content, audience) in enumerate(docs[start : start + per], start=start):
                writer.add_document(doc_id=f"d{i}", title=title, content=content, audience=audience)
            writer.commit(merge=False)
        with ix.searcher() as searcher:
            assert len(searcher.reader().leaf_readers()) == commits
            public = set(searcher.docs_for_query(q.Term("audience", "public")))
            ranker = audience_stats.for_audience(searcher, public)
            found = {}
            for text in ["ภาษีป้าย", "ชำระภาษีที่กองคลัง", "ครุภัณฑ์ ภาษี"]:
                query = ranker.visible_query(querymod.build(querymod.parse(text)))
                found[text] = ranking.rank(ranker, query, public, 1, 10).page
            scores.append(found)
    one, several = scores
    assert one.keys() == several.keys()
    for text in one:
        assert [d for d, _s in one[text]] == [d for d, _s in several[text]], text
        assert [s for _d, s in one[text]] == pytest.approx([s for _d, s in several[text]]), text
        assert one[text], text
