"""Text helpers rewritten for speed give what they gave before: each old version is kept here
as the oracle (markdown_to_text line by line, tidy_whitespace's per-line substitution, the
cp874 check's character counts, the fallback runs' length filter, the runs field normalised
whole)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from kmsearch.indexer.document import ExtractionError
from kmsearch.indexer.textfiles import decode_text, markdown_to_text

from kmsearch.engine import fallback
from kmsearch.engine.analysis import ThaiAnalyzer
from kmsearch.engine.thai import normalize, normalize_remembered, tidy_whitespace

_OLD_TARGET = r"\((?:[^()]|\([^()]*\))*\)"
_OLD_INLINE = [
    (re.compile(r"!\[([^\[\]]*)\]" + _OLD_TARGET), r"\1"),
    (re.compile(r"\[([^\[\]]+)\]" + _OLD_TARGET), r"\1"),
    (re.compile(r"(\*\*|__|\*|`)"), ""),
]


def old_markdown_to_text(md: str) -> str:
    lines = []
    for line in md.splitlines():
        line = re.sub(r"^\s{0,3}#{1,6}\s+", "", line)
        line = re.sub(r"^\s*[-*+]\s+", "• ", line)
        line = re.sub(r"^\s*>\s?", "", line)
        for pattern, repl in _OLD_INLINE:
            line = pattern.sub(repl, line)
        lines.append(line)
    return "\n".join(lines)


def old_tidy_whitespace(text: str) -> str:
    lines = [re.sub(r"[ \t\u00a0\u3000]+", " ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def old_decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        raise ExtractionError("undecodable text: neither UTF-8 nor TIS-620/cp874") from None
    thai = sum(1 for ch in text if "\u0e01" <= ch <= "\u0e5b")
    controls = sum(1 for ch in text if "\x80" <= ch <= "\x9f")
    if thai == 0 or controls:
        raise ExtractionError("undecodable text: neither UTF-8 nor TIS-620/cp874")
    return text


# Every line break str.splitlines knows, spaces that are and are not line breaks, and the
# Markdown markers, around Thai and Latin text.
LINE_BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
SPACES = [" ", "  ", "\t", "\u00a0", "\u3000", "\x1f", "\u2003"]
MARKERS = list("#-*+>![]()_`") + ["**", "__", "# ", "## ", "- ", "* ", "> ", "![", "](", "[ก](x)", "![ข](y.png)"]
WORDS = ["ภาษีป้าย", "ก", "ระเบียบ", "a", "text", "1.", "•"]
markdownish = st.lists(st.sampled_from(LINE_BREAKS + SPACES + MARKERS + WORDS), max_size=40).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish)
@example("  # หัวเรื่อง #\n\n- รายการ\r\n> อ้าง\u2028[ลิงก์](a(b)c) ![รูป](p.png) **หนา** `code`\n")
@example("[ข้าม\nบรรทัด](x) ![a\n](b) [c](d\ne)")
def test_markdown_to_text_is_the_line_by_line_version(md):
    assert markdown_to_text(md) == old_markdown_to_text(md)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(LINE_BREAKS + SPACES + WORDS), max_size=40).map("".join))
def test_tidy_whitespace_is_the_line_by_line_version(text):
    assert tidy_whitespace(text) == old_tidy_whitespace(text)


def outcome(decode, data: bytes):
    try:
        return "text", decode(data)
    except ExtractionError as e:
        return "error", str(e)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=30),
        st.text("ภาษีป้ายกขabc 1\n", max_size=20).map(lambda t: t.encode("cp874")),
        st.tuples(st.text("ภาษี ", max_size=10), st.binary(max_size=4)).map(
            lambda p: p[0].encode("cp874") + p[1]
        ),
    )
)
@example(b"\xc0\xd2\xc9\xd5")  # ภาษี in TIS-620
@example(b"\xc0\xd2\x85")  # Thai with a C1 control: noise
@example(b"abc\xff")  # no Thai at all
def test_decode_text_accepts_and_refuses_as_before(data):
    assert outcome(decode_text, data) == outcome(old_decode_text, data)


@pytest.mark.parametrize("data", [b"\xc0\xd2\xc9\xd5", b"\xc0\xd2\x85", b"abc\xff"])
def test_decode_text_examples(data):
    assert outcome(decode_text, data) == outcome(old_decode_text, data)


@settings(max_examples=400, deadline=None)
@given(st.text("กขคาเ่ๆ๑ ab1\n", max_size=40))
def test_thai_runs_are_the_runs_of_three_letters_or_more(text):
    expected = Counter(run for run in fallback._THAI_RUN.findall(text) if len(run) >= fallback.N)
    assert list(fallback.thai_runs(text).items()) == list(expected.items())


# Characters every rule of normalize() looks at: Thai marks, tones, sara am and nikhahit in
# both orders, sara e twice, zero-width characters, legacy-font PUA glyphs, Thai digits,
# capitals (Latin, accented, Greek sigma, dotted I), combining accents and a Hangul pair (NFC
# composes them), other line breaks.
NORMALIZE_CHARS = (
    "กขนมเแาำํ่้๊๋ัิีุู็์\u200b\u200c\ufeff\u00ad\uf70a\uf71a\uf884\u0e51\u0e59"
    "AZaéÉΣİ\u0301\u0327e\u1100\u1161\r\x85 "
)


@settings(max_examples=500, deadline=None)
@given(st.text(NORMALIZE_CHARS, max_size=12), st.text(NORMALIZE_CHARS + "\n", max_size=12))
@example("ํ", "า")  # nikhahit, then sara aa after the line break: no repair across it
@example("เ", "เ")
@example("e", "\u0301")  # an accent after the line break stays apart
@example("\u1100", "\u1161")
def test_normalising_apart_around_a_line_break_is_normalising_whole(a, b):
    assert normalize(a + "\n" + b) == normalize(a) + "\n" + normalize(b)
    assert normalize_remembered(b) == normalize(b)
    assert normalize_remembered(b) == normalize(b)  # given again: remembered


@settings(max_examples=300, deadline=None)
@given(st.text(NORMALIZE_CHARS + "\n", max_size=10), st.text(NORMALIZE_CHARS + "\nภาษีป้าย", max_size=30))
def test_the_runs_field_counts_as_normalising_the_whole_value(title, text):
    value = title + "\n" + text
    expected = list(fallback.thai_runs(normalize(value)).items())
    analyzer = fallback.ThaiRunAnalyzer()
    assert list(analyzer.term_counts(value).items()) == expected  # text not seen before
    ThaiAnalyzer().term_positions(text)  # as the content field is analysed just before
    assert list(analyzer.term_counts(value).items()) == expected
    assert list(analyzer.term_counts(text).items()) == list(fallback.thai_runs(normalize(text)).items())
