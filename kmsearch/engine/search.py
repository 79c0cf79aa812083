"""Searching the index: the one code path behind the CLI, the web pages and the JSON API.

The audience rule lives here and only here: a citizen's search runs with a filter that admits
public documents alone, inside Whoosh, so results, totals, facet counts, snippets and
suggestions are all computed from documents the citizen may see.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import query as q

from kmsearch.engine import (
    audience_stats,
    correction,
    fallback,
    indexstore,
    ranking,
    shared,
    synonyms,
)
from kmsearch.engine import query as querymod
from kmsearch.engine.schema import AUDIENCES, DOC_TYPE_ALIASES, MEDIA_TYPES, file_sha256
from kmsearch.engine.snippets import make_fragments, substring_fragments
from kmsearch.engine.suggest import suggest
from kmsearch.engine.suggest import vocabulary as suggest_vocabulary
from kmsearch.engine.thaidate import stored_date
from kmsearch.home import Home

FACETS = ("division", "expert", "doc_type")


def _loose_phrases(parsed: querymod.ParsedQuery) -> q.Query | None:
    """The segmenter may cut a phrase differently in the document: require its words
    instead of their order rather than answer nothing."""
    return querymod.build(parsed, loose_phrases=True) if parsed.phrases else None


# Word queries tried in order while the ones before found nothing: each takes the parsed
# query and returns another Whoosh query (or None to pass). Each runs through the same
# two-stage ranking, audience filter and budget (see SearchService._search_words).
RELAXATIONS: list = [_loose_phrases]


class EmptyQueryError(ValueError):
    """The query has no words to search for."""


class NoIndexError(RuntimeError):
    """Nothing has been indexed in this home yet."""


@dataclass(kw_only=True)
class Described:
    """What every view of an indexed document shows (see SearchService._described)."""

    doc_id: str
    path: str
    title: str
    topic: str
    division: str
    expert: list[str]
    audience: str
    doc_type: str
    updated: dt.date | None
    superseded_by: str | None = None  # the replacement, when this audience may see it
    superseded_by_title: str | None = None
    superseded: bool = False  # replaced, even when the replacement is hidden from this audience
    ocr: str = ""  # a scan: "pages read by OCR/pages" (its text may hold OCR mistakes)


@dataclass(kw_only=True)
class Hit(Described):
    score: float
    snippet: str = ""
    fragments: list[tuple[str, bool]] = field(default_factory=list)
    via_terms: list[str] = field(default_factory=list)  # everyday terms it was found through
    fallback: bool = False  # found by a substring of its text, not by words

    def to_dict(self) -> dict:
        """The hit as the CLI contract's JSON shows it."""
        return {
            "path": self.path,
            "title": self.title,
            "topic": self.topic,
            "division": self.division,
            "expert": self.expert,
            "audience": self.audience,
            "doc_type": self.doc_type,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "doc_id": self.doc_id,
            "updated": self.updated.isoformat() if self.updated else None,
            "superseded_by": self.superseded_by,
            "via_terms": self.via_terms,
            "substring_match": self.fallback,
        }


@dataclass
class SearchResult:
    query: str  # what was typed
    total: int
    hits: list[Hit]
    suggestion: str | None
    facets: dict[str, list[tuple[str, int]]]
    page: int
    pagecount: int
    pagelen: int
    searched: str = ""  # whose results these are: query, or the correction applied to it

    @property
    def corrected(self) -> bool:
        return self.searched != self.query

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "hits": [h.to_dict() for h in self.hits],
            "suggestion": self.suggestion,
            # README "JSON of a search": searched differs from query when a correction was applied
            "searched": self.searched,
            "corrected": self.corrected,
        }


@dataclass(kw_only=True)
class Document(Described):
    source: Path
    filename: str
    text: str = ""
    replaces: list[tuple[str, str]] = field(default_factory=list)
    file_sha256: str = ""

    def original(self) -> Path | None:
        """The original file, only while it is the file that was indexed.

        A file changed since indexing may now hold other content (even staff-only content
        behind a public entry); it is offered again after the next index run.
        """
        try:
            same = bool(self.file_sha256) and file_sha256(self.source) == self.file_sha256
        except OSError:
            return None
        return self.source if same else None

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.source.suffix.lower(), "application/octet-stream")


def _date(value: str) -> dt.date | None:
    # An index written before B.E. dates were read holds 2568-03-12 as typed: read it as B.E.
    return stored_date(value)


def _experts(value: str) -> list[str]:
    return [e for e in (value or "").split(",") if e]


@dataclass(frozen=True)
class _Scope:
    """What one search may look at: the audience's filter query, the document numbers it
    may show (with facet values; None: all) and those its suggestions may draw on."""

    visible: q.Query | None
    allowed: set[int] | None
    seen: set[int] | None
    ranker: object = None  # the searcher to rank with: audience statistics (audience_stats)


