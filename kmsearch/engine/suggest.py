"""'Did you mean': a query typed with the keyboard in English layout, or with a typo.

Both suggestions are built from the vocabulary of the documents the searcher may see: a word
counts as known only if it occurs in one of them, candidates are drawn only from them, and the
suggested query must find one of them. So a citizen is never offered a word that exists only
in staff documents, and a staff-only word takes the same path as a word in no document at
all (it is "unknown" to a citizen), so neither the answer nor the work done tells them apart.

The work is bounded whatever is typed: at most MAX_FIXES words are corrected, MAX_LOOKUPS
vocabulary scans and MAX_CANDIDATES candidate words are examined per search.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

import numpy as np
from whoosh import query as q
from whoosh.automata import lev

from kmsearch.engine import postings, ranking
from kmsearch.engine import query as querymod
from kmsearch.engine.analysis import word_spans
from kmsearch.engine.thai import normalize

_THAI = re.compile(r"[\u0e01-\u0e4e]")
_LAYOUT_CANDIDATE = re.compile(r"^[\x21-\x7e ]+$")

MAX_LAYOUT_CHARS = 64  # longer Latin text is English, not a slip of the keyboard layout
MAX_FIXES = 3  # unknown words corrected per query
MAX_LOOKUPS = 8  # vocabulary scans (Levenshtein automata over the term list) per query
MAX_CANDIDATES = 64  # candidate words examined per query
MAX_TYPO_WORD = 24  # characters: a longer "word" is not a typo of a dictionary word
LONG_QUERY_WORDS = 8  # words: beyond this a query is a question, corrected in one place at most


class Work:
    """What one suggestion may still spend (see the module docstring), and where its
    vocabulary scans look (see terms_within)."""

    def __init__(self, vocabulary: Callable[[], Sequence[str]] | None = None):
        self.lookups = MAX_LOOKUPS
        self.candidates = MAX_CANDIDATES
        self.fixes = MAX_FIXES
        self.vocabulary = vocabulary


def vocabulary(searcher, fieldname: str = "content") -> Vocabulary:
    """Every term of fieldname, in the index's order (sorted by code point, as UTF-8 bytes
    sort): what terms_within scans in memory. About 37,000 terms at 2,000 documents."""
    return Vocabulary(t.decode("utf-8") for t in searcher.reader().lexicon(fieldname))


class Vocabulary(Sequence[str]):
    """A sorted term list that answers terms_within by computing edit distances for many
    terms at once (numpy), instead of walking a Levenshtein automaton term by term: the
    automaton cost ~4 ms per scan in Python, a third of a typo search's CPU.

    Terms sharing a prefix are contiguous in the sorted list; their remainders are packed,
    per prefix and when first asked for, into a matrix of code points (MAX_LEN columns).
    Shared read-only by every thread once built (a bucket built twice by two threads at
    once is the same value)."""

    MAX_LEN = 32  # characters after the prefix; longer terms are left to the automaton

    def __init__(self, terms):
        self.terms = tuple(terms)
        self._buckets: dict[str, tuple] = {}

    def __len__(self) -> int:
        return len(self.terms)

    def __getitem__(self, i):
        return self.terms[i]

    def _bucket(self, prefix: str) -> tuple:
        """(first index, code matrix, lengths) of the terms starting with prefix whose
        remainder fits MAX_LEN, and whether some longer one was left out."""
        found = self._buckets.get(prefix)
        if found is not None:
            return found
        lo = bisect.bisect_left(self.terms, prefix)
        if prefix:
            hi = bisect.bisect_left(self.terms, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo)
        else:
            hi = len(self.terms)
        rests = [t[len(prefix):] for t in self.terms[lo:hi]]
        lengths = np.fromiter((len(r) for r in rests), dtype=np.int16, count=len(rests))
        codes = np.zeros((len(rests), self.MAX_LEN), dtype=np.uint32)
        for row, rest in enumerate(rests):
            if len(rest) <= self.MAX_LEN:
                codes[row, : len(rest)] = np.frombuffer(rest.encode("utf-32-le"), dtype=np.uint32)
        found = (lo, codes, lengths)
        self._buckets[prefix] = found
        return found

    def within(self, word: str, maxdist: int, prefix: int = 0) -> list[str]:
        """Every term t with t[:prefix] == word[:prefix] and at most maxdist insertions,
        deletions or substitutions between the rest of word and the rest of t, in sorted
        order: exactly what Whoosh's levenshtein_automaton(word, maxdist, prefix) accepts."""
        rest = word[prefix:]
        if len(rest) + maxdist > self.MAX_LEN or len(word) < prefix:
            return list(_automaton_within(self.terms, word, maxdist, prefix))
        lo, codes, lengths = self._bucket(word[:prefix])
        rows = np.flatnonzero(np.abs(lengths.astype(np.int32) - len(rest)) <= maxdist)
        if not len(rows):
            return []
        dist = _edit_distances(rest, codes[rows], lengths[rows], maxdist)
        return [self.terms[lo + int(r)] for r in rows[dist <= maxdist]]


