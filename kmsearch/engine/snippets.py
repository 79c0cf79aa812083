"""Snippets: the part of a document that best shows why it matched, with matches marked.

Matches are found by running the same analyzer over the stored (normalised) text, so the
marked characters are exactly the words or compound parts the query matched, never half a
Thai character cluster.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kmsearch.engine.analysis import analyze

WIDTH = 220  # characters of context shown; about two lines on a phone


@lru_cache(maxsize=256)
def _tokens(text: str) -> tuple[tuple[str, int, int, bool], ...]:
    """The analysed tokens of a stored text. Cached: segmenting a whole document again for
    every hit of every search was most of a search's time; the same documents keep
    coming back in results."""
    return tuple((term, start, end, part) for term, _pos, start, end, part in analyze(text))


def match_spans(
    text: str, terms: set[str], word_ends: list[int] | None = None
) -> list[tuple[int, int, str]]:
    """(start, end, term) of every token of text that is one of terms, overlaps merged.

    word_ends, when given, receives the end offset of every word (for cutting between words).
    """
    spans: list[tuple[int, int, str]] = []
    for term, start, end, is_part in _tokens(text):
        if word_ends is not None and not is_part:
            word_ends.append(end)
        if term not in terms:
            continue
        if is_part:
            # A part matched inside a compound: mark just the part within the word.
            offset = text.find(term, start, end)
            if offset >= 0:
                start, end = offset, offset + len(term)
        if spans and start < spans[-1][1]:
            last = spans[-1]
            spans[-1] = (min(last[0], start), max(last[1], end), last[2])
        else:
            spans.append((start, end, term))
    return spans


def _best_window(spans: list[tuple[int, int, str]], width: int) -> int:
    """Start of the window of width characters holding the most distinct matched terms."""
    best_start, best_score = spans[0][0], (-1, -1)
    for i, (start, _end, _term) in enumerate(spans):
        inside = [s for s in spans[i:] if s[1] <= start + width]
        score = (len({s[2] for s in inside}), len(inside))
        if score > best_score:
            best_start, best_score = start, score
    return best_start


def marked_spans(
    text: str, groups: list[tuple[str, tuple[str, ...]]], word_ends: list[int] | None = None
) -> list[tuple[int, int, str]]:
    """Spans to mark: the query's words; the parts of a query compound only where the
    document lacks the compound itself (so ยังชีพ does not light up every ยัง)."""
    words = {word for word, _parts in groups}
    spans = match_spans(text, words, word_ends)
    found = {term for *_, term in spans}
    # Short parts (ผู้ of ผู้สูงอายุ) would light up unrelated words all over the text.
    missing_parts = {p for word, parts in groups if word not in found for p in parts if len(p) >= 4}
    if missing_parts:
        spans = match_spans(text, words | missing_parts)
    return spans


def make_fragments(
    text: str, groups: list[tuple[str, tuple[str, ...]]], width: int = WIDTH
) -> list[tuple[str, bool]]:
    """The snippet as (text, is_match) pieces, with "…" where the text was cut."""
    if not text:
        return []
    word_ends: list[int] = []
    spans = marked_spans(text, groups, word_ends)
    if spans:
        anchor = _best_window(spans, width)
        start = max(0, anchor - width // 5)
        space = text.rfind(" ", start - 20 if start > 20 else 0, anchor)
        if start > 0 and space > 0:
            start = space + 1
        elif start > 0:
            # No space near: begin at a word boundary (where an earlier word ends).
            start = min((e for e in word_ends if start <= e <= anchor), default=anchor)
    else:
        start = 0
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
