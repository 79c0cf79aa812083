"""make_fragments and occurrences give what the straightforward versions give (session 14's:
one regex alternation of the terms over the document, the whole region segmented), on the
bundled documents with the judged queries and with queries made of their own words."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kmsearch.indexer.extract import extract

from kmsearch.engine import snippets
from kmsearch.engine.analysis import analyze
from kmsearch.engine.evaluation import load_judgments
from kmsearch.engine.query import parse
from kmsearch.engine.snippets import MAX_OCCURRENCES, MAX_SCAN, WIDTH, make_fragments, occurrences
from kmsearch.engine.thai import normalize, tidy_whitespace
from tests import core_fixtures
from tests.test_snippet_spans import _reference

# --- the reference: the whole region analysed, one alternation of the terms -----------------


def _pattern(term: str) -> str:
    if term.isascii() and term.isalnum():
        sep = ",?" if term.isdigit() else "[-']?"
    elif len(term) <= 4:
        sep = r"\.?"
    else:
        return re.escape(term)
    return sep.join(re.escape(ch) for ch in term)


def _occurrences(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    terms = {t for t in terms if t}
    if not terms:
        return []
    ordered = sorted(terms, key=len, reverse=True)
    pattern = re.compile("|".join(f"({_pattern(t)})" for t in ordered))
    scanned = text[:MAX_SCAN]
    folded = scanned.lower()
    out = []
    for m in pattern.finditer(folded if len(folded) == len(scanned) else scanned):
        out.append((m.start(), m.end(), ordered[m.lastindex - 1]))
        if len(out) >= MAX_OCCURRENCES:
            break
    return out


def _marked(text: str, groups) -> tuple[list, list[int]]:
    words = {w for w, _parts in groups}
    spans = _reference(text, words)
    missing = snippets._parts_to_mark(groups, {t for *_, t in spans})
    if missing:
        spans = _reference(text, words | missing)
    return spans, [end for _t, _p, _s, end, part in analyze(text) if not part]


def _choose_region(text: str, groups):
    words = {w for w, _parts in groups}
    found = _occurrences(text, words)
    parts = snippets._parts_to_mark(groups, {t for *_, t in found})
    if parts:
        found = _occurrences(text, words | parts)
    tried: list[tuple[int, int]] = []
    for _attempt in range(snippets.ATTEMPTS):
        left = [s for s in found if not any(lo <= s[0] < hi for lo, hi in tried)]
        if not left:
            break
        lo, hi = snippets._region(text, snippets.best_window(left, WIDTH))
        spans, ends = _marked(text[lo:hi], groups)
        if spans:
            return lo, spans, ends
        tried.append((lo, hi))
    lo, hi = 0, min(len(text), snippets.REGION)
    if hi < len(text):
        cut = text.find(" ", hi, hi + 60)
        hi = cut if cut >= 0 else hi
    return lo, *_marked(text[lo:hi], groups)


def _fragments(text: str, groups, width: int = WIDTH) -> list[tuple[str, bool]]:
    if not text:
        return []
    lo, local, local_ends = _choose_region(text, groups)
    spans = [(s + lo, e + lo, t) for s, e, t in local]
    word_ends = [e + lo for e in local_ends]
    if spans:
        anchor = snippets.best_window(spans, width)
        start = max(lo, anchor - width // 5)
        space = text.rfind(" ", start - 20 if start > 20 else 0, anchor)
        if start > 0 and space > 0:
            start = space + 1
        elif start > 0:
            start = min((e for e in word_ends if start <= e <= anchor), default=anchor)
    else:
        start = lo
    end = min(len(text), start + width)
    if end < len(text):
        fitting = [e for e in word_ends if start < e <= end]
        space = text.rfind(" ", end - 30, end)
        if space > start:
            end = space
        elif fitting:
            end = fitting[-1]
    pieces: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    cursor = start
    for s, e, _term in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > cursor:
            pieces.append((text[cursor:s], False))
        pieces.append((text[s:e], True))
        cursor = e
    if cursor < end:
        pieces.append((text[cursor:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return [(re.sub(r"\s+", " ", t), m) for t, m in pieces if t]


# --- the documents and queries -----------------------------------------------------------------


def _stored(path: Path) -> str:
    """The content field the indexer stores for path."""
    return tidy_whitespace(normalize(extract(path).text, fold_case=False))


_DOCS = [_stored(p) for p in sorted(core_fixtures.bundled_corpus_root().rglob("*"))
         if p.suffix in (".md", ".txt", ".html", ".docx")]
_QUERIES = sorted({j.query for j in load_judgments(Path(__file__).parent.parent / "corpus_sources" / "queries")})


def _variants(text: str) -> list[str]:
    """text, and text written as legacy sources write it: sara am as two characters, Thai
    digits, no spaces (word ends then decide the cut points)."""
    return [text, text.replace("ำ", "\u0e4d\u0e32").translate({ord(d): chr(0x0E50 + int(d)) for d in "0123456789"}),
            text.replace(" ", "")]


def test_the_judged_queries_give_the_same_snippets_in_every_bundled_document():
    assert len(_DOCS) >= 8 and len(_QUERIES) >= 100
    compared = marked = 0
    for query in _QUERIES:
        groups = parse(query).highlight_groups()
        if not groups:
            continue
        for doc in _DOCS:
            expected = _fragments(doc, groups)
            assert make_fragments(doc, groups) == expected, (query, doc[:60])
            compared += 1
            marked += any(m for _t, m in expected)
    assert marked > compared // 4  # most pairs mark something: the marks were compared


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_queries_of_a_documents_own_words_give_the_same_snippets(data):
    doc = data.draw(st.sampled_from(_DOCS))
    words = sorted({t for t, *_ in analyze(doc[:3000])})
    query = " ".join(data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=6)))
    if data.draw(st.booleans()):
        query = f'"{query}"'
    groups = parse(query).highlight_groups()
    for text in _variants(doc):
        assert make_fragments(text, groups) == _fragments(text, groups)
        terms = {w for w, _parts in groups} | {p for _w, parts in groups for p in parts}
        assert occurrences(text, terms) == _occurrences(text, terms)


def test_occurrences_in_a_repetitive_text_stop_where_the_alternation_stops():
    text = "ภาษี.ป้าย ภาษีป้าย ภา.ษีที่ดิน E-LAAS 1,000 " * 500
    for terms in ({"ภาษีป้าย", "ภาษี", "ป้าย"}, {"ภาษี", "elaas", "1000", "ที่ดิน"}, {"ภาษี"}):
        found = occurrences(text, terms)
        assert found == _occurrences(text, terms)
    assert len(occurrences(text, {"ภาษี", "ป้าย"})) == MAX_OCCURRENCES


def test_places_across_the_stretches_occurrences_reads_are_found():
    # occurrences reads a long text in stretches (8,192 characters, then doubling): a place
    # written with dots may start before the end of one and end after it.
    for at in range(8_184, 8_194):
        text = "ก" * at + "ภ.า.ษ.ี ป้าย e-l-a-a-s " * 3
        for terms in ({"ภาษี", "ป้าย"}, {"elaas", "ป้าย"}):
            assert occurrences(text, terms) == _occurrences(text, terms), at


def test_a_term_written_over_itself_is_found_where_the_alternation_finds_it():
    # abab is written at 1 and, overlapping, at 3; xab takes 0-3, so the alternation takes 3-7.
    assert occurrences("xababab", {"abab", "xab"}) == [(0, 3, "xab"), (3, 7, "abab")]
    assert occurrences("xababab", {"abab"}) == [(1, 5, "abab")]  # alone: on from its end
    text = "ทดลองนานานา ก.นานานา นานาประเทศ"
    for terms in ({"นานา"}, {"นานา", "ลองนา"}, {"นานา", "ก.นา", "นา"}, {"นานา", "กนา"}):
        assert occurrences(text, terms) == _occurrences(text, terms)


def test_folding_capitals_never_makes_a_caseless_character():
    """occurrences folds the text only for terms with a letter that has a capital: that is
    exact only if lower() never turns another character into a caseless one."""
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        low = ch.lower()
        if len(low) == 1 and low != ch:
            assert low.upper() != low, hex(code)


def test_a_span_ending_at_the_edge_of_a_window_is_inside_it():
    spans = [(0, 3, "a"), (4, 8, "a"), (50, 55, "a"), (56, 60, "a"), (61, 70, "a")]
    assert snippets.best_window(spans, 20) == 50  # 50-70 holds three spans, 0-20 two
    two_terms = [(s, e, "b" if s == 56 else t) for s, e, t in spans]
    assert snippets.best_window(two_terms, 20) == 50
