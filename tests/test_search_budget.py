"""The work budget of one search (issue 12 items 1, 3, 12, 13): bounded whatever is typed,
snippets linear in the document, audience required, suggestions from what the searcher sees.

No timings: each test counts the work (clauses, vocabulary scans, candidates, characters
segmented) or checks the answer."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as q
from whoosh.reading import SegmentReader

from kmsearch.engine import query as querymod
from kmsearch.engine import snippets, suggest
from kmsearch.engine.search import SearchService
from tests import core_fixtures
from tests.core_fixtures import front_matter_doc, write_tree

small_kb = core_fixtures.small_kb

THAI_LETTERS = [chr(c) for c in range(0x0E01, 0x0E4F)]


def _leaves(node: q.Query) -> int:
    return sum(len(leaf.words) if isinstance(leaf, q.Phrase) else 1 for leaf in node.leaves())


# --- 1. a bounded query ---------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(alphabet=st.sampled_from([*THAI_LETTERS, " ", '"']), min_size=150, max_size=2000))
def test_any_text_makes_a_bounded_query(text):
    parsed = querymod.parse(text)
    assert len(parsed.words) <= querymod.MAX_WORDS
    assert len(parsed.phrases) <= querymod.MAX_PHRASES
    assert all(len(p) <= querymod.MAX_PHRASE_WORDS for p in parsed.phrases)
    assert len(parsed.sequence) <= querymod.MAX_SEQUENCE
    if not parsed.empty:
        # words x fields, compound parts, pairs, the whole sequence: a fixed ceiling
        assert _leaves(querymod.build(parsed)) <= 1200


def test_a_long_misspelt_query_is_cut_to_the_budget():
    typed = "ภาษีป่ายงานสารบรรน" * 12  # about 200 characters of typos, as in the report
    parsed = querymod.parse(typed)
    assert len(parsed.sequence) <= querymod.MAX_SEQUENCE
    assert len(parsed.pairs) < querymod.MAX_SEQUENCE


class _Counting:
    """Counts the suggestion's vocabulary scans and candidates during one search."""

    def __init__(self, monkeypatch):
        self.scans = 0
        self.candidates = 0
        real_within = SegmentReader.terms_within
        real_in_memory = suggest.terms_within  # the scan over the shared vocabulary
        real_cost = suggest.typo_cost

        def terms_within(reader, *args, **kwargs):
            self.scans += 1
            return real_within(reader, *args, **kwargs)

        def in_memory(*args, **kwargs):
            self.scans += 1
            return real_in_memory(*args, **kwargs)

        def typo_cost(a, b):
            self.candidates += 1
            return real_cost(a, b)

        monkeypatch.setattr(SegmentReader, "terms_within", terms_within)
        monkeypatch.setattr(suggest, "terms_within", in_memory)
        monkeypatch.setattr(suggest, "typo_cost", typo_cost)


@pytest.mark.parametrize(
    "typed",
    [
        "ภาษีป่ายงานสารบรรน" * 12,
        "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ" * 5,
        " ".join(["ครุภันฑ์ พัสดะ ใบอนุญาด"] * 10),
    ],
)
@pytest.mark.parametrize("audience", ["public", "staff"])
def test_suggestion_work_is_bounded(small_kb, monkeypatch, typed, audience):
    counting = _Counting(monkeypatch)
    small_kb.service.search(typed, audience=audience)
    assert counting.scans <= suggest.MAX_LOOKUPS
    assert counting.candidates <= suggest.MAX_CANDIDATES


# --- 3. snippets linear in the document ------------------------------------------------------


def _brute_window(spans, width):
    best_start, best_score = spans[0][0], (-1, -1)
    for i, (start, _e, _t) in enumerate(spans):
        inside = [s for s in spans[i:] if s[1] <= start + width]
        score = (len({s[2] for s in inside}), len(inside))
        if score > best_score:
            best_start, best_score = start, score
    return best_start


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.tuples(st.integers(0, 80), st.integers(1, 30), st.sampled_from("abcd")),
                  min_size=1, max_size=60),
    width=st.integers(10, 250),
)
def test_best_window_is_the_exhaustive_choice(gaps, width):
    spans, at = [], 0
    for gap, length, term in gaps:
        spans.append((at + gap, at + gap + length, term))
        at += gap + length
    assert snippets.best_window(spans, width) == _brute_window(spans, width)


