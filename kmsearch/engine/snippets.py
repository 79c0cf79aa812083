"""Snippets: the part of a document that best shows why it matched, with matches marked.

Work is linear in the document and bounded whatever its size, and small per hit:
1. The query's words are located by plain (C-speed) string search in at most MAX_SCAN
   characters (occurrences); the window holding most of them is chosen in one pass.
2. A region of about two windows around it is normalised once, and only its pieces (text
   between spaces and line breaks) that can hold a query word are segmented (Region). The marks come from
   that analysis -- the same analyzer as the index, so the marked characters are exactly the
   words or compound parts the query matched, never half a Thai character cluster.
3. Word boundaries for cutting the snippet are needed only where no space is near: the piece
   there is segmented then.
Segmenting whole documents for every hit (and caching the result) was most of a search's time
and memory; a 1 MB document took seconds. Segmenting every piece of the region was still about
a quarter of a search request's CPU time at 2,000 documents, for marks in about 3 pieces of 22.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import accumulate, islice

from kmsearch.engine.analysis import compound_parts, word_spans
from kmsearch.engine.thai import normalize_with_offsets

WIDTH = 220  # characters of context shown; about two lines on a phone
MAX_SCAN = 200_000  # characters of a document searched for the query's words
MAX_OCCURRENCES = 2_000  # occurrences considered for the window (a repetitive document)
REGION = 2 * WIDTH  # characters segmented around the chosen window (the window and a margin)
ATTEMPTS = 3  # regions tried when a word occurs only inside other words (ปี in ปีงบ...)


def _separators(term: str) -> str:
    """Characters the stored text may hold between the letters of term: e-LAAS for elaas,
    1,000 for 1000, พ.ร.บ. for พรบ (a Thai abbreviation is indexed without its dots)."""
    if term.isascii() and term.isalnum():
        return "," if term.isdigit() else "-'"
    return "." if len(term) <= 4 else ""


def _term_pattern(term: str) -> str:
    """A regex for term as it may be written in the stored text (see _separators)."""
    seps = _separators(term)
    if not seps:
        return re.escape(term)
    return f"[{re.escape(seps)}]?".join(re.escape(ch) for ch in term)


def _folded(text: str) -> str:
    """text with Latin capitals folded, same length (offsets stay valid)."""
    lower = text.lower()
    return lower if len(lower) == len(text) else text


@lru_cache(maxsize=256)
def _alternatives(terms: frozenset[str]) -> tuple[bool, tuple[tuple[str, str, re.Pattern], ...]]:
    """Whether the text must be case-folded for terms, and each term, longest first (the order
    in which one alternation would try them), with its separators and its pattern.

    Built once per query, not once per hit. Folding is needed only for a term with a letter
    that has a capital: lower() never turns another character into one without (every
    character is checked in tests/test_snippet_fragments.py), so a search for caseless terms
    (Thai, digits) finds them at the same places in the text as in its folded copy.
    """
    ordered = sorted(terms, key=len, reverse=True)
    fold = any(t.upper() != t for t in ordered)
    return fold, tuple((t, _separators(t), re.compile(_term_pattern(t))) for t in ordered)


def occurrences(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of the first MAX_OCCURRENCES places where a term is written,
    within the first MAX_SCAN characters; linear in the scanned text.

    What one regex alternation of the terms (longest first) finds with finditer: the leftmost
    place where any term is written, the first term in that order written there, then on from
    its end. Each term is looked for on its own (a plain string search when its pattern is
    literal, several times faster than the alternation, which tries every alternative at
    every character), and the places are merged as the alternation would take them.
    """
    terms = frozenset(t for t in terms if t)
    if not terms:
        return []
    fold, alternatives = _alternatives(terms)
    scanned = _folded(text[:MAX_SCAN]) if fold else text[:MAX_SCAN]
    if len(alternatives) == 1:  # the alternation is the one pattern (most queries: one word)
        term, _seps, pattern = alternatives[0]
        return [(*m.span(), term) for m in islice(pattern.finditer(scanned), MAX_OCCURRENCES)]
    out: list[tuple[int, int, str]] = []
    pos = 0  # where the last place taken ends
    lo, hi = 0, 0
    # The text is read in stretches, each twice as long as the one before: the alternation
    # stops at MAX_OCCURRENCES places, and so does this, with at most twice its reading.
    while hi < len(scanned) and len(out) < MAX_OCCURRENCES:
        lo, hi = hi, min(len(scanned), max(2 * hi, 8_192))
        places: list[tuple[int, int, int]] = []  # (start, rank in the alternation, end)
        for k, (term, seps, pattern) in enumerate(alternatives):
            # A place starting before hi ends by endpos (a separator between every letter).
            endpos = min(len(scanned), hi + (2 * len(term) if seps else len(term)))
            if _bordered(term):
                # Its places may overlap one another (นานา in นานานา): finditer would skip
                # the second, which the alternation takes when another term covers the first.
                m = pattern.search(scanned, lo, endpos)
                while m and m.start() < hi:
                    places.append((m.start(), k, m.end()))
                    m = pattern.search(scanned, m.start() + 1, endpos)
            else:
                for m in pattern.finditer(scanned, lo, endpos):
                    if m.start() >= hi:
                        break
                    places.append((m.start(), k, m.end()))
        places.sort()  # leftmost first; at one place, the term the alternation tries first
        for start, k, end in places:
            if start >= pos:
                out.append((start, end, alternatives[k][0]))
                if len(out) >= MAX_OCCURRENCES:
                    break
                pos = end
    return out


