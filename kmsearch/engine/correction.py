"""When to show a correction's results at once instead of only offering "did you mean".

suggest() proposes a correction only for text typed with the keyboard in the wrong layout or
for words the index does not know, and only one that finds documents the searcher may see. Its
results replace what was typed when what was typed is weak: it finds nothing, or at least
half of its words are in no document this searcher may see (whatever it finds then comes from
the other words alone) -- unless the text around that word is in a document as typed (ประจันต inside
ประจันตคาม: not a typo, the substring fallback finds it), or an everyday term of the list
matched it (engine/synonyms.py). A query whose every word matches is
left alone, with the suggestion offered. The person can always search exactly what they typed
(SearchService.search(exact=True)).
"""

from __future__ import annotations

from kmsearch.engine import fallback, ranking
from kmsearch.engine import query as querymod


def unmatched_words(searcher, text: str, visible, allowed: set[int] | None = None) -> list[str]:
    """The words of text that no document visible to this searcher matches. allowed: the
    document numbers visible allows (None: every document); computed here when not given."""
    # Sets of document numbers (kmsearch.engine.ranking), not a Whoosh search per word: a
    # word's compound phrase is then checked by position only where its whole form is absent.
    if visible is not None and allowed is None:
        allowed = set(searcher.docs_for_query(visible))
    out = []
    for term, parts in querymod.parse(text).words:
        one = querymod.ParsedQuery(words=[(term, parts)])
        if not ranking.exists(searcher, querymod.build(one), allowed):
            out.append(term)
    return out


def is_weak(searcher, result, visible, flt=None, allowed: set[int] | None = None) -> bool:
    """True when result (of the typed query) deserves to be replaced by its correction.
    allowed: as for unmatched_words (SearchService passes its per-searcher set)."""
    if any(h.via_terms for h in result.hits):
        return False  # an everyday term of the list understood it (อีลาส -> e-LAAS): not a typo
    typed = result.searched or result.query
    missing = unmatched_words(searcher, typed, visible, allowed)
    words = querymod.parse(typed).words
    # Weak: nothing found, or at least half of the words find nothing. In a longer question a
    # word or two that no document has (ทุกคืน, เซ็น) are real words, not typos: the others
    # carry the search, and "correcting" them (ทุกคน, เป็น) would show the wrong question.
    if result.total and len(missing) * 2 < len(words):
        return False
    runs = [r for r in fallback.runs(typed) if any(w in r for w in missing)]
    if runs and all(fallback.holds(searcher, r, flt if flt is not None else visible) for r in runs):
        return False  # the text is there as typed, inside longer words
    return True
