"""Text and properties of a PDF, with a layout pass that keeps Thai intact.

pdfminer.six's own layout analysis (LAParams) breaks Thai: combining marks (tone marks, upper
and lower vowels) are zero-width glyphs, fail its same-line test and end up on lines of their
own (`ที\\n\\n่ดิน`), and multi-line paragraphs come out scrambled. So we ask pdfminer only for
the glyphs, in content-stream order (PDFPageAggregator with laparams=None), and do the layout
here:

1. each combining mark is attached to the base character before it (never placed by x/y);
2. base characters are grouped into lines by baseline, with a space inserted only where the
   PDF shows a real horizontal gap and has no space glyph;
3. lines are grouped into paragraphs by vertical gaps larger than the document's line pitch;
4. lines of a paragraph are joined with no space between two Thai characters (a Thai line
   wrap is not a word boundary) and with one space otherwise.

Characters are not mapped (no PUA mapping, no sara am repair): Thai normalisation is done
afterwards by kmsearch.engine.thai. Marked content is honoured: `/ActualText` replaces the text of
the glyphs it spans (LibreOffice writes one for every Thai sara am cluster) and `/Artifact`
content (running headers, page numbers of Tagged PDFs) is left out. Glyphs without any
Unicode mapping contribute no text.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kmsearch.indexer.document import Extracted, ExtractionError

# Thai combining marks: mai han-akat, the upper/lower vowels, phinthu, the tone marks and
# the other signs above, plus the shifted Private Use Area forms legacy Thai fonts emit
# (HarfBuzz hb-ot-shaper-thai.cc: Windows U+F701-U+F71A, Mac U+F884-U+F89D). U+F700/U+F89E
# (THO THAN) and U+F70F/U+F89A (YO YING) are descender-less *consonants*, so they are bases.
_THAI_MARKS = frozenset(
    [0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)]
    + [c for c in range(0xF701, 0xF71B) if c != 0xF70F]
    + [c for c in range(0xF884, 0xF89E) if c != 0xF89A]
)
_THAI_PUA = frozenset([*range(0xF700, 0xF71B), *range(0xF884, 0xF89F)])

_GAP_SPACE = 0.2  # a horizontal gap wider than this many font sizes is a space
_SAME_LINE = 0.3  # baselines closer than this many font sizes are on one line
_PARAGRAPH_GAP = 1.2  # a baseline gap this many times the line pitch starts a paragraph
_FULL_LINE = 0.85  # a page's last line this wide (of the text width) continues on the next
_MAX_BYTES_WITHOUT_EOF = 4096
_BULLETS = frozenset("•◦▪▫‣●○■□►➢✓")  # a line starting with one starts a list item


def is_combining(text: str) -> bool:
    """True for a glyph whose text is only combining marks (it belongs to the glyph before)."""
    return bool(text) and all(
        ord(ch) in _THAI_MARKS or unicodedata.category(ch) in ("Mn", "Me") for ch in text
    )


def is_thai(ch: str) -> bool:
    """True for a character of the Thai block (digits included) or a Thai PUA glyph."""
    return "\u0e00" <= ch <= "\u0e7f" or ord(ch) in _THAI_PUA


@dataclass
class _Line:
    """A line of text being assembled from glyphs in content-stream order."""

    baseline: float
    size: float
    x0: float
    x1: float
    parts: list[str] = field(default_factory=list)
    page: int = 0

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    @property
    def ends_with_space(self) -> bool:
        return bool(self.parts) and self.parts[-1][-1:].isspace()


def extract_pdf(path: str | Path, ocr=None) -> Extracted:
    """Extract the text (paragraphs separated by a blank line) and Title/Subject of a PDF.

    With ocr (indexer.ocr.OcrOptions) pages without a text layer that show an image (scans)
    are read by OCR and their text takes their place; without it they need OCR.
    """
    path = Path(path)
    _check_envelope(path)
    try:
        with path.open("rb") as fh:
            doc = _open_document(fh)
            properties = _properties(doc)
            lines, page_images, undecoded = _read_lines(doc)
    except (ExtractionError, MemoryError):
        raise
    except Exception as exc:  # pdfminer raises many kinds of errors on a broken file
        raise ExtractionError(f"damaged PDF: cannot be parsed ({_describe(exc)})") from exc
    decoded = sum(len(line.text) for line in lines)
    from kmsearch.indexer.ocr import missing_message

    can_ocr = ocr is not None and not missing_message()
    if undecoded > decoded:
        # Shaped text leaves a few glyphs unmapped (the 2nd glyph of a cluster); a font
        # without any Unicode mapping leaves almost all of them.
        if can_ocr:
            return _with_ocr(path, ocr, [], range(len(page_images)), len(page_images), properties)
        raise ExtractionError(
            "PDF text cannot be decoded: its fonts have no Unicode mapping (needs OCR)"
        )
    with_text = {line.page for line in lines if line.text}
    scanned = [n for n, images in enumerate(page_images) if images and n not in with_text]
    if scanned and can_ocr:
        return _with_ocr(path, ocr, lines, scanned, len(page_images), properties)
    if not decoded:
        if any(page_images):
            raise ExtractionError("scanned PDF with no text layer: needs OCR")
        raise ExtractionError("empty PDF: no text on any page")
    return Extracted(text=_paragraphs(lines), properties=properties, pages=len(page_images))


def _with_ocr(path, ocr, lines, scanned, total, properties) -> Extracted:
    """The document with the text of its scanned pages (0-based numbers) read by OCR."""
    from kmsearch.indexer.ocr import PageReader

    reader = PageReader(ocr, path)
    read = reader.pdf_pages([n + 1 for n in scanned], total)
    parts, run = [], []  # run: lines of consecutive pages with a text layer
    by_page = defaultdict(list)
    for line in lines:
        by_page[line.page].append(line)
    for number in range(total):
        if number + 1 in read:
            if run:
                parts.append(_paragraphs(run))
                run = []
            parts.append(read[number + 1])
        else:
            run.extend(by_page.get(number, []))
    if run:
        parts.append(_paragraphs(run))
    ocr_text = "\n\n".join(t for t in read.values() if t.strip())
    text = "\n\n".join(p for p in parts if p.strip())
    if not text.strip():
        raise ExtractionError("scanned PDF: OCR found no readable text on any page")
    return Extracted(text=text, properties=properties, ocr_text=ocr_text,
                     ocr_pages=len(read), pages=total, ocr_read=reader.read_now)


def _describe(exc: Exception) -> str:
    """A short plain description of a pdfminer parsing failure."""
    from pdfminer.psexceptions import PSEOF

    if isinstance(exc, PSEOF):
        return "unexpected end of data"
    text = str(exc).strip()
    if "/Root" in text:
        return "no document catalog"
    if "xref" in text.lower():
        return "broken cross-reference table"
    return text[:120] if text else type(exc).__name__


def _check_envelope(path: Path) -> None:
    """Refuse files that are not PDFs or were cut short, before pdfminer guesses at them."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(1024)
            fh.seek(max(0, size - _MAX_BYTES_WITHOUT_EOF))
            tail = fh.read()
    except OSError as exc:
        raise ExtractionError(f"cannot read file: {exc.strerror or exc}") from exc
    if b"%PDF-" not in head:
        raise ExtractionError("damaged PDF: cannot be parsed (not a PDF file)")
    if b"%%EOF" not in tail:
        raise ExtractionError("damaged PDF: cannot be parsed (file is truncated)")