@lru_cache(maxsize=1024)
def _bordered(term: str) -> bool:
    """Whether term begins with what it ends with (a proper border): only then can two places
    where it is written overlap (separators are not letters of a term)."""
    return any(term[:k] == term[-k:] for k in range(1, len(term)))


def best_window(spans: list[tuple[int, int, str]], width: int) -> int:
    """Start of the window of width characters (beginning at a span) holding the most
    distinct terms, then the most spans. spans are sorted and do not overlap, so their ends
    are sorted too: the spans inside the window at spans[i] are spans[i:j], and j only moves
    forward -- one pass (the previous version rescanned the tail for every span: quadratic,
    seconds on a large repetitive document)."""
    ends = [end for _start, end, _term in spans]
    terms = [term for _start, _end, term in spans]
    if len(set(terms)) == 1:  # one term (most queries): the window holding the most spans
        best_start, best_count = spans[0][0], 0
        for i, (start, _end, _term) in enumerate(spans):
            j = bisect_right(ends, start + width, i)
            if j - i > best_count:
                best_start, best_count = start, j - i
        return best_start
    best_start, best_distinct, best_count = spans[0][0], -1, -1
    counts: dict[str, int] = {}  # terms of spans[i:j]
    j, n = 0, len(spans)
    for i, (start, _end, term) in enumerate(spans):
        if j < i:
            j = i
        limit = start + width
        while j < n and ends[j] <= limit:
            counts[terms[j]] = counts.get(terms[j], 0) + 1
            j += 1
        distinct = len(counts)
        if distinct > best_distinct or (distinct == best_distinct and j - i > best_count):
            best_start, best_distinct, best_count = start, distinct, j - i
        if j > i:  # spans[i] leaves the window
            left = counts[term] - 1
            if left:
                counts[term] = left
            else:
                del counts[term]
    return best_start


# The analyzer drops these from abbreviations (พ.ร.บ. -> พรบ), numbers (1,000 -> 1000) and Latin
# words (e-LAAS -> elaas): only there is a word not written in the text as it is indexed.
_SHORTENED = re.compile(r"[.,'\-]")
_SPACES = re.compile(r"\s+")


def _bare(text: str) -> str:
    """text without the characters _SHORTENED names."""
    return text.replace(".", "").replace(",", "").replace("-", "").replace("'", "")


