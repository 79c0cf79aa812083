"""Ranking a query: Whoosh's BM25F scores, computed on whole arrays instead of matcher trees.

A citizen's question becomes a dozen word clauses (each a word in three fields, or the parts
of a compound standing together) and adjacency phrases. Whoosh evaluates such a tree with
one Python call per posting per clause and spent most of a search there (a 9-word question
over 3,600 matching documents: 0.4 s at 10,000 documents). Here the same tree is evaluated
on numpy arrays (kmsearch.engine.postings reads each word's postings once):

1. the *match set* (the total, the facet counts) is exact: a word clause is its postings; a
   phrase is checked by position only on documents that have all its words and that no
   cheaper clause beside it already matched (an adjacency reward never needs checking: its
   words are clauses of their own);
2. every matching document gets an *upper bound* of its score without reading positions
   (each phrase counted as matched where all its words are);
3. documents are scored *exactly* -- phrases checked by position -- in order of that bound,
   until the next bound cannot beat the last document of the page (see _best). The page is
   then exactly what scoring every match would give; only a bounded number of documents is
   scored exactly (CANDIDATES beyond the page), which matters only when thousands of
   near-identical documents tie.

The scores are Whoosh's own formulas (tests/test_ranking.py compares them with Whoosh's
matchers): BM25F with Whoosh's one-byte field lengths, the searcher's idf and average field
lengths (for a citizen, from public documents: audience_stats), boosts, a phrase scoring the
sum of its words, and the Or's coordination bonus (Whoosh's CoordMatcher formula). That bonus
counts every term of the query that the index holds, so a document's score depends on the
query and that document alone (Whoosh's collector dropped clauses that had run dry, which made
top-10 and full searches disagree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from whoosh import query as q
from whoosh.scoring import BM25F

from kmsearch.engine import postings
from kmsearch.engine.query import Adjacency

_NO_DOCS = np.zeros(0, dtype=np.int64)
_NO_FLAGS = np.zeros(0, dtype=bool)

CANDIDATES = 40  # documents scored exactly beyond the page asked for, at most


@dataclass
class Ranked:
    """What a search shows: the ordered page, the total and the facet counts."""

    total: int
    page: list[tuple[int, float]]  # (docnum, score) of the documents of the page, in order
    pagenum: int
    pagecount: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass
class _Scored:
    """A query node evaluated on every document."""

    match: np.ndarray  # bool: the node matches the document
    score: np.ndarray  # float64: its score there (0.0 elsewhere)
    hits: np.ndarray  # int: term leaves of the node that match there (for coordination)
    terms: int  # term leaves of the node that the index holds


class _Ranking:
    """One ranking call: the searcher's statistics, the shared arrays and this call's caches."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.data = postings.for_reader(self.reader)
        self.size = self.data.doccount
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F):
            raise TypeError(f"ranking computes BM25F scores, not {type(weighting).__name__}")
        self.weighting = weighting
        self._terms: dict[tuple[str, str], tuple[np.ndarray, np.ndarray] | None] = {}
        self._search = object()  # this search, for postings.position_keys
        # per phrase: the documents checked so far (sorted) and whether each holds it
        self._phrases: dict[tuple[str, tuple[str, ...]], tuple[np.ndarray, np.ndarray]] = {}
        self._domain_terms: dict[tuple, tuple[np.ndarray, np.ndarray] | None] = {}
        self._domains: list[np.ndarray] = []

    # --- terms ---------------------------------------------------------------------------
    def _btext(self, fieldname: str, text) -> bytes | None:
        """The term as the index stores it, or None when the index does not hold it."""
        if fieldname not in self.schema:
            return None
        try:
            btext = self.schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return btext if (fieldname, btext) in self.reader else None

    def term(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray] | None:
        """(documents, BM25F scores) of a term, unboosted; None when the index lacks it."""
        key = (fieldname, text)
        if key not in self._terms:
            btext = self._btext(fieldname, text)
            if btext is None:
                self._terms[key] = None
            else:
                found = self.data.postings(self.reader, fieldname, btext)
                self._terms[key] = (found.ids, self._bm25(fieldname, btext, found.ids, found.weights))
        return self._terms[key]

    def _bm25(self, fieldname, btext, ids, tf) -> np.ndarray:
        if not self.schema[fieldname].scorable:
            return tf  # Whoosh's WeightScorer
        w = self.weighting
        B = w._field_B.get(fieldname, w.B)
        K1 = w.K1
        idf = self.searcher.idf(fieldname, btext)
        avgfl = self.searcher.avg_field_length(fieldname) or 1
        fl = self.data.lengths(self.reader, fieldname)[ids]
        # whoosh.scoring.bm25, operation for operation (the same float results)
        return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))

    # --- phrases -------------------------------------------------------------------------
    def phrase_docs(self, node: q.Phrase, docs: np.ndarray) -> np.ndarray:
        """Which of docs (document numbers holding all the phrase's words) have its words
        standing next to each other in order; positions are read for those only, and each
        document is checked once per search."""
        if not len(docs):
            return _NO_FLAGS
        self.check_phrases([node], np.unique(docs), held=True)  # those not checked yet
        known_docs, known = self._phrases[(node.fieldname, tuple(node.words))]
        return known[np.searchsorted(known_docs, docs)]

    def check_phrases(self, phrases, docs: np.ndarray, held: bool = False) -> None:
        """Check each of phrases on those of docs (sorted, distinct) that hold all its words
        (held: all of docs do), all together: the positions of a word are gathered once,
        as (document << 32 | position) keys, for every phrase using it; a phrase holds in a
        document where the keys of its i-th word, moved back i places, meet for every word.
        The answers are kept for the search (phrase_docs reads them)."""
        todo, wanted = [], {}
        for node in phrases:
            key = (node.fieldname, tuple(node.words))
            words = self._words(node)
            if words is None:
                continue
            if held:
                mine = docs
            else:
                flags = [self._on(node.fieldname, w, docs)[0] for w in node.words]
                mine = docs[np.logical_and.reduce(flags)]
            known_docs, _known = self._phrases.get(key, (_NO_DOCS, _NO_FLAGS))
            if len(known_docs):
                mine = mine[~_members(mine, known_docs)]
            if not len(mine):
                continue
            todo.append((key, mine))
            for word in set(node.words):
                wanted.setdefault((node.fieldname, word), []).append(mine)
        keys = {}
        for (fieldname, word), parts in wanted.items():
            need = parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))
            btext = self._btext(fieldname, word)
            keys[fieldname, word] = self.data.position_keys(self.reader, fieldname, btext, need, self._search)
        for (fieldname, words), mine in todo:
            common = None
            for i, word in enumerate(words):
                moved = keys[fieldname, word] + (len(words) - i)
                common = moved if common is None else np.intersect1d(common, moved, assume_unique=True)
                if not len(common):
                    break
            flags = _members(mine, common >> 32)  # the keys are in document order
            known_docs, known = self._phrases.get((fieldname, words), (_NO_DOCS, _NO_FLAGS))
            if not len(known_docs):
                self._phrases[fieldname, words] = (mine, flags)
                continue
            merged = np.concatenate((known_docs, mine))
            order = np.argsort(merged, kind="stable")
            self._phrases[fieldname, words] = (merged[order], np.concatenate((known, flags))[order])

    def _words(self, node: q.Phrase) -> list[tuple[np.ndarray, np.ndarray]] | None:
        if node.fieldname not in self.schema:
            return None
        found = [self.term(node.fieldname, w) for w in node.words]
        return None if any(f is None for f in found) else found

    def _all_words(self, words) -> np.ndarray:
        mask = np.ones(self.size, dtype=bool)
        for ids, _scores in words:
            held = np.zeros(self.size, dtype=bool)
            held[ids] = True
            mask &= held
        return mask

    # --- the match set -------------------------------------------------------------------
    def matches(self, node: q.Query, within: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
        """Documents of within that node matches, exactly, except that positions are not
        checked on known (documents an enclosing Or matches anyway)."""
        if isinstance(node, q.Term):
            found = self.term(node.fieldname, node.text)
            out = np.zeros(self.size, dtype=bool)
            if found is not None:
                out[found[0]] = True
            return out & within
        if isinstance(node, q.Phrase):
            words = self._words(node)
            if words is None:
                return np.zeros(self.size, dtype=bool)
            todo = self._all_words(words) & within
            if known is not None:
                todo &= ~known
            out = np.zeros(self.size, dtype=bool)
            docs = np.flatnonzero(todo)
            out[docs[self.phrase_docs(node, docs)]] = True
            return out
        if isinstance(node, q.Or):
            found = np.zeros(self.size, dtype=bool)
            # Word clauses first; a phrase beside them is then checked only where they
            # missed; an adjacency reward never (its words are clauses of this Or).
            children = [c for c in node.subqueries if not isinstance(c, Adjacency)]
            for child in sorted(children, key=_positional):
                found |= self.matches(child, within, found if known is None else (known | found))
            return found
        if isinstance(node, q.And):
            docs = within if known is None else within & ~known
            for child in sorted(node.subqueries, key=_positional):
                docs = self.matches(child, docs)
                if not docs.any():
                    break
            return docs
        if isinstance(node, q.AndMaybe):
            return self.matches(node.a, within, known)
        if node is q.NullQuery:
            return np.zeros(self.size, dtype=bool)
        out = np.zeros(self.size, dtype=bool)  # anything else: Whoosh's own evaluation
        out[list(node.docs(self.searcher))] = True
        return out & within

    def exists(self, node: q.Query, within: np.ndarray) -> bool:
        """Whether node matches a document of within; phrases are checked a few documents at
        a time, stopping at the first that has one (a suggestion asks this of every word)."""
        if isinstance(node, q.Phrase):
            words = self._words(node)
            if words is None:
                return False
            docs = np.flatnonzero(self._all_words(words) & within)
            for start in range(0, len(docs), 16):
                if self.phrase_docs(node, docs[start : start + 16]).any():
                    return True
            return False
        if isinstance(node, q.Or):
            children = [c for c in node.subqueries if not isinstance(c, Adjacency)]
            return any(self.exists(c, within) for c in sorted(children, key=_positional))
        if isinstance(node, q.AndMaybe):
            return self.exists(node.a, within)
        return bool(self.matches(node, within).any())

    # --- scores --------------------------------------------------------------------------
    def scored(self, node: q.Query, domain: np.ndarray, exact: bool) -> _Scored | None:
        """node evaluated on the documents of domain (sorted document numbers; the arrays
        of the result are aligned with it). Exact: phrases checked by position. Otherwise an
        upper bound of the exact score, computed without positions: every phrase counts as
        matched where all its words are (the same arithmetic, so never below the exact
        score: every term is non-negative and the coordination bonus grows with both the
        score and the terms matched). None: the node scores nothing."""
        if isinstance(node, q.Term):
            found = self._on(node.fieldname, node.text, domain)
            if found is None:
                return None
            match, score = found
            if node.boost != 1.0:
                score = score * node.boost
            return _Scored(match, score, match.astype(np.int32), 1)
        if isinstance(node, q.Phrase):
            return self._phrase(node, domain, exact)
        if isinstance(node, (q.Or, q.And)):
            subs = node.subqueries
            if not subs:
                return None
            if len(subs) == 1:  # Whoosh uses the child's matcher as it is (no boost, no bonus)
                return self.scored(subs[0], domain, exact)
            parts = [self.scored(s, domain, exact) for s in subs]
            if isinstance(node, q.And):
                if any(p is None for p in parts):
                    # An intersection with a missing term matches nothing; its other terms
                    # still count for an enclosing coordination bonus.
                    return self._nothing(len(domain), sum(p.terms for p in parts if p is not None))
                match = np.logical_and.reduce([p.match for p in parts])
            else:
                parts = [p for p in parts if p is not None]
                if not parts:
                    return None
                match = np.logical_or.reduce([p.match for p in parts])
            out = _combined(parts, match)
            if node.boost != 1.0:
                out.score *= node.boost
            if isinstance(node, q.Or) and node.scale and out.terms:
                out.score = np.where(match, _coordinated(out.score, out.hits, out.terms, node.scale), 0.0)
            return out
        if isinstance(node, q.AndMaybe):
            a, b = self.scored(node.a, domain, exact), self.scored(node.b, domain, exact)
            if a is None:
                return None
            if b is None:
                return a
            both = a.match & b.match
            return _Scored(a.match, a.score + np.where(both, b.score, 0.0),
                           a.hits + np.where(both, b.hits, 0), a.terms + b.terms)
        if node is q.NullQuery:
            return None
        raise TypeError(f"ranking cannot score a {type(node).__name__} query")

    def _on(self, fieldname: str, text, domain: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(holds, unboosted score) of a term for each document of domain; None: no such term."""
        key = (fieldname, text, id(domain))
        if key not in self._domain_terms:
            found = self.term(fieldname, text)
            if found is None:
                self._domain_terms[key] = None
            else:
                ids, scores = found
                if len(domain) == self.size:  # every document: scatter
                    match = np.zeros(self.size, dtype=bool)
                    score = np.zeros(self.size)
                    match[ids] = True
                    score[ids] = scores
                else:  # a few documents: look them up
                    at = np.minimum(np.searchsorted(ids, domain), max(len(ids) - 1, 0))
                    match = ids[at] == domain if len(ids) else np.zeros(len(domain), dtype=bool)
                    score = np.where(match, scores[at], 0.0) if len(ids) else np.zeros(len(domain))
                self._domain_terms[key] = (match, score)
            self._domains.append(domain)  # keeps id(domain) from being reused in this call
        return self._domain_terms[key]

    def _phrase(self, node: q.Phrase, domain: np.ndarray, exact: bool) -> _Scored | None:
        if node.fieldname not in self.schema:
            return None
        words = [self._on(node.fieldname, w, domain) for w in node.words]
        if any(w is None for w in words):
            return None  # Whoosh's phrase matcher: a missing word matches nothing
        match = np.logical_and.reduce([held for held, _s in words])
        if exact:
            todo = np.flatnonzero(match)
            match = np.zeros(len(domain), dtype=bool)
            match[todo[self.phrase_docs(node, domain[todo])]] = True
        score = _tree_sum([s for _held, s in words])
        score = np.where(match, score * node.boost if node.boost != 1.0 else score, 0.0)
        return _Scored(match, score, np.where(match, len(words), 0).astype(np.int32), len(words))

    def _nothing(self, size: int, terms: int) -> _Scored:
        return _Scored(np.zeros(size, dtype=bool), np.zeros(size), np.zeros(size, dtype=np.int32), terms)


def _members(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    """Whether each of values is in sorted_array (np.isin, for small arrays a few times
    cheaper: isin sorts both)."""
    if not len(sorted_array):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_array, values), len(sorted_array) - 1)
    return sorted_array[at] == values


def _positional(node: q.Query) -> bool:
    return isinstance(node, q.Phrase) or any(isinstance(n, q.Phrase) for n in node.leaves())


def _tree_sum(arrays: list[np.ndarray]) -> np.ndarray:
    """Sum in the order of Whoosh's binary matcher tree (make_binary_tree), so equal
    documents get bit-equal scores either way."""
    if len(arrays) == 1:
        return arrays[0]
    half = len(arrays) // 2
    return _tree_sum(arrays[:half]) + _tree_sum(arrays[half:])


def _combined(parts: list[_Scored], match: np.ndarray) -> _Scored:
    score = np.zeros(len(match))
    hits = np.zeros(len(match), dtype=np.int32)
    for p in parts:
        score += p.score
        hits += p.hits
    return _Scored(match, np.where(match, score, 0.0), np.where(match, hits, 0), sum(p.terms for p in parts))


def _coordinated(score: np.ndarray, hits: np.ndarray, terms: int, scale: float) -> np.ndarray:
    """Whoosh's CoordMatcher bonus ("SQR"): more of the query's terms, higher."""
    if terms == scale:
        return np.zeros(len(score))
    return (score + ((hits - 1) / (terms - scale) ** 2)) * ((terms - 1) / terms)


def _within(ranking: _Ranking, allowed: set[int] | None) -> np.ndarray:
    return ranking.data.live if allowed is None else ranking.data.mask_of(allowed)


# --- the public functions -----------------------------------------------------------------


def exists(searcher, node: q.Query, within: set[int] | None) -> bool:
    """Whether node matches any document of within (all, when None)."""
    ranking = _Ranking(searcher)
    return ranking.exists(node, _within(ranking, within))


def exact_scores(searcher, node: q.Query, docnums: list[int]) -> dict[int, float]:
    """The exact score of each of docnums that node matches."""
    ranking = _Ranking(searcher)
    domain = np.array(sorted(docnums), dtype=np.int64)
    scored = ranking.scored(node, domain, exact=True)
    if scored is None:
        return {}
    return dict(zip(domain[scored.match].tolist(), scored.score[scored.match].tolist(), strict=True))


def rank(searcher, query: q.Query, allowed: set[int] | None, page: int, pagelen: int,
         facets: tuple[str, ...] = ()) -> Ranked:
    """Page `page` (1-based; past the end: the last page) of query's matches within allowed."""
    ranking = _Ranking(searcher)
    matched = ranking.matches(query, _within(ranking, allowed))
    docs = np.flatnonzero(matched)
    total = len(docs)
    pagecount = (total + pagelen - 1) // pagelen
    pagenum = min(max(1, page), max(1, pagecount))
    counts = facet_counts(ranking, matched, facets)
    if not total:
        return Ranked(0, [], pagenum, pagecount, counts)
    wanted = pagenum * pagelen
    best = _best(ranking, query, docs, wanted)
    return Ranked(total, best[wanted - pagelen : wanted], pagenum, pagecount, counts)


def _best(ranking: _Ranking, query: q.Query, docs: np.ndarray, wanted: int) -> list[tuple[int, float]]:
    """The `wanted` best of docs (the match set) by exact score, then document number.

    Every document gets an upper bound of its score without reading positions; documents are
    scored exactly in order of that bound, in two batches at most, until the next bound
    cannot beat the wanted-th exact score -- the page is then exactly what scoring every
    match would give. At most wanted + CANDIDATES documents are scored exactly: past that
    (thousands of near-equal documents) the best of those is shown.
    """
    upper = ranking.scored(query, docs, exact=False)
    phrases = list({(n.fieldname, tuple(n.words)): n for n in query.leaves() if isinstance(n, q.Phrase)}.values())
    bound = upper.score if upper is not None else np.zeros(len(docs))
    order = np.lexsort((docs, -bound))
    limit = min(len(docs), wanted + CANDIDATES)
    pool: list[tuple[float, int]] = []  # (-score, docnum) of the documents scored exactly
    done, batch = 0, max(wanted, 16)
    while done < limit:
        if len(pool) >= wanted:
            kth_score, kth_doc = -pool[wanted - 1][0], pool[wanted - 1][1]
            nxt = order[done]
            if bound[nxt] < kth_score or (bound[nxt] == kth_score and docs[nxt] > kth_doc):
                break
        take = order[done : min(done + batch, limit)]
        domain = np.sort(docs[take])
        ranking.check_phrases(phrases, domain)  # every phrase of the batch at once
        exact = ranking.scored(query, domain, exact=True)
        pool += zip((-exact.score[exact.match]).tolist(), domain[exact.match].tolist(), strict=True)
        pool.sort()
        done += len(take)
        # The rest at once: a batch costs about the same for 16 documents as for 64 (the
        # work is per phrase and word, more than per document), so no third, small batch.
        batch = limit - done
    return [(doc, -negative) for negative, doc in pool[:wanted]]


def facet_counts(ranking: _Ranking, matched: np.ndarray, names: tuple[str, ...]) -> dict[str, list[tuple[str, int]]]:
    """Documents per value of each facet field among matched, from the fields' columns
    (sortable fields): a comma-separated field counts each value."""
    out: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        docs, codes, values = ranking.data.column(ranking.reader, name)
        counts = np.bincount(codes[matched[docs]], minlength=len(values))
        out[name] = sorted(
            ((values[i], int(c)) for i, c in enumerate(counts.tolist()) if c),
            key=lambda kv: (-kv[1], kv[0]),
        )
    return out
