"""snippets.Region marks exactly the tokens analyze() produces (each word, then its compound
parts), and finds the word ends analyze() gives, although it segments only the pieces of the
text (between whitespace) that a mark or a cut point needs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsearch.engine import snippets
from kmsearch.engine.analysis import analyze
from kmsearch.engine.snippets import Region, marked_spans
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


def _ends(text: str) -> list[int]:
    return [end for _t, _pos, _start, end, part in analyze(text) if not part]


def _check_ends(region: Region, ends: list[int], lo: int, hi: int) -> None:
    first = [e for e in ends if lo <= e <= hi]
    last = [e for e in ends if lo < e <= hi]
    assert region.first_end(lo, hi) == (first[0] if first else None), (lo, hi)
    assert region.last_end(lo, hi) == (last[-1] if last else None), (lo, hi)


TEXTS = [
    "ผู้สูงอายุยื่นคำขอรับเบี้ยยังชีพผู้สูงอายุได้ที่สำนักปลัด ระบบ e-LAAS ปี ๒๕๖๘ 1,000 บาท",
    "ชำระภาษีป้ายและภาษีที่ดินและสิ่งปลูกสร้างตามระเบียบกระทรวงมหาดไทย พ.ร.บ. ภาษีป้าย",
    "ＦＵＬＬ width และ\u200bอักษรมองไม่เห็น การจัดซื้อจัดจ้างวิธีเฉพาะเจาะจง",
    # Normalised to another length: legacy-font glyphs, sara am typed as two characters, a
    # tone before its vowel, capitals and Thai digits (the marks map back through offsets).
    "ยื่นแบบภาษ\uf701ป\uf70bายภายในเดือนมีนาคม ค่ารักษาพยาบาลตามจ\u0e4d\u0e32นวนจริง ก\u0e48\u0e35ยวกับ E-LAAS ๑,๐๐๐",
    "ตามพ.ร.บ.การจัดซื้อจัดจ้างฯ พ.ศ.2560 มาตรา 56 (1) (ข)\nและระเบียบกระทรวงการคลัง",
    "ทดสอบ İSTANBUL İ ข",  # İ folds to two characters: the word i ends where it starts
    " ภาษีป้าย\tชำระ\r\nภายใน\u00a0เดือน  มีนาคม\n\nป้าย ",  # other whitespace inside pieces
]
TERMS = [
    {"ภาษีป้าย", "ป้าย", "ภาษี"},
    {"เบี้ยยังชีพผู้สูงอายุ", "ยังชีพ", "ผู้สูงอายุ", "elaas", "1000", "2568"},
    {"จัดซื้อ", "จ้าง", "เฉพาะเจาะจง", "ระเบียบ", "พรบ", "full"},
    {"จำนวน", "เกี่ยว", "พศ", "2560", "56", "ข", "การคลัง"},
    {"ชำระ", "ภายใน", "ป้าย", "เดือน"},
]


def test_region_marks_what_the_token_stream_marks():
    for text in TEXTS:
        region = Region(text)  # one region asked several times: what it keeps stays right
        for terms in TERMS:
            assert region.marks(terms) == _reference(text, terms)
            assert Region(text).marks(terms) == _reference(text, terms)


@pytest.mark.parametrize("text", TEXTS + [t.replace(" ", "") for t in TEXTS])
def test_region_word_ends_are_the_token_streams(text):
    ends = _ends(text)
    region = Region(text)
    for lo in range(len(text) + 1):
        for hi in range(lo, len(text) + 2):
            _check_ends(region, ends, lo, hi)


def test_region_segments_only_the_pieces_that_can_hold_a_term(monkeypatch):
    text = "คำขอรับเบี้ยยังชีพ ยื่นได้ที่สำนักปลัดเทศบาล ในวันและเวลาราชการ ทุกวันจันทร์ถึงวันศุกร์"
    segmented: list[str] = []
    real = snippets.word_spans

    def counting(piece):
        segmented.append(piece)
        return real(piece)

    monkeypatch.setattr(snippets, "word_spans", counting)
    assert Region(text).marks({"ยังชีพ"}) == _reference(text, {"ยังชีพ"})
    assert segmented == ["คำขอรับเบี้ยยังชีพ"]


def test_marked_spans_finds_parts_where_the_compound_is_absent():
    text = "ยื่นขอรับเบี้ยยังชีพได้ทุกเดือน"
    spans = marked_spans(Region(text), [("เบี้ยยังชีพผู้สูงอายุ", ("เบี้ย", "ยังชีพ", "ผู้สูงอายุ"))])
    # ผู้สูงอายุ is not in the text; its parts of four letters or more are marked instead
    assert [text[s:e] for s, e, _t in spans] == ["เบี้ย", "ยังชีพ"]


_CORPUS = [p.read_text(encoding="utf-8") for p in sorted(core_fixtures.bundled_corpus_root().rglob("*.md"))]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_region_matches_the_token_stream_on_the_corpus(data):
    """Regions of the bundled documents (also with their spaces removed, so that pieces are
    long), terms drawn from their own tokens (parts included) and from bare substrings."""
    text = data.draw(st.sampled_from(_CORPUS))
    start = data.draw(st.integers(0, max(0, len(text) - 440)))
    region = text[start : start + 440]
    if data.draw(st.booleans()):
        region = region.replace(" ", "")
    tokens = sorted({t for t, *_ in analyze(region)})
    if not tokens:
        return
    terms = set(data.draw(st.lists(st.sampled_from(tokens), min_size=1, max_size=5)))
    at = data.draw(st.integers(0, len(region) - 1))
    terms.add(region[at : at + data.draw(st.integers(1, 6))])  # a substring, word or not
    assert Region(region).marks(terms) == _reference(region, terms)
    ends = _ends(region)
    lo = data.draw(st.integers(0, len(region)))
    _check_ends(Region(region), ends, lo, data.draw(st.integers(lo, len(region) + 1)))