class Region:
    """A region of a document (not a whole one: it is normalised whole) and its word tokens as
    analyze(text, parts=False) gives them, segmented piece by piece where they are asked for.

    A piece is text between spaces and line breaks (one may be empty). No token spans one of
    those, and the analyzer reads a piece alone as it reads it within the text: its patterns
    look ahead only up to the space, which none of them matches, so seeing it or the end of
    the piece is the same. tests/test_snippet_spans.py checks both against analyze() on the
    bundled corpus.
    """

    def __init__(self, text: str):
        self.text = text
        self._norm, self._offsets = normalize_with_offsets(text)
        pieces = self._norm.replace("\n", " ").split(" ")  # in C, not a match object a piece
        self._starts = list(accumulate([len(piece) + 1 for piece in pieces[:-1]], initial=0))
        self._ends = [start + len(piece) for start, piece in zip(self._starts, pieces, strict=True)]
        self._words: dict[int, list[tuple[str, int, int]]] = {}
        self._shortened: set[int] | None = None
        self._bounds: tuple[list[int], list[int]] | None = None

    def words(self, i: int) -> list[tuple[str, int, int]]:
        """(word, start, end) of each word of piece i, offsets into text; segmented once."""
        got = self._words.get(i)
        if got is None:
            at = self._starts[i]
            spans = word_spans(self._norm[at : self._ends[i]])
            off = self._offsets
            if off is None:
                got = [(w.text, w.start + at, w.end + at) for w in spans]
            else:
                got = [(w.text, off[w.start + at], off[w.end + at]) for w in spans]
            self._words[i] = got
        return got

    def _holding(self, terms: set[str]) -> list[int]:
        """The pieces in which a word equal to one of terms, or with one as a compound part,
        may stand.

        A word (and each of its parts, slices of it) is a substring of its piece, unless the
        analyzer dropped some of . , - ' from it (_SHORTENED); then it is a substring of its
        piece once both are without those characters.
        """
        norm, starts, ends = self._norm, self._starts, self._ends
        if self._shortened is None:
            self._shortened = sorted({bisect_right(starts, m.start()) - 1
                                      for m in _SHORTENED.finditer(norm)})
        found = set()
        if self._shortened:
            bare_terms = [_bare(t) for t in terms]
            for i in self._shortened:
                bare = _bare(norm[starts[i] : ends[i]])
                if any(t in bare for t in bare_terms):  # "" (a term of . , - ' alone) is in any
                    found.add(i)
        for term in terms:
            at = norm.find(term) if term else -1
            while at >= 0:
                i = bisect_right(starts, at) - 1
                if i >= 0 and at + len(term) <= ends[i]:  # within piece i
                    found.add(i)
                    at = norm.find(term, ends[i])
                else:
                    at = norm.find(term, at + 1)
        return sorted(found)

    def marks(self, terms: set[str]) -> list[tuple[int, int, str]]:
        """(start, end, term) of every token of text that is one of terms, overlaps merged.

        The tokens are analyze()'s, in its order: each word, then its compound parts. A part
        is marked just where it is written inside its word.
        """
        spans: list[tuple[int, int, str]] = []

        def add(start: int, end: int, term: str) -> None:
            if spans and start < spans[-1][1]:
                last = spans[-1]
                spans[-1] = (min(last[0], start), max(last[1], end), last[2])
            else:
                spans.append((start, end, term))

        text = self.text
        for i in self._holding(terms):
            for word, start, end in self.words(i):
                if word in terms:
                    add(start, end, word)
                for part in compound_parts(word):
                    if part in terms:
                        offset = text.find(part, start, end)
                        if offset >= 0:
                            add(offset, offset + len(part), part)
                        else:
                            add(start, end, part)
        return spans

    def _text_bounds(self) -> tuple[list[int], list[int]]:
        """Start and end of each piece as offsets into text."""
        if self._bounds is None:
            off = self._offsets
            if off is None:
                self._bounds = self._starts, self._ends
            else:
                self._bounds = [off[s] for s in self._starts], [off[e] for e in self._ends]
        return self._bounds

    def first_end(self, lo: int, hi: int) -> int | None:
        """The first end of a word within [lo, hi] (offsets into text), if there is one."""
        starts, ends = self._text_bounds()
        for i in range(bisect_left(ends, lo), len(ends)):
            if starts[i] > hi:
                break  # every later word ends after hi
            for _word, _start, end in self.words(i):
                if end >= lo:
                    return end if end <= hi else None
        return None

    def last_end(self, lo: int, hi: int) -> int | None:
        """The last end of a word within (lo, hi] (offsets into text), if there is one."""
        starts, _ends = self._text_bounds()
        # bisect_right: a word may end where its piece starts in text (İ folds to two
        # characters, and the word i is the first of them)
        for i in range(bisect_right(starts, hi) - 1, -1, -1):
            for _word, _start, end in reversed(self.words(i)):
                if end <= hi:
                    return end if end > lo else None
            if starts[i] <= lo:
                break  # every earlier word ends by lo
        return None


