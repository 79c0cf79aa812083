"""A mark-insensitive form of OCR text, so that searches still find what Tesseract misread.

Tesseract's Thai model drops and misplaces the small marks above and below the letters
(ลูกหนภาษปาย for ลูกหนี้ภาษีป้าย, ทีเกียวข้อง for ที่เกี่ยวข้อง), breaks words with spaces and swaps
letters that look alike (บ/ป, ผ/พ ...). The dictionary segmenter cannot cut such text into the
words people type, so OCR text is also indexed "folded": marks and spaces removed, look-alike
letters merged, and cut into overlapping letter trigrams. A query word, folded the same way,
meets it as a phrase of its trigrams (a substring of the folded text). Search ranks such a
match below the word itself (query.py), and only OCR'd text is folded, so born-digital
documents are scored exactly as before.
"""

from __future__ import annotations

import re

from whoosh.analysis import Analyzer, Token

from kmsearch.engine.analysis import emit
from kmsearch.engine.thai import normalize

FIELD = "folded"
N = 3  # trigrams: a folded Thai word of 3 letters or more is searched

# Above and below vowels, tone marks and other signs Tesseract drops or moves: mai han-akat,
# sara i/ii/ue/uee/u/uu, phinthu, mai taikhu, the four tone marks, thanthakhat, nikhahit,
# yamakkan. Sara am (ำ) keeps its sara aa, since OCR writes it as nikhahit + sara aa.
_MARKS = {c: None for c in [0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)]}
_MARKS[0x0E33] = "\u0e32"
# Letters Tesseract confuses with each other, each folded to the first of its group.
_LOOKALIKES = ("บป", "ผฝ", "พฟ", "ฎฏ", "ดต", "ถภ", "ขฃ", "คฅ", "ชซ", "ฆฑ", "ใไ", "ฬพ")
for _group in _LOOKALIKES:
    for _ch in _group[1:]:
        _MARKS[ord(_ch)] = _group[0]
_TABLE = str.maketrans(_MARKS)
# Runs of Thai letters, possibly broken by spaces (OCR puts spaces inside words).
_THAI_RUN = re.compile(r"[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]+(?:\s+[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]+)*")


def fold(text: str) -> str:
    """Thai text without marks or spaces, look-alike letters merged (normalised first)."""
    return "".join(normalize(text).translate(_TABLE).split())


def grams(folded: str) -> list[str]:
    """Overlapping letter trigrams of a folded Thai run (none when it is shorter)."""
    return [folded[i : i + N] for i in range(len(folded) - N + 1)]


def folded_terms(text: str) -> list[list[str]]:
    """The trigram sequences of every Thai run of text, folded."""
    out = []
    for m in _THAI_RUN.finditer(normalize(text)):
        run = "".join(m.group().translate(_TABLE).split())
        if len(run) >= N:
            out.append(grams(run))
    return out


class FoldedAnalyzer(Analyzer):
    """Whoosh analyzer of the folded field (pickled into the index schema: keeps no state)."""

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            yield token
            return
        yield from emit(token, _terms(value), positions=positions, chars=chars,
                        keeporiginal=keeporiginal, start_pos=start_pos, start_char=start_char)


def _terms(value: str):
    """(gram, position, 0, 0) of each folded trigram: a gap of N positions between runs, so
    runs never join into one phrase; no character offsets within the field's text."""
    pos = 0
    for run in folded_terms(value):
        for gram in run:
            yield gram, pos, 0, 0
            pos += 1
        pos += N


def query_grams(word: str) -> list[str]:
    """The trigrams a query word is searched by in the folded field (none if too short)."""
    return grams(fold(word)) if _THAI_RUN.fullmatch(normalize(word)) else []


# A word met only in folded OCR text scores this fraction of an exact match, so exact matches
# rank first. It must appear whole (its trigrams in a row): a looser match (most of its
# trigrams anywhere) met every scanned document through trigrams like สาร of เอกสาร and cost
# MRR@10 on the scanned corpus (benchmarks/bench_ocr.py).
BOOST = 0.5


def clause(term: str, exact):
    """The query clause of a word: exact, or (scored lower) met in folded OCR text.

    An Or, not a DisjunctionMax: Whoosh scored every document of a DisjunctionMax alike here.
    """
    from whoosh import query as q

    wanted = query_grams(term)
    if not wanted:
        return exact
    if len(wanted) == 1:
        folded = q.Term(FIELD, wanted[0], boost=BOOST)
    else:
        folded = q.Phrase(FIELD, wanted, boost=BOOST)
    return q.Or([exact, folded])