def _edit_distances(word: str, codes: np.ndarray, lengths: np.ndarray, cap: int) -> np.ndarray:
    """Levenshtein distance from word to each row of codes (its first lengths[i] code
    points), computed row of the DP table by row for all terms at once. Distances above cap
    may be reported as any value above cap (the scan stops once every term is past it)."""
    n, m = len(codes), len(word)
    target = np.frombuffer(word.encode("utf-32-le"), dtype=np.uint32)
    steps = np.arange(m + 1, dtype=np.int32)
    prev = np.broadcast_to(steps, (n, m + 1))
    out = np.where(lengths == 0, m, cap + 1).astype(np.int32)
    row = np.empty((n, m + 1), dtype=np.int32)
    for i in range(1, int(lengths.max()) + 1):
        # D[i][j] = min(D[i-1][j] + 1, D[i-1][j-1] + differs, D[i][j-1] + 1); the last
        # term, along the row, is a running minimum of (value - j) plus j.
        differs = codes[:, i - 1 : i] != target
        row[:, 0] = i
        np.minimum(prev[:, 1:] + 1, prev[:, :-1] + differs, out=row[:, 1:])
        cur = np.minimum.accumulate(row - steps, axis=1) + steps
        ends = lengths == i
        out[ends] = cur[ends, m]
        if cur.min() > cap:
            break  # every term still longer than i is already more than cap away
        prev = cur
    return out


def terms_within(terms: Sequence[str], word: str, maxdist: int, prefix: int = 0) -> Iterator[str]:
    """The terms within maxdist edits of word sharing its first prefix characters, in sorted
    order: what Whoosh's reader.terms_within gives, from a sorted list in memory."""
    if isinstance(terms, Vocabulary):
        yield from terms.within(word, maxdist, prefix)
    else:
        yield from _automaton_within(terms, word, maxdist, prefix)


def _automaton_within(terms: Sequence[str], word: str, maxdist: int, prefix: int) -> Iterator[str]:
    """Whoosh's reader.terms_within (the same Levenshtein automaton, walked the same way),
    with the next term at or after each of the automaton's candidates found by bisection in
    a sorted list in memory instead of a binary search of the term file on disk."""
    if not terms:
        return
    dfa = lev.levenshtein_automaton(word, maxdist, prefix).to_dfa()
    match = dfa.next_valid_string(terms[0])
    while match:
        i = bisect.bisect_left(terms, match)
        if i == len(terms):
            return
        term = terms[i]
        if match == term:
            yield match
            term += "\0"
        match = dfa.next_valid_string(term)


def suggest(
    searcher,
    raw: str,
    parsed: querymod.ParsedQuery,
    visible: q.Query | None,
    allowed: set[int] | None = None,
    terms: Callable[[], Sequence[str]] | None = None,
) -> str | None:
    """A better query for raw, or None. allowed: the document numbers visible allows (None:
    every document); computed here when not given. terms: gives the content vocabulary
    (vocabulary()) when a scan needs it, e.g. from a cache shared per index; without it
    scans read the term file."""
    if visible is not None and allowed is None:
        allowed = set(searcher.docs_for_query(visible))
    raw = raw[: querymod.MAX_QUERY_CHARS]
    work = Work(terms)
    return _keyboard_layout(searcher, raw, allowed) or _typos(searcher, raw, allowed, work)


def _finds(searcher, text: str, allowed) -> bool:
    parsed = querymod.parse(text)
    if parsed.empty:
        return False
    return ranking.exists(searcher, querymod.build(parsed), allowed)


def _in_visible(searcher, name: str, term: str, allowed) -> bool:
    """term occurs in field name of a document the searcher may see."""
    if searcher.doc_frequency(name, term) == 0:
        return False
    if allowed is None:
        return True
    # The postings arrays the ranking reads (shared per index generation), not a matcher
    # walked posting by posting: every word of every query is checked here.
    data = postings.for_reader(searcher.reader())
    found = data.postings(searcher.reader(), name, searcher.schema[name].to_bytes(term))
    return bool(data.mask_of(allowed)[found.ids].any())


def _known(searcher, term: str, allowed=None) -> bool:
    return any(_in_visible(searcher, name, term, allowed) for name in ("content", "title", "meta"))


# A word at least this frequent in the Thai Textbook Corpus (shipped with PyThaiNLP) is taken
# as meant even when no document uses it (กี่ 544, บ้าง 4319); rarer dictionary words are
# likelier typos of indexed ones (ป่าย 6 for ป้าย, จาง 43 for จ้าง).
COMMON_WORD_FREQ = 50


@lru_cache(maxsize=1)
def _word_freqs() -> dict[str, int]:
    from pythainlp.corpus import ttc

    return dict(ttc.word_freqs())


def _is_word(text: str) -> bool:
    """A correctly spelled, common Thai word (never 'corrected')."""
    return text in querymod.stopwords() or _word_freqs().get(text, 0) >= COMMON_WORD_FREQ


