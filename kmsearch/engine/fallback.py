"""No empty page where the text exists: find documents by a substring of their Thai text.

Word search misses a word that a document holds only inside a longer run the dictionary cuts
at another boundary (the query's ขยะ is never a token of a text cut as ...|ข|ยะ...). Every
document therefore also carries its Thai runs (field ``runs``: each maximal run of Thai
letters of the normalised title and text, three characters or more, as one term with its
count). A Thai substring of the text lies inside one of those runs, so when word search finds
nothing or little, the query's Thai runs and words of three or more characters are looked up
in the vocabulary of runs, held in memory once per index generation (a search for the
substring in one string of every run): the documents holding a matching run are exactly
those holding the substring, and how often follows from the runs' counts. The page's
documents are still checked against their stored text.

One term per distinct run is a tenth of the postings the trigrams before it cost (960 text
files: 132 k instead of 1.41 M, three quarters of all the index's postings). An index written
with those trigrams (field ``grams``) is searched the old way until the next index run
rebuilds it (indexer/run.py writes a fresh generation when the live one lacks a field).

Such results rank below every word match and carry ``fallback=True``. They are searched with
the same filter as the word search, so an audience never sees more through this path.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from typing import TYPE_CHECKING

from whoosh import query as q
from whoosh.analysis import Analyzer, Token

from kmsearch.engine import query as querymod
from kmsearch.engine import shared
from kmsearch.engine.analysis import emit
from kmsearch.engine.thai import normalize, normalize_remembered

if TYPE_CHECKING:
    import numpy as np

FIELD = "runs"
OLD_FIELD = "grams"  # character trigrams, in indexes written before the runs field
N = 3
FEW = 3  # word search "finds little" below this many documents
MAX_CANDIDATES = 200  # per substring, verified against the stored text
# Runs of the vocabulary containing one substring whose postings are read: part of the work
# budget (a three-letter piece of a common word is inside thousands of runs).
MAX_RUNS = 2_000
_THAI_RUN = re.compile(r"[\u0e01-\u0e3a\u0e40-\u0e4e]+")
# The same runs, only those of N letters or more: a shorter run fails at each of its letters,
# so a match starts only where a whole run does.
_LONG_THAI_RUN = re.compile(rf"[\u0e01-\u0e3a\u0e40-\u0e4e]{{{N},}}")


def thai_runs(text: str) -> Counter[str]:
    """The Thai runs of normalised text, N characters or more, with how often each occurs."""
    return Counter(_LONG_THAI_RUN.findall(text))


class ThaiRunAnalyzer(Analyzer):
    """Whoosh analyzer of the runs field: one token per occurrence of each Thai run (so
    Whoosh's Frequency format stores its count). Pickled into the index: keep it stateless."""

    def __eq__(self, other):
        return isinstance(other, ThaiRunAnalyzer)

    def __hash__(self):
        return hash(ThaiRunAnalyzer)

    def term_counts(self, value: str) -> dict[str, int]:
        """Each term __call__ yields and how many times: the index writer's fast path
        (kmsearch/indexer/segment_writer.py) indexes them without a Token each."""
        # The value is the title, a line break and the text, which term_positions has just
        # normalised for the content field: normalised apart, then joined, it is the same.
        title, newline, text = value.partition("\n")
        return thai_runs(normalize(title) + newline + normalize_remembered(text))

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        found = (r for r in _THAI_RUN.findall(normalize(value)) if len(r) >= N)
        terms = ((run, n, None, None) for n, run in enumerate(found))
        yield from emit(token, terms, positions=positions, chars=False, keeporiginal=keeporiginal,
                        start_pos=start_pos)


def grams(text: str) -> set[str]:
    """The distinct character trigrams of the Thai runs of normalised text (the old field)."""
    out: set[str] = set()
    for run in _THAI_RUN.findall(text):
        out.update(run[i : i + N] for i in range(len(run) - N + 1))
    return out


class ThaiGramAnalyzer(Analyzer):
    """Whoosh analyzer of the old grams field. No longer in the schema, but the schema pickled
    into an index written before names it: unpickling needs it here, unchanged."""

    def __eq__(self, other):
        return isinstance(other, ThaiGramAnalyzer)

    def __hash__(self):
        return hash(ThaiGramAnalyzer)

    def distinct_terms(self, value: str) -> set[str]:
        """The terms __call__ yields, each once (the index writer's fast path)."""
        return grams(normalize(value))

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        terms = ((gram, n, None, None) for n, gram in enumerate(sorted(grams(normalize(value)))))
        yield from emit(token, terms, positions=positions, chars=False, keeporiginal=keeporiginal,
                        start_pos=start_pos)


def available(searcher) -> bool:
    """An index written before either field existed has no fallback until it is rebuilt."""
    names = searcher.schema.names()
    return FIELD in names or OLD_FIELD in names


def runs(text: str) -> list[str]:
    """The Thai runs of normalised text long enough to look up (N characters or more)."""
    return [r for r in _THAI_RUN.findall(normalize(text)) if len(r) >= N]


class Vocabulary:
    """Every term of the runs field, in one string, to find the runs containing a substring
    with str.find (a C loop) instead of a Python loop over the terms."""

    def __init__(self, terms: list[str]):
        self.terms = terms
        self.text = "\n".join(terms)  # no run holds "\n", so no match crosses two runs
        self.starts = []
        at = 0
        for term in terms:
            self.starts.append(at)
            at += len(term) + 1

    def containing(self, sub: str, limit: int = MAX_RUNS) -> list[str]:
        """The runs that contain sub (at most limit of them, in the vocabulary's order)."""
        out: list[str] = []
        text, starts, terms = self.text, self.starts, self.terms
        at = text.find(sub)
        while at >= 0 and len(out) < limit:
            k = bisect_right(starts, at) - 1
            out.append(terms[k])
            at = text.find(sub, starts[k] + len(terms[k]) + 1)  # on from the next run
        return out


# The vocabulary of the live index and, during a swap, of the one before (engine/shared.py).
_VOCABULARIES = shared.PerGeneration(per_generation=1, generations=2)


def vocabulary(searcher) -> Vocabulary:
    """The runs vocabulary of what searcher reads, built on the first fallback search of an
    index generation and shared by every thread (9,150 runs at 2,000 documents)."""
    from kmsearch.engine import postings  # numpy: imported by searches, not by the schema

    reader = searcher.reader()
    return _VOCABULARIES.get(
        postings._generation_key(reader), FIELD,
        lambda: Vocabulary([t.decode("utf-8") for t in reader.lexicon(FIELD)]),
    )


def _counts(searcher, sub: str) -> np.ndarray:
    """How many times each document (by number) holds sub, from the runs' postings."""
    import numpy as np

    from kmsearch.engine import postings

    reader = searcher.reader()
    data = postings.for_reader(reader)
    counts = np.zeros(data.doccount, dtype=np.float64)
    for run in vocabulary(searcher).containing(sub):
        found = data.postings(reader, FIELD, run.encode("utf-8"))
        # weight = the run's count in the document (no field or document boosts here)
        counts[found.ids] += found.weights * run.count(sub)
    return counts


def _body(fields: dict) -> str:
    return fields.get("title", "") + "\n" + fields.get("content", "")


def holds(searcher, sub: str, flt: q.Query | None) -> bool:
    """Whether a document passing flt contains sub as typed."""
    if len(sub) < N or not available(searcher):
        return False
    if FIELD not in searcher.schema.names():
        return _holds_by_grams(searcher, sub, flt)
    import numpy as np

    docs = np.flatnonzero(_counts(searcher, sub))
    if not len(docs):
        return False
    allowed = set(searcher.docs_for_query(flt)) if flt is not None else None
    docs = [int(d) for d in docs if allowed is None or int(d) in allowed][:MAX_CANDIDATES]
    return any(sub in _body(searcher.stored_fields(d)) for d in docs)


def _holds_by_grams(searcher, sub: str, flt: q.Query | None) -> bool:
    wanted = q.And([q.Term(OLD_FIELD, g) for g in sorted(grams(sub))])
    for hit in searcher.search(wanted, filter=flt, limit=MAX_CANDIDATES):
        if sub in hit.get("title", "") or sub in hit.get("content", ""):
            return True
    return False


MAX_SUBSTRINGS = 8  # looked up per search: part of the work budget (query.MAX_QUERY_CHARS)


def substrings(text: str) -> list[str]:
    """What to look for: the query's Thai runs and its content words, 3 characters or more
    (at most MAX_SUBSTRINGS, runs first: a long text of short runs would otherwise cost a
    vocabulary scan and up to MAX_RUNS posting lists per run)."""
    text = text[: querymod.MAX_QUERY_CHARS]
    parsed = querymod.parse(text)
    found = runs(text)
    found += [t for t, _parts in parsed.words if len(t) >= N and _THAI_RUN.fullmatch(t)]
    return list(dict.fromkeys(found))[:MAX_SUBSTRINGS]


def _score(sub: str, count) -> float:
    """A document's score for one substring: a longer substring more (the whole run typed
    beats one of its words), and a little by how often."""
    import numpy as np

    return len(sub) * (1 + np.minimum(count, 10) / 10)


def search(searcher, subs: list[str], allowed: set[int] | None, exclude: set[str], limit: int) -> list[tuple[dict, float]]:
    """(stored fields, score) of documents holding one of subs (substrings(text)), best first.

    allowed: the document numbers the search may show (None: all), as for word search. A
    document scores by the substrings it holds (_score); exclude holds doc_ids already shown.
    """
    if limit <= 0 or not available(searcher):
        return []
    if FIELD not in searcher.schema.names():
        return _search_by_grams(searcher, subs, allowed, exclude, limit)
    import numpy as np

    from kmsearch.engine import postings

    reader = searcher.reader()
    scores = np.zeros(reader.doc_count_all(), dtype=np.float64)
    for sub in subs:
        counts = _counts(searcher, sub)
        scores += np.where(counts > 0, _score(sub, counts), 0.0)
    if allowed is not None:
        scores[~postings.for_reader(reader).mask_of(allowed)] = 0.0
    for doc_id in exclude:
        for docnum in searcher.document_numbers(doc_id=doc_id):
            scores[docnum] = 0.0
    found = np.flatnonzero(scores)
    # Best first; among equal scores the shorter document (in runs) first, where the
    # substring is more of what it is about (the trigrams' BM25 candidate order did the same).
    lengths = postings.for_reader(reader).lengths(reader, FIELD)
    order = found[np.lexsort((found, lengths[found], -scores[found]))]
    out: list[tuple[dict, float]] = []
    for docnum in order[:MAX_CANDIDATES]:
        # The stored text has the last word (the runs are taken from the same text).
        fields = searcher.stored_fields(int(docnum))
        body = _body(fields)
        score = sum(float(_score(sub, body.count(sub))) for sub in subs if sub in body)
        if score:
            out.append((fields, score))
            if len(out) == limit:
                break
    out.sort(key=lambda fs: -fs[1])
    return out


def _search_by_grams(searcher, subs, allowed, exclude, limit) -> list[tuple[dict, float]]:
    """search() on an index written with the trigram field (before the runs field)."""
    from kmsearch.engine import ranking

    scores: dict[int, float] = {}
    for sub in subs:
        wanted = q.And([q.Term(OLD_FIELD, g) for g in sorted(grams(sub))])
        # Candidates by the arrays of the ranking (BM25 of the trigrams), not Whoosh's
        # collector: its matchers cost ~0.3 s per search at 10,000 documents.
        for docnum, _bm25 in ranking.rank(searcher, wanted, allowed, 1, MAX_CANDIDATES).page:
            fields = searcher.stored_fields(docnum)
            if fields["doc_id"] in exclude:
                continue
            count = _body(fields).count(sub)
            if count:
                scores[docnum] = scores.get(docnum, 0.0) + float(_score(sub, count))
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
    return [(searcher.stored_fields(docnum), score) for docnum, score in ranked]
