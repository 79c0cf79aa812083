"""Thai normalisation (kmsearch.engine.thai): one spelling per word, and offsets back to the source."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsearch.engine import thai
from kmsearch.engine.analysis import word_spans
from kmsearch.engine.thai import PUA_TO_THAI, normalize, normalize_with_offsets
from tests.core_fixtures import HARFBUZZ_PUA_MAP, clean_and_mistyped

# --- one normalisation at a time -------------------------------------------------------


def test_nfc_composes_latin_and_orders_thai_marks():
    assert normalize("Cafe\u0301") == "caf\u00e9"
    # mai tho (ccc 107) typed before sara u (ccc 103): NFC puts sara u first
    assert normalize("ก\u0e49\u0e38ง") == "ก\u0e38\u0e49ง"
    assert unicodedata.is_normalized("NFC", normalize("ก\u0e49\u0e38ง"))


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("ท\u0e4d\u0e32", "ทำ"),  # nikhahit + sara aa
        ("ก\u0e4d\u0e32หนด", "กำหนด"),
        ("น\u0e4d\u0e49\u0e32", "น\u0e49\u0e33"),  # nikhahit + mai tho + sara aa -> น้ำ
        ("ค\u0e4d\u0e48\u0e32", "ค\u0e48\u0e33"),  # with mai ek -> ค่ำ
        ("น\u0e33\u0e49", "น\u0e49\u0e33"),  # sara am typed before the tone
        ("ท\uf711\u0e32", "ทำ"),  # PUA nikhahit + sara aa
    ],
)
def test_sara_am_is_repaired(typed, expected):
    assert normalize(typed) == expected


def test_doubled_sara_e_becomes_sara_ae():
    assert normalize("\u0e40\u0e40ผน") == "แผน"
    assert normalize("\u0e40\u0e40ก\u0e49ไข") == "แก้ไข"


def test_tone_typed_before_its_vowel_is_reordered():
    assert normalize("ท\u0e48\u0e35") == "ที่"  # mai ek + sara ii -> sara ii + mai ek
    assert normalize("ป\u0e49\u0e39") == normalize("ปู้")
    assert normalize("ซ\u0e48\u0e36ง") == "ซึ่ง"


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("ก\u0e48\u0e48อน", "ก่อน"),  # mai ek twice
        ("ท\u0e35\u0e35", "ที"),  # sara ii twice
        ("ท\u0e35\u0e48\u0e48", "ที่"),
        ("ก\u0e38\u0e38", "กุ"),
        ("ศักดิ\u0e4c\u0e4c", "ศักดิ์"),
    ],
)
def test_repeated_marks_collapse(typed, expected):
    assert normalize(typed) == expected


@pytest.mark.parametrize("zw", ["\u200b", "\u200c", "\u200d", "\ufeff"])
def test_zero_width_characters_are_removed(zw):
    assert normalize(f"ภาษี{zw}ป้าย") == "ภาษีป้าย"
    assert normalize(f"{zw}ภาษี{zw}") == "ภาษี"
    assert normalize(f"น{zw}\u0e4d{zw}\u0e32") == "นำ"  # and the repair sees through them


@pytest.mark.parametrize(
    "pua, standard",
    [(0xF70A, 0x0E48), (0xF701, 0x0E34), (0xF700, 0x0E10), (0xF70F, 0x0E0D), (0xF884, 0x0E31)],
)
def test_pua_spot_checks_against_harfbuzz(pua, standard):
    assert PUA_TO_THAI[pua] == chr(standard)
    assert normalize("ก" + chr(pua)) == normalize("ก" + chr(standard))


def test_pua_table_is_exactly_harfbuzz_table():
    assert PUA_TO_THAI == HARFBUZZ_PUA_MAP
    # the Windows range U+F700-U+F71A is covered without a gap
    assert set(range(0xF700, 0xF71B)) <= set(PUA_TO_THAI)


@pytest.mark.parametrize("pua", sorted(HARFBUZZ_PUA_MAP))
def test_every_pua_glyph_maps_in_text(pua):
    standard = HARFBUZZ_PUA_MAP[pua]
    if standard in "\u0e0d\u0e10":  # consonants drawn without their descender
        assert normalize(chr(pua) + "าน") == standard + "าน"
    else:
        # a mark on a consonant, with a zero-width space to force the slow path too
        assert normalize("ก" + chr(pua)) == normalize("ก" + standard)
        assert normalize("ก" + chr(pua) + "\u200b") == normalize("ก" + standard)


def test_pua_words_from_legacy_pdf_fonts():
    assert normalize("ที\uf713") == "ที่"  # mai ek shifted left over sara ii
    assert normalize("ก\uf70aอน") == "ก่อน"  # shifted-down mai ek
    assert normalize("ป\uf713า") == "ป่า"  # shifted-left mai ek over po pla
    assert normalize("\uf70fาติ") == "ญาติ"  # yo ying without descender
    assert normalize("\uf700าน") == "ฐาน"  # tho than without descender
    assert normalize("ป\uf884\uf88bม") == "ปั่ม"  # Mac forms


def test_thai_digits_fold_to_arabic():
    assert normalize("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert normalize("พ.ศ. ๒๕๖๘") == "พ.ศ. 2568"


def test_latin_is_lowercased():
    assert normalize("E-LAAS") == "e-laas"
    assert normalize("GFMIS และ e-GP") == "gfmis และ e-gp"
    assert normalize("ÉCOLE Ωmega") == "école ωmega"


def test_clean_thai_is_unchanged_and_cheap():
    text = "คู่มือการจัดเก็บภาษีที่ดินและสิ่งปลูกสร้าง พ.ศ. 2562"
    assert normalize_with_offsets(text) == (text, None)


@pytest.mark.parametrize("text", ["\u0e34\u0e34", "\u0e35ท\u0e4d\u0e32", "\u200b\u0e34", "\u0e38 ภาษี\u200b"])
def test_text_starting_with_a_vowel_mark_does_not_crash(text):
    result, offsets = normalize_with_offsets(text)
    assert "\u200b" not in result and "\u0e4d" not in result
    assert offsets is None or len(offsets) == len(result) + 1


# --- offsets: hypothesis over realistic text and the ways it is mistyped or mis-extracted --

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(clean_and_mistyped())
def test_mistyped_text_normalises_to_the_clean_spelling(pair):
    clean, typed = pair
    assert normalize(typed) == normalize(clean) == clean


@PROPERTY
@given(clean_and_mistyped())
def test_offsets_map_every_character_back_to_the_source(pair):
    _clean, text = pair
    result, offsets = normalize_with_offsets(text)
    if offsets is None:
        assert len(result) == len(text)
        offsets = list(range(len(text) + 1))
    assert len(offsets) == len(result) + 1
    assert offsets[-1] == len(text)
    assert all(0 <= o < len(text) for o in offsets[:-1])
    assert all(a <= b for a, b in zip(offsets, offsets[1:], strict=False))
    spans = word_spans(result)
    assert spans, result
    bounds = sorted({s.start for s in spans} | {s.end for s in spans})
    for span in spans:
        source = text[offsets[span.start] : offsets[span.end]]
        assert normalize(source) == result[span.start : span.end]
    # and between any two token boundaries, not only around one token
    for i in bounds:
        for j in bounds:
            if i < j:
                assert normalize(text[offsets[i] : offsets[j]]) == result[i:j]


@settings(max_examples=200, deadline=None)
@given(clean_and_mistyped())
def test_normalize_is_idempotent(pair):
    _clean, text = pair
    once = normalize(text)
    assert normalize(once) == once


@given(st.text(alphabet=st.sampled_from(
    "abcXYZ AZ09\n" + "".join(map(chr, PUA_TO_THAI)) + "ก่าำ๐๑๙ḀÄ\u0e4d\u200b")))
def test_translating_only_the_mapped_characters_is_str_translate(text):
    """normalize maps characters run by run (thai._translate): the same as str.translate."""
    for table in (thai._ONE_TO_ONE, thai._KEEP_CASE):
        assert thai._translate(text, table) == text.translate(table)