def _open_document(fh):
    """Open the PDF, mapping password and encryption failures to plain reasons."""
    from kmsearch.indexer.pdf_limits import install
    from pdfminer.pdfdocument import (
        PDFDocument,
        PDFEncryptionError,
        PDFPasswordIncorrect,
    )
    from pdfminer.pdfparser import PDFParser

    install()  # pdfminer unpacks streams without a limit: bound it (pdf_limits.py)
    try:
        return PDFDocument(PDFParser(fh), password="")
    except PDFPasswordIncorrect as exc:
        raise ExtractionError("encrypted PDF: needs a password") from exc
    except PDFEncryptionError as exc:
        raise ExtractionError(f"encrypted PDF: unsupported encryption ({exc})") from exc


def decode_pdf_string(value: object, collapse: bool = True) -> str | None:
    """Decode a PDF text string: UTF-16 (BOM), UTF-8 (BOM, PDF 2.0) or PDFDocEncoding.

    With collapse (for document properties) whitespace runs become one space and an empty
    result is None.
    """
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral
    from pdfminer.utils import decode_text

    value = resolve1(value)
    if isinstance(value, PSLiteral):
        value = value.name
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes):
        if value.startswith(b"\xfe\xff"):
            text = value[2:].decode("utf-16-be", "replace")
        elif value.startswith(b"\xff\xfe"):
            text = value[2:].decode("utf-16-le", "replace")
        elif value.startswith(b"\xef\xbb\xbf"):
            text = value[3:].decode("utf-8", "replace")
        else:
            text = decode_text(value)
    else:
        return None
    text = text.replace("\x00", "")
    if not collapse:
        return text
    text = " ".join(text.split())
    return text or None


