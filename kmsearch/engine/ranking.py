"""Running a query in two stages, so its cost follows the page shown, not the documents matched.

A question becomes a dozen word clauses and several adjacency phrases. Whoosh evaluates every
clause on every matching document, and phrase (span) matching dominated: 1,600 matching
documents cost a second at 2,000 documents. Here

1. the *match set* (for the total and the facet counts) is computed with sets of document
   numbers: a word clause is its postings; a phrase is checked by position only on documents
   that have all its words and are not already matched by a cheaper clause beside it (an
   adjacency reward never needs checking: its words are clauses of their own);
2. *candidates* are the top CANDIDATES of the relaxed query (every phrase read as "all these
   words"), collected by Whoosh's top-N collector within the match set;
3. the exact query -- phrases and all, Whoosh's own scoring -- is evaluated only on those
   candidates (phrase matchers are confined to them), and they are ordered by that score.

So each shown document has exactly the score the whole query gives it. What can differ from
evaluating everything is only which documents reach stage 3: a document outside the top
CANDIDATES of the relaxed query that the adjacency rewards would have lifted onto the page.
benchmarks/bench_scale.py counts how often the first page differs from the exhaustive order.

Scores are Whoosh's (BM25F, field boosts, the Or's coordination bonus) with one deliberate
difference: Whoosh's collector drops sub-matchers that have run dry, so its coordination bonus
counted only the phrases that occur somewhere in the index -- in documents the searcher cannot
see, too, and differently for a top-10 and a full search. Here every term of the query that
the index holds counts, so a document's score depends on the query and that document alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from whoosh import query as q
from whoosh.matching import IntersectionMatcher, ListMatcher, NullMatcher
from whoosh.query.spans import SpanNear2, SpanWrappingMatcher
from whoosh.util import make_binary_tree

from kmsearch.engine.query import Adjacency

CANDIDATES = 100  # documents scored exactly beyond the page asked for


@dataclass
class Ranked:
    """What a search shows: the ordered page, the total and the facet counts."""

    total: int
    page: list[tuple[int, float]]  # (docnum, score) of the documents of the page, in order
    pagenum: int
    pagecount: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


# --- sets of documents ------------------------------------------------------------------


def _term_docs(searcher, fieldname: str, text: str) -> set[int]:
    reader = searcher.reader()
    # An index written before a field existed answers as Whoosh does: nothing there.
    if fieldname not in searcher.schema or (fieldname, text) not in reader:
        return set()
    return set(reader.postings(fieldname, text).all_ids())


def _positional(node: q.Query) -> bool:
    return isinstance(node, q.Phrase) or any(isinstance(n, q.Phrase) for n in node.leaves())


def matching(
    searcher, node: q.Query, within: set[int] | None, known: frozenset[int] | set[int] = frozenset()
) -> set[int]:
    """Document numbers of within (all, when None) that node matches.

    known: documents an enclosing Or matches anyway; positions are not checked there (the
    result may then leave them out). The top call passes none, so its result is exact.
    """
    if isinstance(node, q.Term):
        docs = _term_docs(searcher, node.fieldname, node.text)
        return docs if within is None else docs & within
    if isinstance(node, q.Phrase):
        return _phrase_docs(searcher, node, within, known)
    if isinstance(node, q.Or):
        found: set[int] = set()
        # Word clauses first; a phrase beside them is then checked only where they missed;
        # an adjacency reward never (its words are clauses of this Or).
        children = [c for c in node.subqueries if not isinstance(c, Adjacency)]
        for child in sorted(children, key=_positional):
            found |= matching(searcher, child, within, (known | found) if known else found)
        return found
    if isinstance(node, q.And):
        docs = within
        for i, child in enumerate(sorted(node.subqueries, key=_positional)):
            docs = matching(searcher, child, docs)
            if i == 0 and known:
                docs = docs - known
            if not docs:
                return set()
        return set() if docs is None else docs
    if isinstance(node, q.AndMaybe):
        return matching(searcher, node.a, within, known)
    docs = set(node.docs(searcher))  # anything else: Whoosh's own boolean evaluation
    return docs if within is None else docs & within


def _adjacency(node: q.Query) -> list[Adjacency]:
    if isinstance(node, Adjacency):
        return [node]
    return [a for child in node.children() for a in _adjacency(child)]


def _phrase_docs(searcher, node: q.Phrase, within: set[int] | None, known) -> set[int]:
    """Documents of within (but known) where the phrase occurs, checked by position."""
    if node.fieldname not in searcher.schema:
        return set()
    docs = within
    for word in sorted(node.words, key=lambda w: searcher.doc_frequency(node.fieldname, w)):
        found = _term_docs(searcher, node.fieldname, word)
        docs = found if docs is None else docs & found
        if not docs:
            return set()
    docs = docs - known if known else docs
    if not docs:
        return set()
    return set(_scores(searcher, node, sorted(docs)))


# --- exact scores on a few documents -----------------------------------------------------


class _Within(q.Phrase):
    """A phrase whose matcher only looks at the given documents (sorted, global numbers)."""

    def __init__(self, phrase: q.Phrase, docnums: list[int]):
        super().__init__(phrase.fieldname, phrase.words, slop=phrase.slop, boost=phrase.boost)
        self.docnums = docnums

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        if any((self.fieldname, w) not in reader for w in self.words):
            return NullMatcher()  # as Phrase does: a missing word matches nothing
        offset = _offset(searcher)
        local = [d - offset for d in self.docnums if 0 <= d - offset < reader.doc_count_all()]
        if not local:
            return NullMatcher()
        ms = [q.Term(self.fieldname, w).matcher(searcher, context) for w in self.words]
        m = _ConfinedSpans(ms, local)
        if self.boost != 1.0:
            from whoosh.matching import WrappingMatcher

            m = WrappingMatcher(m, boost=self.boost)
        return m


class _Listed(ListMatcher):
    """A list of documents that adds nothing to a score (ListMatcher scores 1.0 when not
    given weights, and takes a weight of 0.0 for none)."""

    def weight(self):
        return 0.0

    def score(self):
        return 0.0

    def block_quality(self):
        return 0.0

    def max_quality(self):
        return 0.0


class _ConfinedSpans(SpanNear2.SpanNear2Matcher):
    """Whoosh's phrase matcher with a list of documents in its intersection: it checks
    positions only on those (a list matcher adds no score and no term)."""

    def __init__(self, ms, docnums):
        self.ms = ms
        self.slop, self.ordered, self.mindist = 1, True, 1
        self.docnums = docnums
        isect = make_binary_tree(IntersectionMatcher, [_Listed(docnums), *ms])
        SpanWrappingMatcher.__init__(self, isect)

    def copy(self):
        return self.__class__([m.copy() for m in self.ms], self.docnums)


def _offset(searcher) -> int:
    parent = searcher.get_parent()
    if parent is searcher:
        return 0
    for sub, offset in parent.leaf_searchers():
        if sub is searcher:
            return offset
    return 0


def map_phrases(node: q.Query, fn) -> q.Query:
    """A copy of node with fn applied to each phrase. Unlike Query.accept, keeps the
    coordination scale of an Or (accept rebuilds an Or from its subqueries and boost only)."""
    if isinstance(node, q.Phrase):
        return fn(node)
    if isinstance(node, q.Or):
        subs = [m for m in (map_phrases(c, fn) for c in node.subqueries) if m is not q.NullQuery]
        return q.Or(subs, boost=node.boost, minmatch=node.minmatch, scale=node.scale)
    if isinstance(node, q.And):
        return q.And([map_phrases(c, fn) for c in node.subqueries], boost=node.boost)
    if isinstance(node, q.AndMaybe):
        copy = q.AndMaybe(map_phrases(node.a, fn), map_phrases(node.b, fn))
        copy.boost = node.boost
        return copy
    return node.apply(lambda child: map_phrases(child, fn))


def _confine(node: q.Query, docnums: list[int]) -> q.Query:
    return map_phrases(node, lambda n: n if isinstance(n, _Within) else _Within(n, docnums))


def _scores(searcher, node: q.Query, docnums: list[int]) -> dict[int, float]:
    """The score node gives each of docnums (sorted) that it matches, as Whoosh scores it."""
    confined = _confine(node, docnums)
    context = searcher.context(needs_current=True)
    out: dict[int, float] = {}
    for sub, offset in searcher.leaf_searchers():
        m = confined.matcher(sub, context)
        size = sub.doc_count_all()
        for docnum in docnums:
            local = docnum - offset
            if local < 0 or local >= size:
                continue
            if not m.is_active():
                break
            if m.id() < local:
                m.skip_to(local)
                if not m.is_active():
                    break
            if m.id() == local:
                out[docnum] = m.score()
    return out


def relaxed(node: q.Query) -> q.Query:
    """node for the first stage: every phrase read as all its words (a superset, no
    positions), adjacency rewards left out (scored on the candidates only)."""

    def fn(n):
        if isinstance(n, Adjacency):
            return q.NullQuery
        return q.And([q.Term(n.fieldname, w) for w in n.words], boost=n.boost)

    return map_phrases(node, fn)


# --- the search ----------------------------------------------------------------------------


def rank(searcher, query: q.Query, allowed: set[int] | None, page: int, pagelen: int,
         facets: tuple[str, ...] = ()) -> Ranked:
    """Page `page` (1-based; past the end: the last page) of query's matches within allowed."""
    matched = matching(searcher, query, allowed)
    total = len(matched)
    pagecount = (total + pagelen - 1) // pagelen
    pagenum = min(max(1, page), max(1, pagecount))
    counts = facet_counts(searcher, matched, facets)
    if not matched:
        return Ranked(0, [], pagenum, pagecount, counts)
    wanted = pagenum * pagelen
    first = searcher.search(relaxed(query), filter=matched, limit=wanted + CANDIDATES)
    candidates = {hit.docnum for hit in first}
    # Documents holding a whole query of several words as typed (the largest reward) are
    # few, and found by position among those holding all its words: always candidates.
    for node in _adjacency(query):
        if len(node.words) > 2:
            candidates |= _phrase_docs(searcher, node, matched, candidates)
    candidates = sorted(candidates)
    exact = _scores(searcher, query, candidates)
    ordered = sorted(exact.items(), key=lambda kv: (-kv[1], kv[0]))
    return Ranked(total, ordered[wanted - pagelen : wanted], pagenum, pagecount, counts)


def facet_counts(searcher, docnums: set[int], names: tuple[str, ...]) -> dict[str, list[tuple[str, int]]]:
    """Documents per value of each facet field, read from the fields' columns (sortable
    fields): no grouping of Whoosh results. A comma-separated field counts each value."""
    reader = searcher.reader()
    out: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        counter: Counter[str] = Counter()
        column = reader.column_reader(name)
        for docnum in docnums:
            value = column[docnum]
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            for v in (value.split(",") if "," in value else (value,)):
                if v:
                    counter[v] += 1
        out[name] = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return out