def _keyboard_layout(searcher, raw: str, allowed) -> str | None:
    """Thai text typed while the keyboard was in English layout (4kKuxhkp -> ภาษีป้าย)."""
    text = raw.strip()
    if len(text) > MAX_LAYOUT_CHARS or not _LAYOUT_CANDIDATE.match(text):
        return None
    words = [s.text for s in word_spans(normalize(text))]
    if words and all(_known(searcher, w, allowed) for w in words):
        return None  # real English or numbers the documents use (e-LAAS, 2562)
    from pythainlp.util import eng_to_thai

    thai = normalize(eng_to_thai(text))
    if not _THAI.search(thai) or not _plausible(searcher, thai, allowed):
        return None
    return thai if _finds(searcher, thai, allowed) else None


def _plausible(searcher, text: str, allowed) -> bool:
    """Converted text reads as words the searcher's documents use, not as letter soup
    (SMART -> ฆ?ฤฑธ)."""
    words = [s.text for s in word_spans(text)]
    if not words or not all(_THAI.search(w) for w in words):
        return False
    known = sum(1 for w in words if len(w) > 1 and _known(searcher, w, allowed))
    return known / len(words) >= 0.75


def _typos(searcher, raw: str, allowed, work: Work) -> str | None:
    """Replace words the index does not know by the closest words it does know."""
    norm = normalize(raw.strip())
    spans = word_spans(norm)
    if not spans:
        return None
    reader = searcher.reader()
    if len(spans) > LONG_QUERY_WORDS:
        # In a long question an unknown word is far likelier a real word the documents do
        # not use than a typo: look for one fix only.
        work.fixes = min(work.fixes, 1)
    replacements: list[tuple[int, int, str]] = []
    i = 0
    while i < len(spans) and work.fixes > 0:
        span = spans[i]
        if len(span.text) > 1 and (_known(searcher, span.text, allowed) or _is_word(span.text)):
            i += 1  # a real word, even if no document uses it (กี่, บ้าง): nothing to fix
            continue
        work.fixes -= 1
        fix = _best_fix(searcher, reader, norm, spans, i, allowed, work)
        if fix is None:
            i += 1
            continue
        first, last, word = fix
        replacements.append((spans[first].start, spans[last].end, word))
        i = last + 1
    if not replacements:
        return None
    out, cursor = [], 0
    for start, end, word in replacements:
        out.append(norm[cursor:start])
        out.append(word)
        cursor = end
    out.append(norm[cursor:])
    suggestion = "".join(out)
    return suggestion if suggestion != norm and _finds(searcher, suggestion, allowed) else None


# Marks and vowels written above or below a consonant are the easiest to mistype (ป่าย for
# ป้าย): swapping one for another costs half an edit, so that fix wins over a consonant change.
_LIGHT = set("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c")


def typo_cost(a: str, b: str) -> float:
    """Edit distance from a to b where substituting one Thai mark for another costs 0.5."""
    prev = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        cur = [float(i)]
        for j, cb in enumerate(b, start=1):
            sub = 0.0 if ca == cb else (0.5 if ca in _LIGHT and cb in _LIGHT else 1.0)
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + sub))
        prev = cur
    return prev[-1]


def _best_fix(searcher, reader, norm, spans, i, allowed, work: Work):
    """The closest known word for span i, possibly joined with a neighbour the segmenter
    split off (a typo often makes it cut a word in two: ภาษีป่าย -> ภาษี|ป่า|ย)."""
    windows = [(i, i), (i - 1, i), (i, i + 1), (i - 1, i + 1), (i - 2, i), (i, i + 2)]
    best = None
    for first, last in windows:
        if first < 0 or last >= len(spans):
            continue
        if any(spans[k].end != spans[k + 1].start for k in range(first, last)):
            continue  # only join pieces written together
        word = norm[spans[first].start : spans[last].end]
        if len(word) < 3 or len(word) > MAX_TYPO_WORD:
            continue
        maxdist = 1 if len(word) <= 6 else 2
        for dist in range(1, maxdist + 1):
            if work.lookups <= 0:
                return best[1] if best else None
            work.lookups -= 1
            candidates = []
            # prefix=1: the first letter is rarely the mistyped one, and fixing it lets the
            # automaton skip all but one branch of the term list (a scan of the whole
            # vocabulary cost ~0.2 s at 2,000 documents).
            found = (
                terms_within(work.vocabulary(), word, dist, prefix=1)
                if work.vocabulary is not None
                else reader.terms_within("content", word, dist, prefix=1)
            )
            for c in found:
                if work.candidates <= 0:
                    break
                if c != word and len(c) > 1:
                    work.candidates -= 1
                    candidates.append(c)
            scored = []
            for c in candidates:
                if _in_visible(searcher, "content", c, allowed):
                    scored.append((typo_cost(word, c), -searcher.doc_frequency("content", c), c))
            if scored:
                cand = min(scored)
                key = (cand[0], -(last - first), cand[1])
                if best is None or key < best[0]:
                    best = (key, (first, last, cand[2]))
                break
    return best[1] if best else None