def _properties(doc) -> dict[str, object]:
    """Title and Subject (as "topic") of the document information dictionary."""
    properties: dict[str, object] = {}
    for info in doc.info:
        for key, name in (("Title", "title"), ("Subject", "topic")):
            if key in info and name not in properties:
                text = decode_pdf_string(info[key])
                if text:
                    properties[name] = text
    return properties


@dataclass
class _Tag:
    """An open marked-content sequence: its tag name and any /ActualText replacement."""

    name: str
    actual_text: str | None = None
    used: bool = False


def _aggregator_class():
    """A PDFPageAggregator that honours marked content and drops unmapped glyphs.

    - glyphs inside `/Artifact` sequences (pagination, headers) are flagged as not content;
    - glyphs inside a sequence with `/ActualText` (PDF 1.5, e.g. LibreOffice writes one
      for each Thai sara am cluster) read as that text: the first glyph carries it, the
      others carry none but keep their place on the line.
    """
    from pdfminer.converter import PDFPageAggregator

    class GlyphAggregator(PDFPageAggregator):
        def __init__(self, rsrcmgr) -> None:
            super().__init__(rsrcmgr, laparams=None)
            self.tags: list[_Tag] = []
            self.undecoded = 0

        def begin_tag(self, tag, props=None) -> None:
            from pdfminer.pdftypes import resolve1

            props = resolve1(props)
            actual = None
            if isinstance(props, dict) and "ActualText" in props:
                actual = decode_pdf_string(props["ActualText"], collapse=False) or ""
            self.tags.append(_Tag(getattr(tag, "name", str(tag)), actual))

        def end_tag(self) -> None:
            if self.tags:
                self.tags.pop()

        def handle_undefined_char(self, font, cid) -> str:
            # A glyph with no Unicode mapping: with shaped text it is the 2nd glyph of a
            # cluster whose text is on the 1st (e.g. the sara aa of a decomposed sara am).
            self.undecoded += 1
            return ""

        def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate):
            before = len(self.cur_item._objs)
            advance = super().render_char(
                matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate
            )
            if len(self.cur_item._objs) > before:
                char = self.cur_item._objs[-1]
                if any(t.name == "Artifact" for t in self.tags):
                    char.kmsearch_artifact = True
                replacing = next((t for t in reversed(self.tags) if t.actual_text is not None),
                                 None)
                if replacing is not None:
                    char.kmsearch_text = "" if replacing.used else replacing.actual_text
                    replacing.used = True
            return advance

    return GlyphAggregator


def _char_text(char) -> str:
    """The text of a glyph: its /ActualText replacement if any, else pdfminer's mapping."""
    text = getattr(char, "kmsearch_text", None)
    return char.get_text() if text is None else text


def _walk(items) -> Iterator[object]:
    """Layout objects in drawing order, descending into figures (form XObjects)."""
    from pdfminer.layout import LTFigure

    for item in items:
        yield item
        if isinstance(item, LTFigure):
            yield from _walk(item)


def _read_lines(doc) -> tuple[list[_Line], list[int], int]:
    """All text lines of the document in reading order, images per page, undecoded glyphs.

    Raises ExtractionError for a document without pages or with a page whose content
    stream cannot be decompressed (pdfminer silently reads such a page as empty).
    """
    from pdfminer.layout import LTChar, LTImage
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    rsrc = PDFResourceManager(caching=True)
    device = _aggregator_class()(rsrc)
    interpreter = PDFPageInterpreter(rsrc, device)
    lines: list[_Line] = []
    images: list[int] = []
    number = -1
    for number, page in enumerate(PDFPage.create_pages(doc)):
        if _content_damaged(page):
            raise ExtractionError(
                f"damaged PDF: cannot be parsed (content of page {number + 1} is corrupt)"
            )
        device.tags.clear()
        interpreter.process_page(page)
        glyphs = []
        images.append(0)
        for item in _walk(device.get_result()):
            if isinstance(item, LTImage):
                images[-1] += 1
            elif isinstance(item, LTChar) and not getattr(item, "kmsearch_artifact", False):
                glyphs.append(item)
        lines.extend(_group_lines(glyphs, number))
    if number < 0:
        raise ExtractionError("damaged PDF: cannot be parsed (no pages found)")
    return lines, images, device.undecoded


def _content_damaged(page) -> bool:
    """True when a content stream of the page has data that decompresses to nothing."""
    from pdfminer.pdftypes import PDFStream, resolve1

    for stream in page.contents:
        stream = resolve1(stream)
        if isinstance(stream, PDFStream) and stream.rawdata and not stream.get_data():
            return True
    return False


def _baseline(char) -> float:
    a, b, c, d, e, f = char.matrix
    return f if b == 0 and c == 0 else char.y0