def test_a_large_repetitive_document_segments_only_a_region(monkeypatch):
    text = ("ยื่นแบบภาษีป้ายที่กองคลัง ชำระภาษีป้ายภายในเดือนเมษายน " * 20_000)[:1_000_000]
    segmented = []
    real = snippets.word_spans

    def counting(piece, *args, **kwargs):
        segmented.append(len(piece))
        return real(piece, *args, **kwargs)

    monkeypatch.setattr(snippets, "word_spans", counting)
    fragments = snippets.make_fragments(text, [("ภาษีป้าย", ("ภาษี", "ป้าย"))])
    assert any(m for _t, m in fragments)
    assert sum(segmented) <= 2 * snippets.ATTEMPTS * (snippets.REGION + 200)
    assert len(snippets.occurrences(text, {"ภาษีป้าย", "ภาษี"})) <= snippets.MAX_OCCURRENCES


def test_snippet_marks_a_latin_term_written_with_a_hyphen():
    text = "ก" * 3000 + " บันทึกบัญชีด้วยระบบ e-LAAS ทุกวัน " + "ข" * 3000
    fragments = snippets.make_fragments(text, [("elaas", ())])
    assert [t for t, m in fragments if m] == ["e-LAAS"]


# --- 12. audience is required --------------------------------------------------------------


def test_search_has_no_default_audience(small_kb):
    parameter = inspect.signature(SearchService.search).parameters["audience"]
    assert parameter.default is inspect.Parameter.empty
    with pytest.raises(TypeError):
        small_kb.service.search("ภาษี")  # forgetting the audience is an error, not staff


# --- 13. suggestions from what the searcher may see ------------------------------------------


@pytest.fixture(scope="module")
def secret_kb(tmp_path_factory):
    """A public guide and a staff memo holding words citizens must never be offered."""
    root = write_tree(tmp_path_factory.mktemp("secret") / "kb", {
        "guide.md": front_matter_doc({"title": "คำแนะนำ", "audience": "public"},
                                     "ยื่นแบบภาษีป้ายที่กองคลัง ชำระภาษีภายในเดือนเมษายน"),
        "memo.md": front_matter_doc({"title": "บันทึกภายใน", "audience": "staff"},
                                    "รายชื่อผู้ค้างชำระภาษี ครุภัณฑ์สำนักงาน ปลวกกินเอกสาร"),
    })
    home, report = core_fixtures.index_home(tmp_path_factory.mktemp("secret-home"), [root])
    assert report.failed == []
    service = SearchService(home)
    yield service
    service.close()


def test_a_citizen_is_never_offered_a_staff_only_word(secret_kb):
    # typed in English layout: "ครุภัณฑ์" (8i64yIRN) exists only in the staff memo
    assert secret_kb.search("8i64yIRN", audience="staff").suggestion == "ครุภัณฑ์"
    assert secret_kb.search("8i64yIRN", audience="public").suggestion is None
    # a typo of the staff-only word
    assert secret_kb.search("ครุภันฑ์", audience="staff").suggestion == "ครุภัณฑ์"
    assert secret_kb.search("ครุภันฑ์", audience="public").suggestion is None


def test_a_staff_only_word_takes_the_path_of_an_absent_word(secret_kb, monkeypatch):
    """For a citizen, a word only staff documents hold is unknown, exactly like a word no
    document holds: the same answer and the same suggestion work (no fast path)."""
    counting = _Counting(monkeypatch)
    staff_only = secret_kb.search("ปลวก", audience="public")
    work_staff_only = (counting.scans, counting.candidates)
    counting.scans = counting.candidates = 0
    absent = secret_kb.search("ปลิง", audience="public")  # in no document
    assert staff_only.total == absent.total == 0
    assert staff_only.suggestion is None and absent.suggestion is None
    assert work_staff_only == (counting.scans, counting.candidates)
    assert counting.scans > 0
