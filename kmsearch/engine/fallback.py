"""No empty page where the text exists: find documents by a substring of their Thai text.

Word search misses a word that a document holds only inside a longer run the dictionary cuts
at another boundary (the query's ขยะ is never a token of a text cut as ...|ข|ยะ...). Every
document therefore also carries the set of its character trigrams (field ``grams``: Thai runs
of the normalised text, each trigram once, no positions). When word search finds nothing or
little, the query's Thai runs and words of three or more characters are looked up as
substrings: documents holding all of a substring's trigrams are candidates, and a candidate
counts only if its stored text really contains the substring (trigrams do not keep order).

Such results rank below every word match and carry ``fallback=True``. They are searched with
the same filter as the word search, so an audience never sees more through this path.
"""

from __future__ import annotations

import re

from whoosh import query as q
from whoosh.analysis import Analyzer, Token

from kmsearch.engine import query as querymod
from kmsearch.engine.analysis import emit
from kmsearch.engine.thai import normalize

FIELD = "grams"
N = 3
FEW = 3  # word search "finds little" below this many documents
MAX_CANDIDATES = 200  # per substring, verified against the stored text
_THAI_RUN = re.compile(r"[\u0e01-\u0e3a\u0e40-\u0e4e]+")


def grams(text: str) -> set[str]:
    """The distinct character trigrams of the Thai runs of normalised text."""
    out: set[str] = set()
    for run in _THAI_RUN.findall(text):
        out.update(run[i : i + N] for i in range(len(run) - N + 1))
    return out


class ThaiGramAnalyzer(Analyzer):
    """Whoosh analyzer of the grams field (pickled into the index: keep it stateless)."""

    def __eq__(self, other):
        return isinstance(other, ThaiGramAnalyzer)

    def __hash__(self):
        return hash(ThaiGramAnalyzer)

    def distinct_terms(self, value: str) -> set[str]:
        """The terms __call__ yields, each once: the index writer's fast path
        (kmsearch/indexer/segment_writer.py) indexes them without a Token each."""
        return grams(normalize(value))

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        terms = ((gram, n, None, None) for n, gram in enumerate(sorted(grams(normalize(value)))))
        yield from emit(token, terms, positions=positions, chars=False, keeporiginal=keeporiginal,
                        start_pos=start_pos)


def available(searcher) -> bool:
    """An index written before the grams field existed has no fallback until it is rebuilt."""
    return FIELD in searcher.schema.names()


def runs(text: str) -> list[str]:
    """The Thai runs of normalised text long enough to look up (N characters or more)."""
    return [r for r in _THAI_RUN.findall(normalize(text)) if len(r) >= N]


def holds(searcher, sub: str, flt: q.Query | None) -> bool:
    """Whether a document passing flt contains sub as typed."""
    if len(sub) < N or not available(searcher):
        return False
    wanted = q.And([q.Term(FIELD, g) for g in sorted(grams(sub))])
    for hit in searcher.search(wanted, filter=flt, limit=MAX_CANDIDATES):
        if sub in hit.get("title", "") or sub in hit.get("content", ""):
            return True
    return False


MAX_SUBSTRINGS = 8  # looked up per search: part of the work budget (query.MAX_QUERY_CHARS)


def substrings(text: str) -> list[str]:
    """What to look for: the query's Thai runs and its content words, 3 characters or more
    (at most MAX_SUBSTRINGS, runs first: a long text of short runs would otherwise cost a
    trigram search and up to MAX_CANDIDATES stored documents per run)."""
    text = text[: querymod.MAX_QUERY_CHARS]
    parsed = querymod.parse(text)
    found = runs(text)
    found += [t for t, _parts in parsed.words if len(t) >= N and _THAI_RUN.fullmatch(t)]
    return list(dict.fromkeys(found))[:MAX_SUBSTRINGS]


def search(searcher, subs: list[str], allowed: set[int] | None, exclude: set[str], limit: int) -> list[tuple[dict, float]]:
    """(stored fields, score) of documents holding one of subs (substrings(text)), best first.

    allowed: the document numbers the search may show (None: all), as for word search. A
    document scores by the substrings it holds, a longer substring more (the whole run typed
    beats one of its words), and a little by how often; exclude holds doc_ids already shown.
    """
    from kmsearch.engine import ranking

    if limit <= 0 or not available(searcher):
        return []
    scores: dict[int, float] = {}
    for sub in subs:
        wanted = q.And([q.Term(FIELD, g) for g in sorted(grams(sub))])
        # Candidates by the arrays of the ranking (BM25 of the trigrams), not Whoosh's
        # collector: its matchers cost ~0.3 s per search at 10,000 documents.
        for docnum, _score in ranking.rank(searcher, wanted, allowed, 1, MAX_CANDIDATES).page:
            fields = searcher.stored_fields(docnum)
            if fields["doc_id"] in exclude:
                continue
            body = fields.get("title", "") + "\n" + fields.get("content", "")
            count = body.count(sub)
            if count:
                scores[docnum] = scores.get(docnum, 0.0) + len(sub) * (1 + min(count, 10) / 10)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
    return [(searcher.stored_fields(docnum), score) for docnum, score in ranked]