def _parts_to_mark(groups, found: set[str]) -> set[str]:
    """The parts of a query compound, only where the text lacks the compound itself (so
    ยังชีพ does not light up every ยัง); short parts (ผู้ of ผู้สูงอายุ) never alone."""
    return {p for word, parts in groups if word not in found for p in parts if len(p) >= 4}


def marked_spans(region: Region, groups: list[tuple[str, tuple[str, ...]]]) -> list[tuple[int, int, str]]:
    """Spans to mark in region: the query's words, and the parts _parts_to_mark names."""
    words = {word for word, _parts in groups}
    spans = region.marks(words)
    missing_parts = _parts_to_mark(groups, {term for *_, term in spans})
    if missing_parts:
        spans = region.marks(words | missing_parts)
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


def _choose_region(text: str, groups) -> tuple[int, Region, list[tuple[int, int, str]]]:
    """Where the region to show starts, the region, and its marks (offsets within it)."""
    words = {word for word, _parts in groups}
    found = occurrences(text, words)
    seen = {term for *_, term in found}
    parts = _parts_to_mark(groups, seen)
    if parts:
        found = occurrences(text, words | parts)
    tried: list[tuple[int, int]] = []
    for _attempt in range(ATTEMPTS):
        left = [s for s in found if not any(lo <= s[0] < hi for lo, hi in tried)] if tried else found
        if not left:
            break
        lo, hi = _region(text, best_window(left, WIDTH))
        region = Region(text[lo:hi])
        spans = marked_spans(region, groups)
        if spans:
            return lo, region, spans
        tried.append((lo, hi))
    lo, hi = 0, min(len(text), REGION)
    if hi < len(text):
        cut = text.find(" ", hi, hi + 60)
        hi = cut if cut >= 0 else hi
    region = Region(text[lo:hi])
    return lo, region, marked_spans(region, groups)


def make_fragments(
    text: str, groups: list[tuple[str, tuple[str, ...]]], width: int = WIDTH
) -> list[tuple[str, bool]]:
    """The snippet as (text, is_match) pieces, with "…" where the text was cut."""
    if not text:
        return []
    lo, region, local = _choose_region(text, groups)
    spans = [(s + lo, e + lo, t) for s, e, t in local]
    if spans:
        anchor = best_window(spans, width)
        start = max(lo, anchor - width // 5)
        space = text.rfind(" ", start - 20 if start > 20 else 0, anchor)
        if start > 0 and space > 0:
            start = space + 1
        elif start > 0:
            # No space near: begin at a word boundary (where an earlier word ends).
            after = region.first_end(start - lo, anchor - lo)
            start = anchor if after is None else after + lo
    else:
        start = lo
    end = min(len(text), start + width)
    if end < len(text):
        # Thai has no spaces between words: cut after the last whole word that fits.
        space = text.rfind(" ", end - 30, end)
        if space > start:
            end = space
        else:
            fitting = region.last_end(start - lo, end - lo)
            if fitting is not None:
                end = fitting + lo
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
    return [(_SPACES.sub(" ", t), m) for t, m in pieces if t]


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
        return [(_SPACES.sub(" ", t), m) for t, m in out if t]
    return [(_SPACES.sub(" ", text[:width]), False)] if text else []
