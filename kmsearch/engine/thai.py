"""Thai text normalisation with an offset map back to the original text.

Every text that is indexed or searched goes through normalize() first, so that the index and
the query agree on one spelling of each word whatever the source did: legacy PDF fonts emit
Private Use Area glyphs, typists write sara am as nikhahit + sara aa or sara ae as two sara e,
documents mix Thai and Arabic digits. normalize_with_offsets() also returns, for each
character of the result, where it came from, so highlights land on the right characters of
the text a person sees.
"""

from __future__ import annotations

import re
import unicodedata

# Thai Private Use Area glyphs emitted by legacy Thai fonts (shifted tone marks and vowels,
# descender-less consonants), Windows U+F700-U+F71A and Mac U+F884-U+F89E forms. The table
# follows HarfBuzz's Thai shaper (hb-ot-shaper-thai.cc), which is the authoritative list.
_MAI_EK, _MAI_THO, _MAI_TRI, _MAI_CHATTAWA, _THANTHAKHAT = "\u0e48\u0e49\u0e4a\u0e4b\u0e4c"
_PUA_PAIRS = {
    # shifted down (SD)
    _MAI_EK: (0xF70A, 0xF88B),
    _MAI_THO: (0xF70B, 0xF88E),
    _MAI_TRI: (0xF70C, 0xF891),
    _MAI_CHATTAWA: (0xF70D, 0xF894),
    _THANTHAKHAT: (0xF70E, 0xF897),
    "\u0e38": (0xF718, 0xF89B),  # sara u
    "\u0e39": (0xF719, 0xF89C),  # sara uu
    "\u0e3a": (0xF71A, 0xF89D),  # phinthu
}
_PUA_DOWN_LEFT = {
    _MAI_EK: (0xF705, 0xF88C),
    _MAI_THO: (0xF706, 0xF88F),
    _MAI_TRI: (0xF707, 0xF892),
    _MAI_CHATTAWA: (0xF708, 0xF895),
    _THANTHAKHAT: (0xF709, 0xF898),
}
_PUA_LEFT = {
    _MAI_EK: (0xF713, 0xF88A),
    _MAI_THO: (0xF714, 0xF88D),
    _MAI_TRI: (0xF715, 0xF890),
    _MAI_CHATTAWA: (0xF716, 0xF893),
    _THANTHAKHAT: (0xF717, 0xF896),
    "\u0e31": (0xF710, 0xF884),  # mai han-akat
    "\u0e34": (0xF701, 0xF885),  # sara i
    "\u0e35": (0xF702, 0xF886),  # sara ii
    "\u0e36": (0xF703, 0xF887),  # sara ue
    "\u0e37": (0xF704, 0xF888),  # sara uee
    "\u0e47": (0xF712, 0xF889),  # maitaikhu
    "\u0e4d": (0xF711, 0xF899),  # nikhahit
}
_PUA_NO_DESCENDER = {
    "\u0e0d": (0xF70F, 0xF89A),  # yo ying
    "\u0e10": (0xF700, 0xF89E),  # tho than
}


def _pua_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for group in (_PUA_PAIRS, _PUA_DOWN_LEFT, _PUA_LEFT, _PUA_NO_DESCENDER):
        for standard, codes in group.items():
            for code in codes:
                table[code] = standard
    return table


PUA_TO_THAI: dict[int, str] = _pua_table()

ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u00ad\u2060"

# One-to-one character mappings: applied with str.translate, which keeps offsets unchanged.
_ONE_TO_ONE = dict(PUA_TO_THAI)
_ONE_TO_ONE.update({0x0E50 + d: str(d) for d in range(10)})  # Thai digits -> Arabic
_KEEP_CASE = dict(_ONE_TO_ONE)  # for text shown to people: same spelling, original case
_ONE_TO_ONE.update({c: chr(c + 32) for c in range(ord("A"), ord("Z") + 1)})


def _runs_of_keys(table: dict[int, str]) -> re.Pattern:
    return re.compile("[" + re.escape("".join(map(chr, sorted(table)))) + "]+")


# str.translate looks every character up in the table (a dict): most of normalising a Thai
# text. Only runs of the characters a table maps are translated instead: the same result,
# about six times faster on the benchmark's documents (most have none, or a few digits).
_KEYS_OF = {id(_ONE_TO_ONE): _runs_of_keys(_ONE_TO_ONE), id(_KEEP_CASE): _runs_of_keys(_KEEP_CASE)}


def _translate(text: str, table: dict[int, str]) -> str:
    """text.translate(table), for _ONE_TO_ONE and _KEEP_CASE."""
    return _KEYS_OF[id(table)].sub(lambda m: m.group().translate(table), text)


TONES = "\u0e48\u0e49\u0e4a\u0e4b"
# Vowels written above or below a consonant; a tone mark belongs after them.
UPPER_LOWER_VOWELS = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47"
THAI_MARKS = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"
SARA_AM = "\u0e33"
NIKHAHIT = "\u0e4d"
SARA_AA = "\u0e32"
SARA_E = "\u0e40"
SARA_AE = "\u0e41"