def _group_lines(glyphs, page: int) -> list[_Line]:
    """Group glyphs (content-stream order) into lines; marks stick to the glyph before."""
    lines: list[_Line] = []
    line: _Line | None = None
    pending_marks = ""
    for char in glyphs:
        text = _char_text(char)
        if not text:
            # An unmapped glyph still takes room: it must not be read as a gap later.
            if line is not None and abs(_baseline(char) - line.baseline) <= _SAME_LINE * line.size:
                line.x1 = max(line.x1, char.x1)
            continue
        if is_combining(text):
            if line is not None and line.parts:
                line.parts[-1] += text
            else:
                pending_marks += text  # a mark before any base: keep it for the next base
            continue
        size = max(char.size, 1.0)
        base = _baseline(char)
        same_line = (
            line is not None
            and abs(base - line.baseline) <= _SAME_LINE * max(size, line.size)
            and char.x0 >= line.x1 - 0.5 * max(size, line.size)
        )
        if not same_line:
            line = _Line(baseline=base, size=size, x0=char.x0, x1=char.x1, page=page)
            lines.append(line)
        else:
            gap = char.x0 - line.x1
            if (gap > _GAP_SPACE * max(size, line.size) and not text.isspace()
                    and not line.ends_with_space):
                line.parts.append(" ")
            line.size = max(line.size, size) if text.strip() else line.size
            line.x1 = max(line.x1, char.x1)
        # Marks drawn before their base (some generators do) follow its first character.
        line.parts.append(text[:1] + pending_marks + text[1:])
        pending_marks = ""
    return [ln for ln in lines if "".join(ln.parts).strip()]


def _size_key(size: float) -> float:
    return round(size * 2) / 2


def _line_pitches(lines: list[_Line]) -> dict[float, float]:
    """The line pitch (baseline to baseline, in font sizes) of each font size in the document.

    The smallest gap between consecutive lines of one size is a line wrap inside a paragraph;
    paragraph breaks are larger. Sizes seen only in single lines borrow the body text's pitch.
    """
    ratios: dict[float, list[float]] = defaultdict(list)
    counts: dict[float, int] = defaultdict(int)
    for prev, line in zip(lines, lines[1:], strict=False):
        counts[_size_key(line.size)] += 1
        if prev.page != line.page or not _same_size(prev, line):
            continue
        ratio = (prev.baseline - line.baseline) / line.size
        if 0.9 <= ratio <= 3.0:
            ratios[_size_key(line.size)].append(ratio)
    pitches = {key: min(values) for key, values in ratios.items()}
    body = max(counts, key=counts.get) if counts else None
    default = pitches.get(body, 1.2) if body is not None else 1.2
    return defaultdict(lambda: default, pitches)


def _same_size(a: _Line, b: _Line) -> bool:
    return abs(a.size - b.size) <= 0.04 * max(a.size, b.size)


def _starts_paragraph(prev: _Line, line: _Line, pitches, right_edge: dict[int, float]) -> bool:
    """Whether `line` starts a new paragraph after `prev`."""
    if not _same_size(prev, line):
        return True
    if prev.page != line.page:
        # A paragraph continues on the next page only if the page's last line was full and
        # the next line is not outdented (a list item's first line starts left of the
        # wrapped lines of the item before).
        if line.x0 < prev.x0 - 0.5 * line.size:
            return True
        left = min(prev.x0, line.x0)
        width = right_edge.get(prev.page, prev.x1) - left
        return width <= 0 or (prev.x1 - left) < _FULL_LINE * width
    gap = prev.baseline - line.baseline
    if gap <= 0 or line.text[:1] in _BULLETS:
        return True
    return gap > _PARAGRAPH_GAP * pitches[_size_key(line.size)] * line.size


def _join(left: str, right: str, space_before: bool) -> str:
    """Join two wrapped lines: no space between two Thai characters, one space otherwise."""
    if not left:
        return right
    if space_before or not (is_thai(left[-1]) and is_thai(right[0])):
        return f"{left} {right}"
    return left + right


def _paragraphs(lines: list[_Line]) -> str:
    """Lines -> paragraphs separated by a blank line."""
    lines = [ln for ln in lines if ln.text]
    pitches = _line_pitches(lines)
    right_edge: dict[int, float] = {}
    for ln in lines:
        right_edge[ln.page] = max(right_edge.get(ln.page, ln.x1), ln.x1)
    paragraphs: list[str] = []
    current = ""
    for prev, line in zip([None, *lines], lines, strict=False):
        if prev is None or _starts_paragraph(prev, line, pitches, right_edge):
            if current:
                paragraphs.append(current)
            current = line.text
        else:
            current = _join(current, line.text, prev.ends_with_space)
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)
