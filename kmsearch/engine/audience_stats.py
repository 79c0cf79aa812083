"""Scoring statistics computed from the documents an audience may see, not the whole index.

BM25F weighs a word by how many documents hold it (idf) and a document by how long its field
is against the average. Whoosh takes both over the whole index, so a citizen's scores and
order moved when a word also occurred in a staff-only document: a citizen could learn that
staff documents use a word by watching public scores. A citizen's search therefore ranks
with a searcher whose statistics count public documents only:

- idf of a word: from the number of public documents holding it and the number of public
  documents (the formula Whoosh's weighting uses, with those two counts);
- average field length: over public documents;
- a query word no public document holds is left out of the query before ranking, so it
  does not count in the Or's coordination bonus either (as when the index lacks it).

Work stays bounded: only the query's words are counted, each once per searcher (a bounded
cache), and the field averages once per searcher and field. Staff searches keep Whoosh's
whole-index statistics.
"""

from __future__ import annotations

from math import log

import numpy as np
from whoosh import query as q
from whoosh.searching import Searcher

from kmsearch.engine import postings

_TERMS_CACHED = 4096  # words whose public document counts one searcher keeps


class AudienceSearcher(Searcher):
    """A searcher over the same reader whose idf and average field lengths count only the
    documents in `docs` (global document numbers, deleted ones already left out)."""

    def __init__(self, reader, docs: frozenset[int] | None = None, parent=None, **kwargs):
        super().__init__(reader, closereader=False, parent=parent, **kwargs)
        if parent is None:
            self._docs = docs if docs is not None else frozenset()
            self._df: dict[tuple[str, object], int] = {}
            self._avgfl: dict[str, float] = {}

    def _subsearcher(self, reader):
        # Segment searchers ask their parent (this object) for statistics, as Whoosh's do.
        return self.__class__(reader, fromindex=self._ix, weighting=self.weighting, parent=self)

    def close(self):  # the reader belongs to the searcher this one was made from
        self.is_closed = True

    def visible_frequency(self, fieldname: str, text) -> int:
        """How many of the audience's documents hold text in fieldname."""
        top = self.get_parent()
        if top is not self:
            return top.visible_frequency(fieldname, text)
        key = (fieldname, text)
        if key not in self._df:
            if len(self._df) >= _TERMS_CACHED:
                self._df.clear()
            reader = self.reader()
            count = 0
            if fieldname in self.schema:
                try:
                    btext = self.schema[fieldname].to_bytes(text)
                except ValueError:
                    btext = None
                if btext is not None and (fieldname, btext) in reader:
                    ids = postings.for_reader(reader).postings(reader, fieldname, btext).ids
                    count = int(np.count_nonzero(self._visible()[ids]))
            self._df[key] = count
        return self._df[key]

    def _visible(self) -> np.ndarray:
        """The audience's documents as a mask over document numbers (the ranking's own)."""
        return postings.for_reader(self.reader()).mask_of(self._docs)

    def idf(self, fieldname, text):
        top = self.get_parent()
        if top is not self:
            return top.idf(fieldname, text)
        # WeightingModel.idf's formula, with the audience's counts in place of the index's.
        return log(len(self._docs) / (self.visible_frequency(fieldname, text) + 1)) + 1

    def avg_field_length(self, fieldname, default=None):
        top = self.get_parent()
        if top is not self:
            return top.avg_field_length(fieldname, default)
        if not self.schema[fieldname].scorable:
            return default
        if fieldname not in self._avgfl:
            reader = self.reader()
            lengths = postings.for_reader(reader).lengths(reader, fieldname)
            total = float(lengths[self._visible()].sum())
            self._avgfl[fieldname] = total / (len(self._docs) or 1)
        return self._avgfl[fieldname]

    # --- the query -----------------------------------------------------------------------
    def visible_query(self, node: q.Query) -> q.Query:
        """node without the words no document of the audience holds (q.NullQuery when
        nothing of it is left). Matching is unchanged within the audience's documents; what
        changes is the coordination bonus, which then does not count those words."""
        if isinstance(node, q.Phrase):
            ok = all(self.visible_frequency(node.fieldname, w) for w in node.words)
            return node if ok else q.NullQuery
        if isinstance(node, q.Term):
            return node if self.visible_frequency(node.fieldname, node.text) else q.NullQuery
        if isinstance(node, q.Or):
            subs = [s for s in (self.visible_query(c) for c in node.subqueries) if s is not q.NullQuery]
            if not subs:
                return q.NullQuery
            return q.Or(subs, boost=node.boost, minmatch=node.minmatch, scale=node.scale)
        if isinstance(node, q.And):
            subs = [self.visible_query(c) for c in node.subqueries]
            if any(s is q.NullQuery for s in subs):
                return q.NullQuery
            return q.And(subs, boost=node.boost)
        if isinstance(node, q.AndMaybe):
            a = self.visible_query(node.a)
            if a is q.NullQuery:
                return q.NullQuery
            b = self.visible_query(node.b)
            if b is q.NullQuery:
                return a
            copy = q.AndMaybe(a, b)
            copy.boost = node.boost
            return copy
        return node


def for_audience(searcher, docs: set[int] | None) -> Searcher:
    """The searcher to rank with: searcher itself when the audience sees everything (docs is
    None), else one over the same reader whose statistics count only docs."""
    if docs is None:
        return searcher
    return AudienceSearcher(
        searcher.reader(), docs=frozenset(docs), fromindex=searcher._ix, weighting=searcher.weighting
    )
