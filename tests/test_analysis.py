"""Thai analysis (kmsearch.engine.analysis): words, compound parts, offsets, and the Whoosh analyzer."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from whoosh import index
from whoosh import query as q

from kmsearch.engine.analysis import ThaiAnalyzer, analyze
from kmsearch.engine.schema import get_schema
from kmsearch.engine.thai import normalize
from tests.core_fixtures import clean_and_mistyped


def terms(text: str, parts: bool = True) -> list[str]:
    return [t for t, *_ in analyze(text, parts=parts)]


def words(text: str) -> list[str]:
    """The word tokens of text, without compound parts."""
    return terms(text, parts=False)


def _token_forms(source: str) -> set[str]:
    """What a word token of source may be: the normalised text, or it without the
    punctuation that abbreviations (dots), numbers (thousands commas) and Latin words
    (hyphens, apostrophes) lose."""
    norm = normalize(source)
    return {
        norm,
        norm.replace(".", ""),
        norm.replace(",", ""),
        norm.replace("-", "").replace("'", ""),
    }


# --- tokens and offsets (property) -------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clean_and_mistyped())
def test_each_token_spans_its_own_text_in_the_original(pair):
    _clean, text = pair
    tokens = list(analyze(text))
    assert tokens
    last_word = None
    next_pos = 0
    for term, pos, start, end, is_part in tokens:
        assert 0 <= start < end <= len(text)
        source = text[start:end]
        if is_part:
            # a part shares the position and span of the compound it was cut from
            assert last_word is not None
            word_term, word_pos, word_start, word_end = last_word
            assert (pos, start, end) == (word_pos, word_start, word_end)
            assert term in word_term and term != word_term
            assert term in normalize(source)
        else:
            assert pos == next_pos, "word tokens take consecutive positions"
            next_pos += 1
            assert term in _token_forms(source), (term, source)
            last_word = (term, pos, start, end)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clean_and_mistyped())
def test_mistyped_text_gives_the_terms_of_the_clean_text(pair):
    clean, typed = pair
    assert terms(typed) == terms(clean)


def test_offsets_point_into_the_text_as_typed():
    text = "ดื่มนํ้า\u200b ภาษีป\u0e49าย"
    tokens = {t: (s, e) for t, _p, s, e, part in analyze(text) if not part}
    s, e = tokens["น้ำ"]
    assert text[s:].startswith("นํ้า") and normalize(text[s:e]) == "น้ำ"  # (may keep the ZWSP)
    s, e = tokens["ป้าย"]
    assert text[s:e] == "ป\u0e49าย"


# --- breaks and spellings ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ภาษี2567", ["ภาษี", "2567"]),
        ("ปี๒๕๖๘และ2568", ["ปี", "2568", "และ", "2568"]),
        ("ระบบe-LAASของ", ["ระบบ", "elaas", "ของ"]),
        ("ระบบบัญชีGFMIS", ["ระบบ", "บัญชี", "gfmis"]),
        ("ค่า 1,234.50 บาท", ["ค่า", "1234.50", "บาท"]),
    ],
)
def test_break_between_thai_and_digits_or_latin(text, expected):
    assert words(text) == expected


def test_latin_spellings_give_one_term():
    assert words("e-LAAS") == words("E-LAAS") == words("elaas") == ["elaas"]
    assert words("คู่มือE-LAAS")[-1] == words("คู่มือ elaas")[-1] == "elaas"


def test_thai_and_arabic_digits_give_one_term():
    assert words("พ.ศ. ๒๕๖๒") == words("พ.ศ. 2562")
    assert words("๑,๐๐๐") == words("1,000") == ["1000"]
    assert words("ภ.ป.๑") == words("ภ.ป.1") == ["ภป1"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("พ.ร.บ.", ["พรบ"]),
        ("ตามพ.ร.บ.", ["ตาม", "พรบ"]),
        ("ตามพ.ร.บ.ภาษีป้าย", ["ตาม", "พรบ", "ภาษี", "ป้าย"]),
        ("พ.ร.บ. ภาษีป้าย", ["พรบ", "ภาษี", "ป้าย"]),
        ("แบบ ภ.ป.1", ["แบบ", "ภป1"]),
    ],
)
def test_abbreviations(text, expected):
    assert words(text) == expected


def test_abbreviation_and_year_apart():
    assert words("พ.ศ. 2562") == ["พศ", "2562"]


def test_year_written_against_its_abbreviation_is_still_a_term():
    assert "2562" in terms("ตามพระราชบัญญัติภาษีที่ดินและสิ่งปลูกสร้าง พ.ศ.2562")
    assert "พศ" in terms("พ.ศ.2562")


# --- compound parts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, compound, part",
    [
        ("ตามระเบียบพัสดุ", "ตามระเบียบ", "ระเบียบ"),
        ("งานก่อสร้าง", "งานก่อสร้าง", "ก่อสร้าง"),
    ],
)
def test_word_inside_a_compound_is_produced_as_a_part(text, compound, part):
    tokens = list(analyze(text))
    word_tokens = [t for t in tokens if not t[4]]
    assert part not in [t[0] for t in word_tokens], "the segmenter keeps the compound whole"
    assert compound in [t[0] for t in word_tokens]
    (found,) = [t for t in tokens if t[0] == part]
    assert found[4] is True
    whole = next(t for t in word_tokens if t[0] == compound)
    assert found[1:4] == whole[1:4]  # same position and span
    assert part not in words(text)  # parts=False leaves them out


def test_short_words_are_not_cut_into_false_parts():
    assert terms("ราคา") == ["ราคา"]


# --- the Whoosh analyzer -----------------------------------------------------------------


def test_analyzer_tokens_carry_positions_and_chars():
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in ThaiAnalyzer()("ตามระเบียบพัสดุ e-LAAS", positions=True, chars=True,
                                start_pos=5, start_char=100)
    ]
    assert tokens == [
        ("ตามระเบียบ", 5, 100, 110),
        ("ตาม", 5, 100, 110),
        ("ระเบียบ", 5, 100, 110),
        ("พัสดุ", 6, 110, 115),
        ("elaas", 7, 116, 122),
    ]


def test_phrase_mode_leaves_out_parts():
    assert [t.text for t in ThaiAnalyzer()("ตามระเบียบพัสดุ", mode="phrase")] == [
        "ตามระเบียบ",
        "พัสดุ",
    ]


def test_analyzer_is_picklable_and_small():
    data = pickle.dumps(ThaiAnalyzer())
    assert len(data) < 200
    assert b"kmsearch.engine.analysis" in data and b"ThaiAnalyzer" in data
    again = pickle.loads(data)
    assert isinstance(again, ThaiAnalyzer) and again == ThaiAnalyzer()
    assert [t.text for t in again("ภาษีป้าย")] == ["ภาษี", "ป้าย"]


def test_schema_round_trips_through_a_whoosh_index(tmp_path):
    ix = index.create_in(str(tmp_path), get_schema())
    with ix.writer() as w:
        w.add_document(doc_id="a1", key="/k/a", path="a.md", title="คู่มือพัสดุ",
                       content="เจ้าหน้าที่จัดซื้อตามระเบียบพัสดุ", audience="staff")
    ix.close()
    reopened = index.open_dir(str(tmp_path))
    fresh = get_schema()
    assert reopened.schema.names() == fresh.names()
    for name in fresh.names():  # (Whoosh column objects have no ==, so compare field by field)
        assert type(reopened.schema[name]) is type(fresh[name])
        assert reopened.schema[name].analyzer == fresh[name].analyzer
    assert isinstance(reopened.schema["content"].analyzer, ThaiAnalyzer)
    with reopened.searcher() as s:
        # the part ระเบียบ was indexed, and the reopened analyzer cuts queries the same way
        assert [h["doc_id"] for h in s.search(q.Term("content", "ระเบียบ"))] == ["a1"]
        query_terms = [t.text for t in reopened.schema["content"].analyzer("ตามระเบียบ")]
        assert "ระเบียบ" in query_terms
    reopened.close()
