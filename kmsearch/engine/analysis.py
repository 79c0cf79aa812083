"""Thai analysis: normalised text -> word tokens with offsets, plus the parts of compounds.

A dictionary segmenter cuts ``ตามระเบียบพัสดุ`` as ``ตามระเบียบ|พัสดุ``, so a search for
``ระเบียบ`` would miss the document. Each token that the dictionary can cut into smaller
dictionary words therefore also yields those parts (recursively), at the same position and
character span: a word found only inside a compound still matches, and a query that the
segmenter cuts differently from the document still meets it on the parts.

ThaiAnalyzer is what the Whoosh schema stores; it is pickled into the index, so it keeps no
state and imports its helpers by module path.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from whoosh.analysis import Analyzer, Token

from kmsearch.engine.thai import normalize_remembered, normalize_with_offsets

# The segmentation engine, chosen by benchmarks/bench_index.py (see README): nlpo3 runs the
# newmm algorithm with the same bundled dictionary, several times faster. One engine for index
# and query: engines differ on punctuation.
ENGINE = "nlpo3"

# Bumped whenever tokens change, so an incremental run re-reads every document.
ANALYZER_VERSION = "3"  # 3: file_sha256 stored for downloads

_THAI = "\u0e01-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e"  # letters, vowels, marks; not ฯ ๆ ฿ digits
# Runs of text the segmenter never sees whole: Thai abbreviations (พ.ร.บ., form ภ.ป.1 -- but
# พ.ศ.2562 is an era and a year, two terms), Latin
# words with inner hyphens or apostrophes (e-LAAS), numbers with thousands separators.
_RUN = re.compile(
    rf"(?P<abbr>(?:[ก-ฮ]{{1,3}}\.){{2,}}(?:[ก-ฮ]{{1,3}}(?![{_THAI}])|\d{{1,2}}(?!\d))?|[ก-ฮ]{{1,2}}\.(?=\d))"
    rf"|(?P<num>(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![a-z]))"
    r"|(?P<latin>[a-z0-9\u00e0-\u00f6\u00f8-\u024f]+(?:['\-][a-z0-9\u00e0-\u00f6\u00f8-\u024f]+)*)"
    # A Thai run stops where an abbreviation starts (ตามพ.ร.บ. -> ตาม + พ.ร.บ.): without its
    # last letter when that is a consonant followed by "." and a consonant or digit. Only the
    # last letter of a run can be followed by ".", so the run is taken whole and then checked
    # once (a lookahead at every letter, as before, cost most of the search; test_analysis.py
    # compares both).
    rf"|(?P<thai>[{_THAI}]+(?:(?!\.[ก-ฮ\d])|(?<![ก-ฮ])))"
)


@dataclass(frozen=True, slots=True)
class Span:
    """One token: its text (as indexed) and where it stands in the normalised text."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _segmenter():
    """The engine as a function of one Thai run -> its words (clear the cache on ENGINE change).

    A run holds Thai letters only (no digits, no spaces), on which word_tokenize's
    post-processing (rejoining 1,234.5, dropping whitespace) changes nothing: nlpo3 and newmm
    are called directly, with the same dictionary, to save word_tokenize's per-call overhead
    (an engine lookup and an empty Trie per call: a third of nlpo3's segmentation time).
    """
    if ENGINE == "nlpo3":
        from importlib.resources import as_file, files

        import nlpo3

        name = "kmsearch-pythainlp-words_th"  # PyThaiNLP's bundled word list, as word_tokenize uses
        with as_file(files("pythainlp.corpus").joinpath("words_th.txt")) as path:
            message, ok = nlpo3.load_dict(str(path), name)
        if not ok and "exist" not in message:  # loading twice (after cache_clear) is fine
            raise RuntimeError(f"nlpo3 cannot load the PyThaiNLP dictionary: {message}")
        return lambda run: nlpo3.segment(run, name)
    if ENGINE == "newmm":
        from pythainlp.tokenize import word_dict_trie
        from pythainlp.tokenize.newmm import segment as newmm

        trie = word_dict_trie()
        return lambda run: newmm(run, trie)

    from pythainlp.tokenize import word_tokenize

    def segment(run: str) -> list[str]:
        return word_tokenize(run, engine=ENGINE, keep_whitespace=True)

    return segment


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    """The word list the segmenter uses (PyThaiNLP's bundled Thai dictionary)."""
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


def word_spans(norm: str) -> list[Span]:
    """Cut normalised text into word tokens with their spans (no compound parts)."""
    return [Span(text, start, end) for text, start, end in _words(norm)]


def _word_texts(norm: str) -> list[str]:
    """The texts of _words(norm), without their spans: for term_positions. A Thai run holds
    no whitespace, so no segment of it is whitespace to skip; re.findall's tuples (one
    group set per match) cost less than match objects."""
    segment = _segmenter()
    words: list[str] = []
    add = words.append
    for abbr, num, latin, thai in _RUN.findall(norm):
        if thai:
            words += segment(thai)
        elif latin:
            add(latin.replace("-", "").replace("'", ""))
        elif abbr:
            add(abbr.replace(".", ""))
        else:
            add(num.replace(",", ""))
    return words


