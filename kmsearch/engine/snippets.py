"""Snippets: the part of a document that best shows why it matched, with matches marked.

Work is linear in the document and bounded whatever its size. The query's words are first
located by plain (C-speed) string search in at most MAX_SCAN characters; the window holding
most of them is chosen in one pass; only a region of about three windows around it is then
segmented, and the marks come from that analysis -- the same analyzer as the index, so the
marked characters are exactly the words or compound parts the query matched, never half a
Thai character cluster. Segmenting whole documents for every hit (and caching the result)
was most of a search's time and memory; a 1 MB document took seconds.
"""

from __future__ import annotations

import re

from kmsearch.engine.analysis import analyze, compound_parts

WIDTH = 220  # characters of context shown; about two lines on a phone
MAX_SCAN = 200_000  # characters of a document searched for the query's words
MAX_OCCURRENCES = 2_000  # occurrences considered for the window (a repetitive document)
REGION = 2 * WIDTH  # characters segmented around the chosen window (the window and a margin)
ATTEMPTS = 3  # regions tried when a word occurs only inside other words (ปี in ปีงบ...)


def _term_pattern(term: str) -> str:
    """A regex for term as it may be written in the stored text (e-LAAS for elaas, 1,000
    for 1000, พ.ร.บ. for พรบ)."""
    if term.isascii() and term.isalnum():
        sep = ",?" if term.isdigit() else "[-']?"
    elif len(term) <= 4:
        sep = r"\.?"  # a Thai abbreviation is indexed without its dots
    else:
        return re.escape(term)
    return sep.join(re.escape(ch) for ch in term)


def _folded(text: str) -> str:
    """text with Latin capitals folded, same length (offsets stay valid)."""
    lower = text.lower()
    return lower if len(lower) == len(text) else text