def audience_filter(audience: str) -> q.Query | None:
    """What an audience may see: citizens only public documents; staff everything."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    return q.Term("audience", "public") if audience == "public" else None


def _narrowed(audience: str, division, expert, doc_type) -> q.Query | None:
    """The filter of a search: the audience's, and each facet value asked for (None: all)."""
    visible = audience_filter(audience)
    narrowed = [visible] if visible is not None else []
    for name, value in (("division", division), ("expert", expert), ("doc_type", doc_type)):
        if value:
            narrowed.append(q.Term(name, value))
    return q.And(narrowed) if narrowed else None


class SearchService:
    """Searches one home's index; reuses a searcher per thread and follows index swaps."""

    def __init__(self, home: Home):
        self.home = home
        self._local = threading.local()
        # Shared by all threads, per index generation (engine/shared.py): audiences' and
        # facet filters' document numbers (bounded: facet values come from URLs), and the
        # browse lists of every document, one per audience.
        self._sets_shared = shared.PerGeneration(per_generation=64)
        self._documents_shared = shared.PerGeneration(per_generation=len(AUDIENCES))
        self._vocabulary_shared = shared.PerGeneration(per_generation=1)

    # --- searcher management -----------------------------------------------------------
    def _searcher(self):
        """This thread's searcher, reopened when CURRENT changed or the index was committed to.

        Not Searcher.refresh(): it reuses the readers of unchanged segments and so keeps
        showing a document that an incremental run replaced (its deletion lands in an old
        segment) -- a public copy of what may now be a staff document.
        """
        local = self._local
        generation = indexstore.current_generation(self.home)
        if generation is None:
            raise NoIndexError(f"no index in {self.home.path}: run `kmsearch index` first")
        old = getattr(local, "searcher", None)
        if getattr(local, "generation", None) != generation:
            local.ix = self._open_live()
            local.generation = generation
        elif old is not None and old.up_to_date():
            return old
        local.searcher = local.ix.searcher()
        if old is not None:
            old.close()
        return local.searcher

    def _open_live(self):
        """Open the live index; if a swap removed it meanwhile, follow CURRENT once more."""
        from whoosh.index import EmptyIndexError

        for _attempt in range(3):
            try:
                ix = indexstore.open_current(self.home)
            except (EmptyIndexError, FileNotFoundError):
                continue
            if ix is not None:
                return ix
        raise NoIndexError(f"no index in {self.home.path}: run `kmsearch index` first")

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
            self._local.generation = None
        self._sets_shared.clear()
        self._documents_shared.clear()
        self._vocabulary_shared.clear()

    # --- search ------------------------------------------------------------------------
    def search(
        self,
        text: str,
        *,
        audience: str,
        division: str | None = None,
        expert: str | None = None,
        doc_type: str | None = None,
        page: int = 1,
        pagelen: int = 10,
        exact: bool = False,
    ) -> SearchResult:
        """Search text as audience ("public" or "staff": required, there is no safe default),
        optionally narrowed by facet values.

        Unless exact, a query whose words find nothing, or only some of them anything, is
        replaced by a confident correction when there is one (result.searched says so), and
        when word search finds little, documents holding the query as a substring follow.
        """
        if not text or not text.strip():
            raise EmptyQueryError("the query is empty: type some words to search for")
        visible = audience_filter(audience)
        doc_type = DOC_TYPE_ALIASES.get(doc_type or "", doc_type)  # คู่มือ filters as manual
        flt = _narrowed(audience, division, expert, doc_type)
        searcher = self._searcher()
        scope = _Scope(
            visible=visible,
            allowed=self._allowed(searcher, audience, division, expert, doc_type),
            seen=self._allowed(searcher, audience, None, None, None),
            ranker=self._ranker(searcher, audience),
        )
        result = self._search_words(searcher, text, scope, max(1, page), pagelen)
        if not exact and result.suggestion and correction.is_weak(searcher, result, visible, flt, scope.seen):
            fixed = self._search_words(
                searcher, result.suggestion, scope, max(1, page), pagelen, suggesting=False
            )
            if fixed.total:
                fixed.query, fixed.searched, fixed.suggestion = text, result.suggestion, result.suggestion
                result = fixed
        if result.page <= 1 and result.total < fallback.FEW:  # Whoosh numbers an empty page 0
            self._add_fallback(searcher, result, scope.allowed, visible)
        return result

    def _add_fallback(self, searcher, result: SearchResult, allowed, visible) -> None:
        """Append documents that hold the searched text as a substring, below the word hits."""
        shown = {h.doc_id for h in result.hits}
        subs = fallback.substrings(result.searched)  # parsed once, for the search and each snippet
        found = fallback.search(searcher, subs, allowed, shown, result.pagelen - len(result.hits))
        floor = min((h.score for h in result.hits), default=1.0)
        for rank, (fields, _score) in enumerate(found, start=1):
            # Scores below the weakest word hit keep the order: word matches first.
            hit = Hit(
                **self._described(searcher, fields, visible),
                score=floor * 0.5 / rank,
                fallback=True,
            )
            hit.fragments = substring_fragments(fields.get("content", ""), subs)
            hit.snippet = "".join(t for t, _ in hit.fragments)
            result.hits.append(hit)
        result.total += len(found)
        if found:
            result.page, result.pagecount = 1, max(result.pagecount, 1)
            result.facets = _counted(result.facets, result.hits[-len(found):])

    def _search_words(
        self, searcher, text: str, scope: _Scope, page: int, pagelen: int, suggesting: bool = True
    ) -> SearchResult:
        """Word-level search of text within scope.allowed (audience and facet values).

        The one path: parse (bounded), the query with its everyday-term expansions and, while
        nothing is found, each of RELAXATIONS, ranked in two stages (kmsearch.engine.ranking);
        snippets for the page; a did-you-mean suggestion from what the audience may see
        (unless not suggesting: a correction's own search, whose suggestion is known).
        """
        parsed = querymod.parse(text)
        ranked = ranking.Ranked(0, [], 1, 0, {name: [] for name in FACETS})
        expansions: list[synonyms.Expansion] = []
        if not parsed.empty:
            whoosh_q = querymod.build(parsed)
            if not parsed.phrases:  # quoted text asks for exactly those words
                expansions = synonyms.find(synonyms.load(self.home.path / synonyms.FILENAME), text)
                extra = synonyms.expansion_query(expansions)
                if extra is not None:
                    whoosh_q = q.Or([whoosh_q, extra])
            for attempt in self._attempts(whoosh_q, parsed):
                ranker = scope.ranker or searcher
                if isinstance(ranker, audience_stats.AudienceSearcher):
                    attempt = ranker.visible_query(attempt)  # no coordination from hidden words
                ranked = ranking.rank(ranker, attempt, scope.allowed, page, pagelen, FACETS)
                if ranked.total:
                    break
        terms = parsed.highlight_groups() + synonyms.highlight_groups(expansions)
        hits = []
        for docnum, score in ranked.page:
            fields = searcher.stored_fields(docnum)
            hits.append(self._hit(searcher, fields, score, terms, scope.visible))
            synonyms.mark(hits[-1], fields, expansions)
        return SearchResult(
            query=text,
            searched=text,
            total=ranked.total,
            hits=hits,
            suggestion=(
                suggest(searcher, text, parsed, scope.visible, scope.seen, self._vocabulary(searcher))
                if suggesting
                else None
            ),
            facets=ranked.facets,
            page=ranked.pagenum,
            pagecount=ranked.pagecount,
            pagelen=pagelen,
        )

    @staticmethod
    def _attempts(whoosh_q: q.Query, parsed: querymod.ParsedQuery):
        """The Whoosh queries to try in order, each only if the ones before found nothing."""
        yield whoosh_q
        for relax in RELAXATIONS:
            alternative = relax(parsed)
            if alternative is not None:
                yield alternative

    def _allowed(self, searcher, audience, division, expert, doc_type) -> set[int] | None:
        """Document numbers a search may show (None: all), shared by the threads reading
        the same index (never mutated once made).

        Computed inside the search from the audience field, so nothing typed can widen it.
        """
        narrowed = _narrowed(audience, division, expert, doc_type)
        if narrowed is None:
            return None
        return self._shared(
            self._sets_shared, searcher, (audience, division, expert, doc_type),
            lambda: frozenset(searcher.docs_for_query(narrowed)),
        )

    def _shared(self, store: shared.PerGeneration, searcher, key, compute):
        """store's value of key for the index searcher reads (computed when unknown)."""
        index = shared.index_key(getattr(self._local, "generation", None), searcher)
        return compute() if index is None else store.get(index, key, compute)

    def _vocabulary(self, searcher):
        """What suggest() scans for typos: the content terms, loaded when first needed and
        shared by the threads reading the same index (every audience: suggest() itself keeps
        to the documents the searcher may see)."""
        return lambda: self._shared(
            self._vocabulary_shared, searcher, "content", lambda: suggest_vocabulary(searcher)
        )

    def _ranker(self, searcher, audience):
        """The searcher whose scoring statistics count what audience may see, kept per
        searcher (its word counts are cached on it)."""
        cache = self._sets(searcher)
        key = ("ranker", audience)
        if key not in cache:
            cache[key] = audience_stats.for_audience(
                searcher, self._allowed(searcher, audience, None, None, None)
            )
        return cache[key]

    def _sets(self, searcher) -> dict:
        local = self._local
        if getattr(local, "sets_for", None) is not searcher:
            local.sets_for, local.sets = searcher, {}
        return local.sets

    def _described(self, searcher, fields: dict, visible) -> dict:
        """The metadata a Hit and a Document share, from stored fields.

        A replacement document is named only if the searcher may see it.
        """
        superseded = fields.get("superseded_by") or None
        replaced = superseded is not None
        if superseded and self._visible(searcher, superseded, visible) is None:
            superseded = None
        return dict(
            superseded=replaced,
            doc_id=fields["doc_id"],
            path=fields["path"],
            title=fields.get("title", ""),
            topic=fields.get("topic", ""),
            division=fields.get("division", ""),
            expert=_experts(fields.get("expert", "")),
            audience=fields.get("audience", "staff"),
            doc_type=fields.get("doc_type", ""),
            updated=_date(fields.get("updated", "")),
            superseded_by=superseded,
            superseded_by_title=self._title_of(searcher, superseded),
            ocr=fields.get("ocr") or "",
        )

    def _hit(self, searcher, fields: dict, score: float, terms, visible) -> Hit:
        fragments = make_fragments(fields.get("content", ""), terms)
        return Hit(
            **self._described(searcher, fields, visible),
            score=float(score or 0.0),
            snippet="".join(text for text, _ in fragments),
            fragments=fragments,
        )

    @staticmethod
    def _title_of(searcher, doc_id: str | None) -> str | None:
        if not doc_id:
            return None
        stored = searcher.document(doc_id=doc_id)
        return stored.get("title") if stored else None

    # --- documents ---------------------------------------------------------------------
    def document(self, doc_id: str, audience: str) -> Document | None:
        """The document doc_id if it exists and audience may see it, else None."""
        visible = audience_filter(audience)
        if not doc_id or not all(c in "0123456789abcdef" for c in doc_id):
            return None
        searcher = self._searcher()
        wanted = q.Term("doc_id", doc_id)
        if visible is not None:
            wanted = q.And([wanted, visible])
        found = searcher.search(wanted, limit=1)
        if not found:
            return None
        doc = self._document(searcher, found[0].fields(), visible, with_text=True)
        # A citizen is pointed only to predecessors they may see, too.
        older = q.Term("superseded_by", doc_id)
        if visible is not None:
            older = q.And([older, visible])
        doc.replaces = [(h["doc_id"], h["title"]) for h in searcher.search(older, limit=None)]
        return doc

    @staticmethod
    def _visible(searcher, doc_id, visible):
        wanted = q.Term("doc_id", doc_id)
        if visible is not None:
            wanted = q.And([wanted, visible])
        found = searcher.search(wanted, limit=1)
        return found[0] if found else None

    def documents(self, audience: str) -> list[Document]:
        """Every document audience may see (without text), for browsing pages.

        Kept until the index changes, one copy for all threads: reading every stored document
        costs ~150 ms at 2,000 documents, and the search page's examples and the browse pages
        ask on every visit.
        """
        visible = audience_filter(audience)
        searcher = self._searcher()

        def every_document() -> tuple[Document, ...]:
            everything = visible if visible is not None else q.Every()
            found = searcher.search(everything, limit=None)
            docs = [self._document(searcher, h.fields(), visible, with_text=False) for h in found]
            return tuple(sorted(docs, key=lambda d: (d.division, d.topic, d.title)))

        return list(self._shared(self._documents_shared, searcher, audience, every_document))

    def _document(self, searcher, fields: dict, visible, with_text: bool) -> Document:
        return Document(
            **self._described(searcher, fields, visible),
            source=Path(fields["key"]),
            filename=fields.get("filename", ""),
            file_sha256=fields.get("file_sha256", ""),
            text=fields.get("content", "") if with_text else "",
        )


def _counted(facets: dict[str, list[tuple[str, int]]], hits: list[Hit]) -> dict[str, list[tuple[str, int]]]:
    """facets with hits counted too: documents the word search did not match (the substring
    fallback's), so the filter panel counts every document the results list. Empty values
    are not counted, and the order is facet_counts's: most documents first, then by value."""
    counts = {name: dict(entries) for name, entries in facets.items()}
    for hit in hits:
        for name, values in counts.items():
            for value in hit.expert if name == "expert" else [getattr(hit, name)]:
                if value:
                    values[value] = values.get(value, 0) + 1
    return {name: sorted(values.items(), key=lambda kv: (-kv[1], kv[0])) for name, values in counts.items()}
