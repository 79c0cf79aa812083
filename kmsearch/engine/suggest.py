"""'Did you mean': a query typed with the keyboard in English layout, or with a typo.

Both suggestions are built from the index's own vocabulary and kept only when the suggested
query finds a document the searcher may see, so a citizen is never shown a word that exists
only in staff documents.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh import query as q

from kmsearch.engine import query as querymod
from kmsearch.engine.analysis import word_spans
from kmsearch.engine.thai import normalize

_THAI = re.compile(r"[\u0e01-\u0e4e]")
_LAYOUT_CANDIDATE = re.compile(r"^[\x21-\x7e ]+$")


def suggest(searcher, raw: str, parsed: querymod.ParsedQuery, visible: q.Query | None) -> str | None:
    """A better query for raw, or None."""
    return _keyboard_layout(searcher, raw, visible) or _typos(searcher, raw, visible)


def _finds(searcher, text: str, visible) -> bool:
    parsed = querymod.parse(text)
    if parsed.empty:
        return False
    return not searcher.search(querymod.build(parsed), filter=visible, limit=1).is_empty()


def _known(searcher, term: str) -> bool:
    return any(searcher.doc_frequency(name, term) > 0 for name in ("content", "title", "meta"))


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


def _keyboard_layout(searcher, raw: str, visible) -> str | None:
    """Thai text typed while the keyboard was in English layout (4kKuxhkp -> ภาษีป้าย)."""
    text = raw.strip()
    if not _LAYOUT_CANDIDATE.match(text):
        return None
    words = [s.text for s in word_spans(normalize(text))]
    if words and all(_known(searcher, w) for w in words):
        return None  # real English or numbers the documents use (e-LAAS, 2562)
    from pythainlp.util import eng_to_thai

    thai = normalize(eng_to_thai(text))
    if not _THAI.search(thai) or not _plausible(searcher, thai):
        return None
    return thai if _finds(searcher, thai, visible) else None


def _plausible(searcher, text: str) -> bool:
    """Converted text reads as words the index knows, not as letter soup (SMART -> ฆ?ฤฑธ)."""
    words = [s.text for s in word_spans(text)]
    if not words or not all(_THAI.search(w) for w in words):
        return False
    known = sum(1 for w in words if len(w) > 1 and _known(searcher, w))
    return known / len(words) >= 0.75


def _typos(searcher, raw: str, visible) -> str | None:
    """Replace words the index does not know by the closest words it does know."""
    norm = normalize(raw.strip())
    spans = word_spans(norm)
    if not spans:
        return None
    reader = searcher.reader()
    replacements: list[tuple[int, int, str]] = []
    i = 0
    while i < len(spans):
        span = spans[i]
        if len(span.text) > 1 and (_known(searcher, span.text) or _is_word(span.text)):
            i += 1  # a real word, even if no document uses it (กี่, บ้าง): nothing to fix
            continue
        fix = _best_fix(searcher, reader, norm, spans, i, visible)
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
    return suggestion if suggestion != norm and _finds(searcher, suggestion, visible) else None


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


def _best_fix(searcher, reader, norm, spans, i, visible):
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
        if len(word) < 3:
            continue
        maxdist = 1 if len(word) <= 6 else 2
        for dist in range(1, maxdist + 1):
            candidates = [
                c for c in reader.terms_within("content", word, dist) if c != word and len(c) > 1
            ]
            scored = []
            for c in candidates:
                hits = searcher.search(q.Term("content", c), filter=visible, limit=1)
                if not hits.is_empty():
                    scored.append((typo_cost(word, c), -searcher.doc_frequency("content", c), c))
            if scored:
                cand = min(scored)
                key = (cand[0], -(last - first), cand[1])
                if best is None or key < best[0]:
                    best = (key, (first, last, cand[2]))
                break
    return best[1] if best else None