def occurrences(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of the first MAX_OCCURRENCES places where a term is written,
    within the first MAX_SCAN characters; linear in the scanned text."""
    terms = {t for t in terms if t}
    if not terms:
        return []
    ordered = sorted(terms, key=len, reverse=True)  # the longest alternative wins
    pattern = re.compile("|".join(f"({_term_pattern(t)})" for t in ordered))
    out = []
    for m in pattern.finditer(_folded(text[:MAX_SCAN])):
        out.append((m.start(), m.end(), ordered[m.lastindex - 1]))
        if len(out) >= MAX_OCCURRENCES:
            break
    return out


def best_window(spans: list[tuple[int, int, str]], width: int) -> int:
    """Start of the window of width characters (beginning at a span) holding the most
    distinct terms, then the most spans. spans are sorted and do not overlap, so their ends
    are sorted too: the spans inside the window at spans[i] are spans[i:j], and j only moves
    forward -- one pass (the previous version rescanned the tail for every span: quadratic,
    seconds on a large repetitive document)."""
    best_start, best_score = spans[0][0], (-1, -1)
    counts: dict[str, int] = {}  # terms of spans[i:j]
    j = 0
    for i, (start, _end, term) in enumerate(spans):
        j = max(j, i)
        while j < len(spans) and spans[j][1] <= start + width:
            counts[spans[j][2]] = counts.get(spans[j][2], 0) + 1
            j += 1
        score = (len(counts), j - i)
        if score > best_score:
            best_start, best_score = start, score
        if j > i:  # spans[i] leaves the window
            counts[term] -= 1
            if not counts[term]:
                del counts[term]
    return best_start


def words_of(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of each word token of text (offsets into text): what match_spans
    reads, worked out once when it is asked twice about the same region."""
    return [(word, start, end) for word, _pos, start, end, _part in analyze(text, parts=False)]


def match_spans(
    text: str,
    terms: set[str],
    word_ends: list[int] | None = None,
    words: list[tuple[str, int, int]] | None = None,
) -> list[tuple[int, int, str]]:
    """(start, end, term) of every token of text that is one of terms, overlaps merged.

    The tokens are analyze()'s, in its order: each word, then its compound parts. words:
    words_of(text), when the caller has it already. word_ends, when given, receives the end
    offset of every word (for cutting between words).
    """
    spans: list[tuple[int, int, str]] = []

    def add(start: int, end: int, term: str) -> None:
        if spans and start < spans[-1][1]:
            last = spans[-1]
            spans[-1] = (min(last[0], start), max(last[1], end), last[2])
        else:
            spans.append((start, end, term))

    for word, start, end in words if words is not None else words_of(text):
        if word_ends is not None:
            word_ends.append(end)
        if word in terms:
            add(start, end, word)
        for part in compound_parts(word):
            if part in terms:
                # A part matched inside a compound: mark just the part within the word.
                offset = text.find(part, start, end)
                if offset >= 0:
                    add(offset, offset + len(part), part)
                else:
                    add(start, end, part)
    return spans


def _parts_to_mark(groups, found: set[str]) -> set[str]:
    """The parts of a query compound, only where the text lacks the compound itself (so
    ยังชีพ does not light up every ยัง); short parts (ผู้ of ผู้สูงอายุ) never alone."""
    return {p for word, parts in groups if word not in found for p in parts if len(p) >= 4}


def marked_spans(
    text: str, groups: list[tuple[str, tuple[str, ...]]], word_ends: list[int] | None = None
) -> list[tuple[int, int, str]]:
    """Spans to mark in text (analysed whole: give it a region, not a document)."""
    words = {word for word, _parts in groups}
    ends: list[int] = []
    tokens = words_of(text)  # segmented once, even when the parts are looked for too
    spans = match_spans(text, words, ends, tokens)
    missing_parts = _parts_to_mark(groups, {term for *_, term in spans})
    if missing_parts:
        spans = match_spans(text, words | missing_parts, None, tokens)
    if word_ends is not None:
        word_ends.extend(ends)
    return spans


def _region(text: str, anchor: int) -> tuple[int, int]:
    """About REGION characters around a window starting at anchor, cut at a space or line
    break when one is near (so the segmenter sees whole words at the edges)."""
    # The snippet shown starts a fifth of WIDTH before its first mark: half a WIDTH before
    # and after the window leaves room for that and for moving to a word boundary.
    lo, hi = max(0, anchor - WIDTH // 2), min(len(text), anchor + WIDTH + WIDTH // 2)
    if lo > 0:
        cut = max(text.rfind(" ", lo - 60, lo), text.rfind("\n", lo - 60, lo))
        lo = cut + 1 if cut >= 0 else lo
    if hi < len(text):
        cuts = [c for c in (text.find(" ", hi, hi + 60), text.find("\n", hi, hi + 60)) if c >= 0]
        hi = min(cuts) if cuts else hi
    return lo, hi


def _choose_region(text: str, groups) -> tuple[int, int, list, list[int]]:
    """The region to show and its marks (offsets within the region) and word ends."""
    words = {word for word, _parts in groups}
    found = occurrences(text, words)
    seen = {term for *_, term in found}
    parts = _parts_to_mark(groups, seen)
    if parts:
        found = occurrences(text, words | parts)
    tried: list[tuple[int, int]] = []
    for _attempt in range(ATTEMPTS):
        left = [s for s in found if not any(lo <= s[0] < hi for lo, hi in tried)]
        if not left:
            break
        lo, hi = _region(text, best_window(left, WIDTH))
        ends: list[int] = []
        spans = marked_spans(text[lo:hi], groups, ends)
        if spans:
            return lo, hi, spans, ends
        tried.append((lo, hi))
    lo, hi = 0, min(len(text), REGION)
    if hi < len(text):
        cut = text.find(" ", hi, hi + 60)
        hi = cut if cut >= 0 else hi
    ends = []
    return lo, hi, marked_spans(text[lo:hi], groups, ends), ends


def make_fragments(
    text: str, groups: list[tuple[str, tuple[str, ...]]], width: int = WIDTH
) -> list[tuple[str, bool]]:
    """The snippet as (text, is_match) pieces, with "…" where the text was cut."""
    if not text:
        return []
    lo, hi, local, local_ends = _choose_region(text, groups)
    spans = [(s + lo, e + lo, t) for s, e, t in local]
    word_ends = [e + lo for e in local_ends]
    if spans:
        anchor = best_window(spans, width)
        start = max(lo, anchor - width // 5)
        space = text.rfind(" ", start - 20 if start > 20 else 0, anchor)
        if start > 0 and space > 0:
            start = space + 1
        elif start > 0:
            # No space near: begin at a word boundary (where an earlier word ends).
            start = min((e for e in word_ends if start <= e <= anchor), default=anchor)
    else:
        start = lo
    end = min(len(text), start + width)
    if end < len(text):
        # Thai has no spaces between words: cut after the last whole word that fits.
        fitting = [e for e in word_ends if start < e <= end]
        space = text.rfind(" ", end - 30, end)
        if space > start:
            end = space
        elif fitting:
            end = fitting[-1]
    pieces: list[tuple[str, bool]] = []
    if start > 0:
        pieces.append(("…", False))
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


def substring_fragments(text: str, needles: list[str], width: int = WIDTH) -> list[tuple[str, bool]]:
    """A window of text around the first of needles it contains, that needle marked.

    For documents found by a substring (engine/fallback.py): the substring may start or end
    inside a word, so it is marked as characters, not as tokens.
    """
    for needle in sorted(needles, key=len, reverse=True):
        at = text.find(needle)
        if at < 0:
            continue
        start = max(0, at - (width - len(needle)) // 2)
        end = min(len(text), start + width)
        # Cut at spaces where there are some near, not inside a Thai character cluster.
        space = text.find(" ", start, at)
        if start > 0 and space >= 0 and space - start < 40:
            start = space + 1
        space = text.rfind(" ", at + len(needle), end)
        if end < len(text) and space >= 0 and end - space < 40:
            end = space
        out = [(text[start:at], False), (needle, True), (text[at + len(needle) : end], False)]
        if start > 0:
            out.insert(0, ("…", False))
        if end < len(text):
            out.append(("…", False))
        return [(re.sub(r"\s+", " ", t), m) for t, m in out if t]
    return [(re.sub(r"\s+", " ", text[:width]), False)] if text else []
