"""Searching (kmsearch.engine.search): recall inside compounds, ranking, the audience rule, phrases,
digits, suggestions, highlighting, facets, documents and supersession."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsearch.engine import synonyms
from kmsearch.engine.analysis import analyze
from kmsearch.engine.search import EmptyQueryError, NoIndexError, SearchService
from kmsearch.home import Home
from tests import core_fixtures

# the shared, session-built indexes (see tests/core_fixtures.py)
small_kb = core_fixtures.small_kb
corpus_kb = core_fixtures.corpus_kb

ALL = 1000  # a page length that holds every hit of the small corpus


def paths(result) -> list[str]:
    return [h.path for h in result.hits]


def ids(result) -> list[str]:
    return [h.doc_id for h in result.hits]


def query_terms(text: str) -> set[str]:
    """Every term (words and compound parts) the analyzer makes of text."""
    return {t for t, *_ in analyze(text)}


def marked(hit) -> list[str]:
    return [text for text, is_match in hit.fragments if is_match]


def is_query_word(piece: str, wanted: set[str]) -> bool:
    """A highlighted piece is whole words (or compound parts) of the query, nothing less."""
    words = [t for t, *_ in analyze(piece, parts=False)]
    return bool(words) and all(w in wanted for w in words)


# --- recall and ranking ------------------------------------------------------------------


def test_word_found_only_inside_a_compound(small_kb):
    result = small_kb.service.search("ระเบียบ", audience="staff")
    assert paths(result) == [small_kb.path_of("กองคลัง/คู่มือการจัดซื้อจัดจ้าง.md")]
    assert marked(result.hits[0]) == ["ระเบียบ"]


def test_compound_query_finds_the_document(small_kb):
    result = small_kb.service.search("งานก่อสร้าง", audience="staff")
    assert paths(result)[0] == small_kb.path_of("กองช่าง/คู่มือควบคุมงานก่อสร้าง.md")


def _corpus_sentences(kb) -> list[tuple[str, str]]:
    """(doc_id, sentence) for space-separated chunks of >= 25 characters that occur in
    exactly one document of the corpus (a sentence shared by several has no one source)."""
    service = kb.service
    texts = {d.doc_id: service.document(d.doc_id, "staff").text for d in service.documents("staff")}
    out = []
    for doc_id, text in sorted(texts.items()):
        for chunk in re.split(r"[\s•]+", text):
            if len(chunk) >= 25 and sum(chunk in t for t in texts.values()) == 1:
                out.append((doc_id, chunk))
    return out


@pytest.fixture(scope="module")
def corpus_sentences(corpus_kb):
    sentences = _corpus_sentences(corpus_kb)
    assert len(sentences) >= 50
    return sentences


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_sentence_of_a_document_ranks_it_in_the_top_3(corpus_kb, corpus_sentences, data):
    doc_id, sentence = data.draw(st.sampled_from(corpus_sentences), label="sentence")
    # the same sentence with spaces typed between some of its words
    starts = sorted({s for _t, _p, s, _e, part in analyze(sentence) if not part and s > 0})
    chosen = data.draw(st.sets(st.sampled_from(starts)) if starts else st.just(set()), label="cuts")
    spaced = "".join(
        (" " if i in chosen else "") + ch for i, ch in enumerate(sentence)
    )
    for query in (sentence, spaced):
        result = corpus_kb.service.search(query, audience="staff", pagelen=3)
        assert doc_id in ids(result), (query, [h.title for h in result.hits])
        top = next(h for h in result.hits if h.doc_id == doc_id)
        # what is highlighted is words of the query (or of the official term an everyday
        # term of the query stands for, which the results also mark), never half a word
        expansions = synonyms.find(synonyms.load(corpus_kb.home.path / synonyms.FILENAME), query)
        wanted = query_terms(" ".join([query, *(x.official for x in expansions)]))
        assert all(is_query_word(piece, wanted) for piece in marked(top)), marked(top)


@pytest.mark.parametrize("audience", ["public", "staff"])
def test_citizen_question_ranks_the_elderly_allowance_guide_first(corpus_kb, audience):
    result = corpus_kb.service.search("ต้องใช้เอกสารอะไรบ้างในการขอรับเบี้ยยังชีพ", audience=audience)
    assert result.hits, "a question is not an AND of every word"
    first = result.hits[0]
    assert "คำแนะนำการขอรับเบี้ยยังชีพผู้สูงอายุ" in first.path
    assert first.audience == "public" and first.doc_type == "guide"


def test_question_in_the_small_corpus_too(small_kb):
    result = small_kb.service.search("ผู้สูงอายุต้องใช้เอกสารอะไรบ้าง", audience="public")
    assert paths(result)[0] == small_kb.path_of("สำนักปลัด/เบี้ยยังชีพผู้สูงอายุ.md")


# --- phrases, digits ---------------------------------------------------------------------


def test_quoted_phrase_requires_the_words_together(small_kb):
    service = small_kb.service
    apart = small_kb.path_of("กองคลัง/คำแนะนำภาษีบำรุงท้องที่.md")  # ที่ดิน ... สิ่งปลูกสร้าง apart
    together = small_kb.path_of("กองคลัง/คำแนะนำภาษีที่ดิน.md")
    loose = service.search("ที่ดินและสิ่งปลูกสร้าง", audience="public", pagelen=ALL)
    assert {together, apart} <= set(paths(loose))
    phrase = service.search('"ที่ดินและสิ่งปลูกสร้าง"', audience="public", pagelen=ALL)
    assert paths(phrase) == [together]
    # staff see every document that has the phrase, and only those
    staff = service.search('"ที่ดินและสิ่งปลูกสร้าง"', audience="staff", pagelen=ALL)
    having = {
        d.path
        for d in service.documents("staff")
        if "ที่ดินและสิ่งปลูกสร้าง" in service.document(d.doc_id, "staff").text
    }
    assert set(paths(staff)) == having and apart not in having


def test_thai_and_arabic_digits_find_the_same_documents(small_kb):
    service = small_kb.service
    thai = service.search("๒๕๖๘", audience="public")
    arabic = service.search("2568", audience="public")
    assert paths(thai) == paths(arabic) == [small_kb.path_of("กองคลัง/คำแนะนำภาษีป้าย.md")]
    # the document wrote ๒๕๖๘; the stored text, and so the highlight, use Arabic digits
    assert marked(arabic.hits[0]) == ["2568"]
    sixty = service.search("อายุ 60 ปี", audience="public")  # the guide wrote ๖๐
    assert paths(sixty)[0] == small_kb.path_of("สำนักปลัด/เบี้ยยังชีพผู้สูงอายุ.md")


# --- the audience rule whatever is typed -------------------------------------------------

CITIZEN_QUERIES = [
    "audience:staff",
    "audience:staff ครุภัณฑ์",
    "audience:public OR audience:staff",
    "ครุภัณฑ์ OR audience:staff",
    "content:ครุภัณฑ์",
    "division:กองคลัง",
    "division:กองคลัง ภาษี",
    "expert:เจ้าพนักงานพัสดุ",
    "doc_id:*",
    "*",
    "ภาษี*",
    "ครุ*",
    '"ภาษี',
    '"ภาษี (',
    "(ภาษี OR ป้าย",
    "ภาษี AND NOT ป้าย",
    "NOT ป้าย",
    "ครุภัณฑ์ AND ระเบียบ OR พัสดุ",
    "title:",
    "title:ครุภัณฑ์",
    ")",
    '""',
    ":",
    "[a TO z]",
    "ภาษี^5",
    "ครุภัณฑ์~2",
    "\\",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("text", CITIZEN_QUERIES)
def test_query_syntax_never_errors_and_never_lifts_the_audience_filter(small_kb, text):
    public = small_kb.service.search(text, audience="public", pagelen=ALL)
    assert all(h.audience == "public" for h in public.hits), [h.title for h in public.hits]
    assert public.total == len(public.hits)
    assert all(
        count <= public.total for values in public.facets.values() for _v, count in values
    )
    if public.suggestion:
        assert small_kb.service.search(public.suggestion, audience="public").total > 0
    # Staff see every document a citizen sees (and their own): the same query never finds less.
    staff = small_kb.service.search(text, audience="staff", pagelen=ALL)
    assert {h.doc_id for h in public.hits} <= {h.doc_id for h in staff.hits}


def test_staff_only_words_find_nothing_for_citizens(small_kb):
    for text in ("ครุภัณฑ์", "ระเบียบ", "จัดซื้อจัดจ้าง", "นายช่างโยธา"):
        assert small_kb.service.search(text, audience="staff").total >= 1
        result = small_kb.service.search(text, audience="public")
        assert result.total == 0 and result.hits == []


@pytest.mark.parametrize(
    "text, clean",
    [("\u0e35ภาษีป้าย", "ภาษีป้าย"), ("\u0e38 ภาษี\u200b", "ภาษี"), ("\u0e4dภาษี\u200d", "ภาษี")],
)
def test_stray_leading_mark_and_invisible_characters_are_ignored(small_kb, text, clean):
    """A query starting with a lone vowel or tone mark (pasted from a broken PDF) or carrying
    zero-width characters finds what the clean query finds, in the same order."""
    for audience in ("public", "staff"):
        got = small_kb.service.search(text, audience=audience, pagelen=ALL)
        want = small_kb.service.search(clean, audience=audience, pagelen=ALL)
        assert want.total > 0
        assert [h.doc_id for h in got.hits] == [h.doc_id for h in want.hits], audience


def test_unknown_audience_is_refused(small_kb):
    with pytest.raises(ValueError):
        small_kb.service.search("ภาษี", audience="citizen")


# --- filters and facets ------------------------------------------------------------------


def test_division_expert_and_doc_type_filters(small_kb):
    service = small_kb.service
    by_division = service.search("ภาษี", audience="staff", division="กองคลัง", pagelen=ALL)
    assert by_division.total >= 4 and {h.division for h in by_division.hits} == {"กองคลัง"}
    assert service.search("ภาษี", audience="staff", division="กองช่าง").total == 0
    by_expert = service.search("คู่มือ", audience="staff", expert="นายช่างโยธา", pagelen=ALL)
    assert paths(by_expert) == [small_kb.path_of("กองช่าง/คู่มือควบคุมงานก่อสร้าง.md")]
    guides = service.search("ภาษี", audience="staff", doc_type="guide", pagelen=ALL)
    assert guides.total >= 3 and {h.doc_type for h in guides.hits} == {"guide"}


@pytest.mark.parametrize("audience", ["public", "staff"])
def test_facets_count_only_the_documents_the_searcher_sees(small_kb, audience):
    result = small_kb.service.search("ภาษี เจ้าหน้าที่ คู่มือ", audience=audience, pagelen=ALL)
    assert result.total == len(result.hits) > 0
    assert dict(result.facets["division"]) == dict(Counter(h.division for h in result.hits))
    assert dict(result.facets["doc_type"]) == dict(Counter(h.doc_type for h in result.hits))
    experts = Counter(e for h in result.hits for e in h.expert)
    assert dict(result.facets["expert"]) == dict(experts)
    if audience == "public":
        assert "เจ้าพนักงานพัสดุ" not in dict(result.facets["expert"])  # only on a staff manual
        assert "manual" not in dict(result.facets["doc_type"])


def test_paging(small_kb):
    service = small_kb.service
    everything = service.search("ภาษี", audience="staff", pagelen=ALL)
    first = service.search("ภาษี", audience="staff", pagelen=2, page=1)
    second = service.search("ภาษี", audience="staff", pagelen=2, page=2)
    assert first.total == second.total == everything.total
    assert ids(first) + ids(second) == ids(everything)[:4]
    assert first.pagecount == -(-everything.total // 2)


# --- suggestions -------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["public", "staff"])
def test_keyboard_left_in_english_layout(small_kb, audience):
    assert small_kb.service.search("4kKuxhkp", audience=audience).suggestion == "ภาษีป้าย"


def test_keyboard_layout_on_the_bundled_corpus(corpus_kb):
    result = corpus_kb.service.search("4kKuxhkp", audience="public")
    assert result.suggestion == "ภาษีป้าย"


@pytest.mark.parametrize(
    "typo, fixed, audience",
    [
        ("ภาษีป่าย", "ภาษีป้าย", "public"),  # a tone mark swapped for another
        ("ครุภันฑ์", "ครุภัณฑ์", "staff"),  # one consonant
        ("ทะเบียนบ้าร", "ทะเบียนบ้าน", "public"),
    ],
)
def test_one_letter_typo_is_corrected(small_kb, typo, fixed, audience):
    result = small_kb.service.search(typo, audience=audience)
    assert result.suggestion == fixed
    assert small_kb.service.search(fixed, audience=audience).total > 0


@pytest.mark.parametrize(
    "text, audience",
    [
        ("ภาษีป้าย", "public"),
        ("ครุภัณฑ์", "staff"),
        ("เบี้ยยังชีพผู้สูงอายุ", "public"),
        ("e-GP", "staff"),
        ("2568", "public"),
        ("ผู้สูงอายุลงทะเบียนที่ไหน", "public"),
        ("ต้องใช้เอกสารอะไรบ้าง", "public"),  # บ้าง is in no document: not a typo of บ้าน
    ],
)
def test_no_suggestion_for_a_correct_query(small_kb, text, audience):
    result = small_kb.service.search(text, audience=audience)
    assert result.total > 0
    assert result.suggestion is None


def test_no_suggestion_for_correct_queries_on_the_bundled_corpus(corpus_kb):
    for text in ("ภาษีป้าย", "เบี้ยยังชีพผู้สูงอายุ", "e-LAAS", "ราคากลางงานก่อสร้าง"):
        assert corpus_kb.service.search(text, audience="staff").suggestion is None, text


@pytest.mark.parametrize(
    "text",
    ["ประเมินผลการปฏิบัติงานปีละกี่ครั้ง", "แผนดำเนินงานต้องจัดทำให้เสร็จภายในกี่วัน"],
)
def test_no_suggestion_for_correct_questions_on_the_bundled_corpus(corpus_kb, text):
    # judged questions of corpus_sources/queries (B.yaml, A.yaml): correctly spelled
    result = corpus_kb.service.search(text, audience="staff")
    assert result.total > 0
    assert result.suggestion is None


def test_suggestion_never_offers_a_staff_only_word_to_a_citizen(small_kb):
    service = small_kb.service
    # ครุภัณฑ์ is only in a staff manual
    assert service.search("ครุภันฑ์", audience="staff").suggestion == "ครุภัณฑ์"
    assert service.search("ครุภันฑ์", audience="public").suggestion is None
    # typed with the keyboard in English layout
    assert service.search("8i64yIRN", audience="staff").suggestion == "ครุภัณฑ์"
    assert service.search("8i64yIRN", audience="public").suggestion is None


def test_suggestion_staff_only_in_a_corpus_built_for_it(tmp_path):
    from tests.core_fixtures import front_matter_doc, index_home, write_tree

    root = write_tree(
        tmp_path / "kb",
        {
            "a/public.md": front_matter_doc(
                {"title": "คำแนะนำประชาชน", "audience": "public"},
                "# คำแนะนำประชาชน\n\nการยื่นคำร้องขอใบอนุญาตทำได้ที่สำนักงานเทศบาล",
            ),
            "a/staff.md": front_matter_doc(
                {"title": "บันทึกภายใน", "audience": "staff"},
                "# บันทึกภายใน\n\nการตรวจสอบพัสดุประจำปีของกองคลัง",
            ),
        },
    )
    home, report = index_home(tmp_path / "home", [root])
    assert report.failed == []
    service = SearchService(home)
    try:
        assert service.search("พัสดะ", audience="staff").suggestion == "พัสดุ"
        assert service.search("พัสดะ", audience="public").suggestion is None
        assert service.search("ใบอนุญาด", audience="public").suggestion == "ใบอนุญาต"
    finally:
        service.close()


# --- highlighting, documents, supersession -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["ภาษีป้าย", "ระเบียบ", "ครุภัณฑ์", "๒๕๖๘", "นายช่างโยธา", "e-GP", "บัญชีเงินฝาก"],
)
def test_highlighted_text_is_the_matched_word_of_the_stored_text(small_kb, text):
    service = small_kb.service
    result = service.search(text, audience="staff")
    assert result.hits
    wanted = query_terms(text)
    for hit in result.hits:
        stored = service.document(hit.doc_id, "staff").text
        assert hit.fragments, "a hit has a snippet"
        assert hit.snippet == "".join(t for t, _m in hit.fragments)
        for piece in marked(hit):
            assert is_query_word(piece, wanted), (piece, wanted)
            assert piece in stored  # verbatim characters of the stored text
    assert any(marked(h) for h in result.hits)


def test_staff_document_is_invisible_to_citizens(small_kb):
    service = small_kb.service
    staff_doc = small_kb.doc_id("สำนักปลัด/คู่มือครุภัณฑ์.md")
    assert service.document(staff_doc, "public") is None
    doc = service.document(staff_doc, "staff")
    assert doc is not None and "ครุภัณฑ์" in doc.text and doc.audience == "staff"
    public_ids = {d.doc_id for d in service.documents("public")}
    assert staff_doc not in public_ids
    assert all(d.audience == "public" for d in service.documents("public"))
    assert len(service.documents("staff")) == 9


@pytest.mark.parametrize("bad", ["", "not-hex", "../../etc/passwd", "ABCDEF0123456789"])
def test_document_with_a_bad_id_is_none(small_kb, bad):
    assert small_kb.service.document(bad, "staff") is None


def test_superseded_document_points_to_its_replacement(small_kb):
    service = small_kb.service
    old = small_kb.doc_id("กองคลัง/คู่มือภาษีโรงเรือน.md")  # staff, replaced by a public guide
    new = small_kb.doc_id("กองคลัง/คำแนะนำภาษีที่ดิน.md")
    doc = service.document(old, "staff")
    assert doc.superseded_by == new
    assert doc.superseded_by_title == "คำแนะนำการชำระภาษีที่ดินและสิ่งปลูกสร้าง"
    replacement = service.document(new, "staff")
    assert replacement.superseded_by is None
    assert replacement.replaces == [(old, "คู่มือภาษีโรงเรือนและที่ดิน (ยกเลิกแล้ว)")]
    # a citizen sees the replacement but is not told about the staff manual it replaced
    assert service.document(new, "public").replaces == []
    hit = next(h for h in service.search("ภาษีโรงเรือน", audience="staff").hits if h.doc_id == old)
    assert hit.superseded_by == new and hit.to_dict()["superseded_by"] == new


def test_citizen_is_never_pointed_to_a_staff_replacement(small_kb):
    service = small_kb.service
    old = small_kb.doc_id("กองคลัง/คำแนะนำภาษีบำรุงท้องที่.md")  # public, replaced by staff
    new = small_kb.doc_id("กองคลัง/คู่มือภาษีที่ดินสำหรับเจ้าหน้าที่.md")
    assert service.document(old, "staff").superseded_by == new
    seen = service.document(old, "public")
    assert seen is not None and seen.superseded_by is None and seen.superseded_by_title is None
    hit = next(h for h in service.search("ภาษีบำรุงท้องที่", audience="public").hits if h.doc_id == old)
    assert hit.superseded_by is None and hit.superseded_by_title is None
    assert service.document(new, "staff").replaces == [(old, "คำแนะนำภาษีบำรุงท้องที่ (ยกเลิกแล้ว)")]


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_query_raises(small_kb, text):
    with pytest.raises(EmptyQueryError):
        small_kb.service.search(text, audience="staff")


def test_search_without_an_index(tmp_path):
    service = SearchService(Home(tmp_path / "empty-home"))
    with pytest.raises(NoIndexError):
        service.search("ภาษี", audience="staff")


def test_result_as_json_has_the_contract_keys(small_kb):
    data = small_kb.service.search("ภาษีป้าย", audience="public").to_dict()
    # the contract's keys, plus the two README documents for corrected results (issue 11)
    assert set(data) == {"query", "total", "hits", "suggestion", "searched", "corrected"}
    assert data["query"] == "ภาษีป้าย" and data["searched"] == "ภาษีป้าย" and not data["corrected"]
    required = {"path", "title", "topic", "division", "expert", "audience", "doc_type", "score",
                "snippet"}
    for hit in data["hits"]:
        assert required <= set(hit)
        assert isinstance(hit["expert"], list) and isinstance(hit["score"], float)


def test_open_service_stops_showing_a_document_an_incremental_run_made_staff_only(tmp_path):
    """A long-running server must not keep a public copy of a document that became staff-only."""
    root, home = core_fixtures.two_public_guides(tmp_path)
    service = SearchService(home)
    try:
        assert service.search("ภาษีป้าย", audience="public").total == 1
        core_fixtures.make_guide_staff_only(root, home)
        assert service.search("ภาษีป้าย", audience="public").total == 0
        assert [h.title for h in service.search("ภาษีป้าย", audience="staff").hits] == ["บันทึกภายใน"]
        assert [d.title for d in service.documents("public")] == ["อื่น"]
    finally:
        service.close()