# Anything that needs the slow, offset-tracking path after the one-to-one mapping.
_NEEDS_WORK = re.compile(
    "[" + ZERO_WIDTH + "]"
    + "|" + SARA_E + SARA_E
    + "|" + NIKHAHIT
    + "|[" + TONES + "][" + UPPER_LOWER_VOWELS + "]"
    + "|" + SARA_AM + "[" + TONES + "]"
    + "|([" + THAI_MARKS + "])\\1"
)


def normalize(text: str, fold_case: bool = True) -> str:
    """Return text in the one spelling the index uses (see the module docstring).

    fold_case=False keeps Latin capitals, for the stored text and titles people read (A4,
    e-LAAS); the analyzer folds case itself when it indexes that text.
    """
    return normalize_with_offsets(text, fold_case)[0]


_LAST: tuple[str, str] = ("", "")  # the last text normalize_remembered saw, normalised


def normalize_remembered(text: str) -> str:
    """normalize(text), kept for the last text given: an index run normalises a document's
    text for its words (analysis.term_positions) and then, after its title and a line break,
    for the fallback's runs (fallback.ThaiRunAnalyzer), which reuses it through
    normalize(a + "\n" + b) == normalize(a) + "\n" + normalize(b): a line break maps to
    itself, composes with nothing and ends every repair (tests/test_text_fast_paths.py)."""
    global _LAST
    last_text, last_norm = _LAST  # one tuple: threads see a whole pair
    if text == last_text:
        return last_norm
    norm = normalize_with_offsets(text)[0]
    _LAST = (text, norm)
    return norm


def normalize_with_offsets(text: str, fold_case: bool = True) -> tuple[str, list[int] | None]:
    """Normalise text; also return offsets[i] = index in text of the i-th result character.

    offsets is None when the result has the same length as text and character i of the result
    comes from character i of text (the common case, kept cheap). Otherwise it has one extra
    final entry, len(text), so that an end offset maps too.
    """
    table = _ONE_TO_ONE if fold_case else _KEEP_CASE
    if not unicodedata.is_normalized("NFC", text):
        return _slow_path(text, table)
    mapped = _translate(text, table)
    if _NEEDS_WORK.search(mapped) is None and (
        not fold_case or mapped.isascii() or mapped == mapped.lower()
    ):
        return mapped, None
    return _slow_path(text, table)


def _nfc_with_offsets(text: str) -> tuple[list[str], list[int]]:
    """NFC per run of characters that starts with a non-combining character."""
    chars: list[str] = []
    origin: list[int] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or unicodedata.combining(text[i]) == 0:
            run = text[start:i]
            for ch in unicodedata.normalize("NFC", run):
                chars.append(ch)
                origin.append(start)
            start = i
    return chars, origin


def _slow_path(text: str, table: dict[int, str]) -> tuple[str, list[int]]:
    if unicodedata.is_normalized("NFC", text):
        chars, origin = list(text), list(range(len(text)))
    else:
        chars, origin = _nfc_with_offsets(text)
    out: list[str] = []
    src: list[int] = []
    for ch, at in zip(chars, origin, strict=True):
        if ch in ZERO_WIDTH:
            continue
        ch = ch.translate(table)
        if table is _ONE_TO_ONE and not ch.isascii() and ch.lower() != ch:
            for low in ch.lower():
                out.append(low)
                src.append(at)
            continue
        _append(out, src, ch, at)
    src.append(len(text))
    return "".join(out), src


def _append(out: list[str], src: list[int], ch: str, at: int) -> None:
    """Append one character, repairing the Thai spelling errors it completes."""
    last = out[-1] if out else "\0"  # not "" : "" is "in" every string
    if ch == SARA_E and last == SARA_E:
        out[-1] = SARA_AE  # เ + เ typed for แ
        return
    if ch == SARA_AA and last == NIKHAHIT:
        out[-1] = SARA_AM  # ํ + า typed for ำ
        return
    if ch == SARA_AA and last in TONES and len(out) > 1 and out[-2] == NIKHAHIT:
        out[-2], out[-1] = last, SARA_AM  # ํ + tone + า -> tone + ำ
        return
    if ch in TONES and last == SARA_AM:
        out[-1] = ch  # ำ + tone -> tone + ำ (tone sits on the consonant)
        out.append(SARA_AM)
        src.append(at)  # offsets stay non-decreasing: the pair maps onto the same cluster
        return
    if ch in UPPER_LOWER_VOWELS and last in TONES:
        out[-1] = ch  # tone typed before its vowel
        out.append(last)
        src.append(at)
        return
    if ch in THAI_MARKS and ch == last:
        return  # a mark typed twice
    out.append(ch)
    src.append(at)


def is_thai(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e5b"


_SPACES = re.compile(r"[ \t\u00a0\u3000]+")  # none is a line break: a run stays inside a line


def tidy_whitespace(text: str) -> str:
    """Collapse runs of spaces inside lines and of blank lines, for stored display text."""
    lines = [line.strip() for line in _SPACES.sub(" ", text).splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
