"""From what a person types to a Whoosh query.

People type questions and keywords, not search syntax, so there is no query language to get
wrong: text in double quotes is a phrase, everything else is words. A question is not an AND
of its words: each word is a clause (the word itself, or all the parts of a compound), and a
document scores by the clauses it meets, more clauses scoring higher. Very common words
(ที่, การ, ต้อง, อะไร ...) are dropped when the query has other words. Field syntax such as
``audience:staff`` is just words here, and the audience filter is applied by the searcher
outside this query, so nothing typed can lift it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh import query as q

from kmsearch.engine import folding
from kmsearch.engine.analysis import analyze

# Field weights: a word in the title says more than one in the body.
FIELD_BOOSTS = {"title": 3.0, "meta": 2.0, "content": 1.0}
_PHRASE = re.compile(r'"([^"]+)"|“([^”]+)”')

# The work budget of one query, whatever is typed (a 200-character string of misspelt or
# random Thai made 60 clauses, 59 adjacency phrases and a 60-word phrase: a minute of CPU).
# Real questions stay well inside these: the longest judged query has 9 content words.
MAX_QUERY_CHARS = 256  # characters analysed; the rest is ignored
MAX_WORDS = 12  # word clauses (after dropping very common words)
MAX_PHRASES = 3  # quoted phrases
MAX_PHRASE_WORDS = 8  # words of one quoted phrase
MAX_SEQUENCE = 16  # query words considered for adjacency rewards


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords())


@dataclass
class ParsedQuery:
    phrases: list[list[str]] = field(default_factory=list)  # word terms of each phrase
    words: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (term, parts)
    # Adjacent words of the query, in order, where one of them is not a stop word: stop words
    # are too common to search alone but still mark a phrase (อัตรา|กำลัง: กำลัง is one).
    pairs: list[tuple[str, str]] = field(default_factory=list)
    sequence: list[str] = field(default_factory=list)  # every word of the query, in order

    @property
    def empty(self) -> bool:
        return not self.phrases and not self.words

    def highlight_groups(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each query word with the first-level parts to mark when the word itself is absent."""
        groups = [(t, ()) for phrase in self.phrases for t in phrase]
        groups += [(term, tuple(_top_level(term, parts))) for term, parts in self.words]
        return groups


def parse(text: str) -> ParsedQuery:
    """Split typed text into phrases and word clauses, analysed like the documents.

    Bounded: at most MAX_QUERY_CHARS characters are read and the result holds at most
    MAX_PHRASES phrases, MAX_WORDS word clauses and MAX_SEQUENCE words in sequence.
    """
    text = text[:MAX_QUERY_CHARS]
    parsed = ParsedQuery()
    rest = []
    last = 0
    for m in _PHRASE.finditer(text):
        rest.append(text[last : m.start()])
        last = m.end()
        words = [t for t, _pos, _s, _e, part in analyze(m.group(1) or m.group(2)) if not part]
        if len(words) > 1 and len(parsed.phrases) < MAX_PHRASES:
            parsed.phrases.append(words[:MAX_PHRASE_WORDS])
        else:
            rest.append(" " + " ".join(words) + " ")
    rest.append(text[last:])
    clauses: dict[str, list[str]] = {}
    current = None  # the word whose parts follow; None for a repeated word
    sequence: list[str] = []
    for term, _pos, _s, _e, is_part in analyze(" ".join(rest)):
        if not is_part:
            sequence.append(term)
        if is_part:
            if current is not None:
                clauses[current].append(term)
        elif term in clauses:
            current = None
        else:
            clauses[term] = []
            current = term
    words = [(t, tuple(parts)) for t, parts in clauses.items()]
    content_words = [w for w in words if w[0] not in stopwords()]
    if content_words or parsed.phrases:
        words = content_words
    parsed.words = words[:MAX_WORDS]
    sequence = sequence[:MAX_SEQUENCE]
    parsed.sequence = sequence
    kept = {t for t, _ in parsed.words}
    parsed.pairs = list(
        dict.fromkeys(
            (a, b)
            for a, b in zip(sequence, sequence[1:], strict=False)
            if (a in kept or b in kept) and a != b
        )
    )
    return parsed


class Adjacency(q.Phrase):
    """A phrase that only rewards: query words standing together as in the query. Every
    document it matches also matches a word clause beside it, so the ranking never needs it
    to find documents (kmsearch.engine.ranking leaves it out of the match set and of the
    first-stage candidates, and scores it on the candidates only)."""


def _term_anywhere(term: str) -> q.Query:
    return q.Or([q.Term(name, term, boost=b) for name, b in FIELD_BOOSTS.items()])


def _clause(term: str, parts: tuple[str, ...]) -> q.Query:
    """The word, or (when it is a compound) all of its top-level parts together; scans
    also meet it in their folded OCR text (engine/folding.py)."""
    return folding.clause(term, _exact_clause(term, parts))


def _exact_clause(term: str, parts: tuple[str, ...]) -> q.Query:
    whole = _term_anywhere(term)
    if not parts:
        return whole
    # Only the first-level split is required together; deeper parts are in the tuple too
    # and are too loose to require (they are optional boosts through the whole term).
    top = _top_level(term, parts)
    if not top:
        return whole
    # The parts must stand next to each other, as the segmenter may have cut the same
    # compound in the document; anywhere in the text would let ธรรม of ค่าธรรมเนียม match
    # ดำรงธรรม.
    together = [q.Phrase(name, top, boost=FIELD_BOOSTS[name] * 0.8) for name in ("title", "content")]
    return q.Or([whole, *together])


def _top_level(term: str, parts: tuple[str, ...]) -> list[str]:
    """The parts whose concatenation is the term (the first-level split)."""
    out, rest = [], term
    for p in parts:
        if rest.startswith(p):
            out.append(p)
            rest = rest[len(p) :]
            if not rest:
                return out
    return []


def build(parsed: ParsedQuery, loose_phrases: bool = False) -> q.Query:
    """Whoosh query of parsed; loose_phrases turns phrases into all-words-required clauses."""
    clauses: list[q.Query] = []
    for words in parsed.phrases:
        if loose_phrases:
            clauses.append(q.And([_term_anywhere(w) for w in words]))
        else:
            clauses.append(
                q.Or(
                    [
                        q.Phrase("content", words, boost=FIELD_BOOSTS["content"]),
                        q.Phrase("title", words, boost=FIELD_BOOSTS["title"]),
                    ]
                )
            )
    words = [_clause(term, parts) for term, parts in parsed.words]
    if parsed.phrases:
        # Phrases are required; the other words rank among the documents that have them.
        required = q.And(clauses)
        return q.AndMaybe(required, q.Or(words)) if words else required
    # Words that stand together in the query score more where they stand together in the
    # text (อัตรา กำลัง in แผนอัตรากำลัง, not อัตรา of tax rates and กำลัง elsewhere).
    together = [Adjacency("content", list(pair), boost=1.5) for pair in parsed.pairs]
    if len(parsed.sequence) > 2:
        # The whole query written as in the text (a name like เบี้ยยังชีพคนพิการ) beats
        # documents that merely share its most frequent pair.
        together.append(Adjacency("content", parsed.sequence, boost=3.0))
    # scale rewards documents that meet more of the words (coordination).
    return q.Or(words + together, scale=0.9)
