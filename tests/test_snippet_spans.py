"""snippets.match_spans marks exactly the tokens analyze() produces (each word, then its
compound parts), whether it segments the text itself or is given the words already."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsearch.engine.analysis import analyze
from kmsearch.engine.snippets import marked_spans, match_spans, words_of
from tests import core_fixtures


def _reference(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """The marks as analyze()'s token stream gives them, one token at a time."""
    spans: list[tuple[int, int, str]] = []
    for term, _pos, start, end, is_part in analyze(text):
        if term not in terms:
            continue
        if is_part:
            offset = text.find(term, start, end)
            if offset >= 0:
                start, end = offset, offset + len(term)
        if spans and start < spans[-1][1]:
            last = spans[-1]
            spans[-1] = (min(last[0], start), max(last[1], end), last[2])
        else:
            spans.append((start, end, term))
    return spans


TEXTS = [
    "ผู้สูงอายุยื่นคำขอรับเบี้ยยังชีพผู้สูงอายุได้ที่สำนักปลัด ระบบ e-LAAS ปี ๒๕๖๘ 1,000 บาท",
    "ชำระภาษีป้ายและภาษีที่ดินและสิ่งปลูกสร้างตามระเบียบกระทรวงมหาดไทย พ.ร.บ. ภาษีป้าย",
    "ＦＵＬＬ width และ\u200bอักษรมองไม่เห็น การจัดซื้อจัดจ้างวิธีเฉพาะเจาะจง",
]
TERMS = [
    {"ภาษีป้าย", "ป้าย", "ภาษี"},
    {"เบี้ยยังชีพผู้สูงอายุ", "ยังชีพ", "ผู้สูงอายุ", "elaas", "1000", "2568"},
    {"จัดซื้อ", "จ้าง", "เฉพาะเจาะจง", "ระเบียบ", "พรบ", "full"},
]


def test_match_spans_marks_what_the_token_stream_marks():
    for text in TEXTS:
        words = words_of(text)
        assert [w for w, *_ in words] == [t for t, *_, part in analyze(text) if not part]
        for terms in TERMS:
            expected = _reference(text, terms)
            ends: list[int] = []
            assert match_spans(text, terms, ends) == expected
            assert match_spans(text, terms, None, words) == expected
            assert ends == [end for _w, _s, end in words]


def test_marked_spans_finds_parts_where_the_compound_is_absent():
    text = "ยื่นขอรับเบี้ยยังชีพได้ทุกเดือน"
    spans = marked_spans(text, [("เบี้ยยังชีพผู้สูงอายุ", ("เบี้ย", "ยังชีพ", "ผู้สูงอายุ"))])
    # ผู้สูงอายุ is not in the text; its parts of four letters or more are marked instead
    assert [text[s:e] for s, e, _t in spans] == ["เบี้ย", "ยังชีพ"]


_CORPUS = [p.read_text(encoding="utf-8") for p in sorted(core_fixtures.bundled_corpus_root().rglob("*.md"))]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_match_spans_marks_what_the_token_stream_marks_on_the_corpus(data):
    """Regions of the bundled documents, terms drawn from their own tokens (parts included)."""
    text = data.draw(st.sampled_from(_CORPUS))
    start = data.draw(st.integers(0, max(0, len(text) - 440)))
    region = text[start : start + 440]
    tokens = sorted({t for t, *_ in analyze(region)})
    if not tokens:
        return
    terms = set(data.draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=5)))
    assert match_spans(region, terms) == _reference(region, terms)