def _words(norm: str) -> Iterator[tuple[str, int, int]]:
    """(text, start, end) of each word token: word_spans without building Span objects,
    which analyze() would only take apart again, once per token of every indexed document."""
    segment = _segmenter()
    for m in _RUN.finditer(norm):
        kind = m.lastgroup
        start = m.start()
        if kind == "thai":
            pos = start
            for word in segment(m.group()):
                end = pos + len(word)
                if not word.isspace():
                    yield word, pos, end
                pos = end
        elif kind == "latin":
            yield m.group().replace("-", "").replace("'", ""), start, m.end()
        else:  # abbreviation or number: one term without its dots or thousands separators
            text = m.group().replace(",", "")
            if kind == "abbr":
                text = text.replace(".", "")
            yield text, start, m.end()


# Shorter words are not split: four- and five-letter words cut into two-letter "words"
# (ราคา -> รา|คา, อัตรา -> อัต|รา, กำลัง -> กำ|ลัง) are nearly always false parts that only add
# noise and postings.
MIN_COMPOUND = 6


@lru_cache(maxsize=200_000)
def compound_parts(word: str) -> tuple[str, ...]:
    """Dictionary words a Thai compound is made of (all levels), or () if it is not one.

    The split uses as few parts as possible, each a dictionary word of two or more
    characters cut at Thai character-cluster boundaries; then each part is split again.
    """
    if len(word) < MIN_COMPOUND or not ("\u0e01" <= word[0] <= "\u0e4e"):
        return ()
    best = _fewest_parts(word)
    if not best:
        return ()
    parts: list[str] = []
    for part in best:
        parts.append(part)
        parts.extend(compound_parts(part))
    return tuple(dict.fromkeys(parts))


def _fewest_parts(word: str) -> list[str]:
    """Split word into the fewest dictionary words (never the word itself), or []."""
    from pythainlp.tokenize.tcc import tcc_pos

    words = dictionary()
    bounds = sorted(tcc_pos(word) | {0})
    n = len(word)
    best: dict[int, list[str]] = {0: []}
    for i in bounds:
        if i not in best:
            continue
        for j in bounds:
            if j - i < 2 or (i == 0 and j == n):
                continue
            piece = word[i:j]
            if piece in words and (j not in best or len(best[j]) > len(best[i]) + 1):
                best[j] = best[i] + [piece]
    return best.get(n, [])


def analyze(text: str, parts: bool = True) -> Iterator[tuple[str, int, int, int, bool]]:
    """Yield (term, position, start, end, is_part) for text; offsets index into text itself.

    Word tokens take consecutive positions; the parts of a compound share its position and
    span. With parts=False only the words are produced (phrase queries use that).
    """
    norm, offsets = normalize_with_offsets(text)
    for pos, (word, start, end) in enumerate(_words(norm)):
        if offsets is not None:
            start, end = offsets[start], offsets[end]
        yield word, pos, start, end, False
        if parts:
            for part in compound_parts(word):
                yield part, pos, start, end, True


class ThaiAnalyzer(Analyzer):
    """Whoosh analyzer for Thai (and the Latin and digits mixed into it); see analyze()."""

    def __eq__(self, other):
        return isinstance(other, ThaiAnalyzer)

    def __hash__(self):
        return hash(ThaiAnalyzer)

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Each indexed term of value and its positions, in the order indexing meets them:
        what Whoosh's formats build from __call__'s tokens, without a Token per term (the
        index writer's fast path, kmsearch/indexer/segment_writer.py).

        Cheaper than following analyze() token by token (tests/test_analysis.py compares
        them): the words are cut first, then grouped by word in one pass, then each distinct
        word (not each occurrence) adds its compound parts. A part's positions are those of
        the words it is a part of, plus its own as a word: one word per position, so these
        never overlap, and sorting their concatenation gives analyze()'s ascending list.
        analyze() meets a term first at its first position, the word before its parts, which
        is the order the distinct words (in order of first occurrence), each followed by its
        parts not met before, give."""
        at: defaultdict[str, list[int]] = defaultdict(list)
        for pos, word in enumerate(_word_texts(normalize_remembered(value))):
            at[word].append(pos)
        poses: dict[str, list[int]] = {}
        get = poses.get
        merged = []  # lists of positions from more than one word: sorted at the end
        for word, where in at.items():
            found = get(word)
            if found is None:
                poses[word] = where
            else:  # already met as a part of an earlier word
                found += where
                merged.append(found)
            for part in compound_parts(word):
                found = get(part)
                if found is None:
                    poses[part] = where.copy()  # where may still grow (word as a later part)
                else:
                    found += where
                    merged.append(found)
        for found in merged:
            found.sort()
        return poses

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        terms = ((t, pos, start, end) for t, pos, start, end, _ in analyze(value, parts=(mode != "phrase")))
        yield from emit(token, terms, positions=positions, chars=chars, keeporiginal=keeporiginal,
                        start_pos=start_pos, start_char=start_char)


def emit(token: Token, terms, *, positions: bool, chars: bool, keeporiginal: bool,
         start_pos: int = 0, start_char: int = 0) -> Iterator[Token]:
    """Fill Whoosh's one reused Token with each (text, position, start, end) of terms and yield
    it: the loop every analyzer of the schema shares (start None: no character offsets)."""
    for text, pos, start, end in terms:
        token.text = text
        token.boost = 1.0
        token.stopped = False
        if keeporiginal:
            token.original = text
        if positions:
            token.pos = start_pos + pos
        if chars and start is not None:
            token.startchar = start_char + start
            token.endchar = start_char + end
        yield token
