"""Build the bundled corpus: corpus_sources/<division>/*.md -> corpus/<division>/<stem>.<ext>.

Each source is Markdown with YAML front matter (see corpus_sources/README.md). The front
matter names the file a municipality would really have (`output`: pdf, docx, md, txt, html)
and where its metadata travels (`metadata`: sidecar, frontmatter, properties), so the indexer
is exercised on every format and every metadata route of the CLI contract.

    .venv/bin/python scripts/build_corpus.py            # build, one line per file
    .venv/bin/python scripts/build_corpus.py --check    # exit 1 if corpus/ is out of date

Output is deterministic (fixed dates taken from `updated`, sorted zip entries), so a rebuild
of unchanged sources writes nothing and git sees no churn. corpus/<division>/ holds only
generated files: a file there that no source produces any more is removed (and reported;
`--check` reports it as an orphan). corpus/knowledge-map.csv and corpus/everyday-terms.txt (edited
by hand) are not touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import io
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import yaml
from fpdf import FPDF

REPO = Path(__file__).resolve().parents[1]
SOURCES_DIR = REPO / "corpus_sources"
CORPUS_DIR = REPO / "corpus"

MUNICIPALITY = "เทศบาลตำบลประจันตคาม"
MUNICIPALITY_ADDRESS = "อำเภอประจันตคาม จังหวัดปราจีนบุรี"
BANGKOK = dt.timezone(dt.timedelta(hours=7))

METADATA_KEYS = (
    "title", "topic", "division", "expert", "audience", "doc_type", "updated", "superseded_by",
)
BUILD_KEYS = ("output", "metadata", "digits", "encoding")
REQUIRED_KEYS = ("title", "topic", "division", "expert", "audience", "doc_type", "updated",
                 "output", "metadata")
OUTPUTS = ("pdf", "docx", "md", "txt", "html")
METADATA_ROUTES = {
    "pdf": ("sidecar", "properties"),
    "docx": ("sidecar", "properties"),
    "md": ("sidecar", "frontmatter"),
    "txt": ("sidecar", "frontmatter"),
    "html": ("sidecar",),
}
AUDIENCES = ("public", "staff")
DOC_TYPES = ("manual", "guide", "form", "regulation", "plan", "note", "report")
ENCODINGS = ("utf-8", "utf-8-sig", "cp874")
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
ARABIC_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
BULLET = "•"


class SourceError(Exception):
    """A source file cannot be built; the message names the problem."""


# --------------------------------------------------------------------------------------------
# Markdown subset: headings, paragraphs, bullets, numbered lists (pure functions)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """One block of a document: a heading, a paragraph or a list item.

    kind is "heading" (level 1-3), "paragraph", "bullet" or "number" (level = nesting depth,
    marker = the number as written, e.g. "3." or "๓.").
    """

    kind: str
    text: str
    level: int = 0
    marker: str = ""


_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_BULLET_ITEM = re.compile(r"^([ \t]*)[-*+][ \t]+(.*)$")
_NUMBER_ITEM = re.compile(r"^([ \t]*)([0-9๐-๙]{1,3})([.)])[ \t]+(.*)$")
_INLINE = (
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # [text](url) -> text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # **bold**
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),  # *italic*
    (re.compile(r"`([^`]*)`"), r"\1"),  # `code`
)


def strip_inline(text: str) -> str:
    """Remove inline Markdown markers (emphasis, code, links) and collapse spaces."""
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return " ".join(text.split())


def parse_markdown(text: str) -> list[Block]:
    """Parse the Markdown subset of corpus sources into blocks.

    Consecutive non-blank lines form one paragraph (joined by a space, as Markdown renders
    a soft line break); a line right after a list item continues that item.
    """
    blocks: list[Block] = []
    kind, level, marker, parts = "", 0, "", []

    def flush() -> None:
        nonlocal kind, parts
        if kind:
            blocks.append(Block(kind, strip_inline(" ".join(parts)), level, marker))
        kind, parts = "", []

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if m := _HEADING.match(line):
            flush()
            blocks.append(Block("heading", strip_inline(m.group(2)), min(len(m.group(1)), 3)))
        elif m := _BULLET_ITEM.match(line):
            flush()
            kind, level, marker, parts = "bullet", _depth(m.group(1)), "", [m.group(2)]
        elif m := _NUMBER_ITEM.match(line):
            flush()
            kind, level, parts = "number", _depth(m.group(1)), [m.group(4)]
            marker = m.group(2) + m.group(3)
        elif kind:
            parts.append(line.strip())
        else:
            kind, level, marker, parts = "paragraph", 0, "", [line.strip()]
    flush()
    return [b for b in blocks if b.text]


def _depth(indent: str) -> int:
    """List nesting depth from the indentation before a list marker (2 spaces a level)."""
    return min(len(indent.expandtabs(4)) // 2, 3)


def block_lines(blocks: Iterable[Block], bullet: str = BULLET) -> list[str]:
    """The text of each block as a reader sees it: list markers kept, no Markdown syntax."""
    lines = []
    for b in blocks:
        if b.kind == "bullet":
            lines.append(f"{bullet} {b.text}")
        elif b.kind == "number":
            lines.append(f"{b.marker} {b.text}")
        else:
            lines.append(b.text)
    return lines


def plain_text(blocks: Iterable[Block]) -> str:
    """Blocks as plain text, one blank line between blocks (what an extractor should return)."""
    return "\n\n".join(block_lines(blocks))


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------

@dataclass
class Source:
    """A parsed corpus source: metadata, build instructions and body blocks."""

    path: Path
    division: str
    stem: str
    meta: dict[str, object]
    build: dict[str, str]
    body: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def output(self) -> str:
        """The output format (pdf, docx, md, txt, html)."""
        return self.build["output"]

    @property
    def route(self) -> str:
        """Where the metadata travels (sidecar, frontmatter, properties)."""
        return self.build["metadata"]

    @property
    def filename(self) -> str:
        """File name of the generated document."""
        return f"{self.stem}.{self.output}"

    @property
    def relpath(self) -> str:
        """Corpus path of the generated document, as knowledge-base paths are written."""
        return f"{self.division}/{self.filename}"

    @property
    def date(self) -> dt.datetime:
        """A fixed timestamp for file metadata: the `updated` date, 09:00 Bangkok time."""
        day = self.meta["updated"]
        assert isinstance(day, dt.date)
        return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=BANGKOK)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def split_front_matter(text: str) -> tuple[dict, str]:
    """Split `---` YAML front matter from the body; ({}, text) when there is none."""
    m = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not m:
        return {}, text
    data = yaml.safe_load(m.group(1)) or {}
    if not isinstance(data, dict):
        raise SourceError("front matter is not a YAML mapping")
    return data, text.lstrip("\ufeff")[m.end():]


def read_source(path: Path) -> Source:
    """Read and validate one source file."""
    try:
        front, body = split_front_matter(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SourceError(f"unreadable front matter: {exc}") from exc
    if not front:
        raise SourceError("no YAML front matter")
    missing = [k for k in REQUIRED_KEYS if front.get(k) in (None, "", [])]
    if missing:
        raise SourceError(f"front matter lacks {', '.join(missing)}")
    unknown = sorted(set(front) - set(METADATA_KEYS) - set(BUILD_KEYS))
    if unknown:
        raise SourceError(f"unknown front matter keys: {', '.join(unknown)}")
    output, route = str(front["output"]), str(front["metadata"])
    if output not in OUTPUTS:
        raise SourceError(f"output must be one of {', '.join(OUTPUTS)}, not {output!r}")
    if route not in METADATA_ROUTES[output]:
        raise SourceError(f"metadata: {route} is not possible for output: {output}")
    if front["audience"] not in AUDIENCES:
        raise SourceError(f"audience must be public or staff, not {front['audience']!r}")
    if front["doc_type"] not in DOC_TYPES:
        raise SourceError(f"doc_type {front['doc_type']!r} is not one of {', '.join(DOC_TYPES)}")
    if not isinstance(front["updated"], dt.date) or isinstance(front["updated"], dt.datetime):
        raise SourceError("updated must be an ISO date (YYYY-MM-DD)")
    encoding = str(front.get("encoding") or "utf-8")
    if encoding not in ENCODINGS:
        raise SourceError(f"encoding must be one of {', '.join(ENCODINGS)}")
    digits = str(front.get("digits") or "arabic")
    if digits not in ("thai", "arabic"):
        raise SourceError("digits must be thai or arabic")
    if front["division"] != path.parent.name:
        raise SourceError(f"division {front['division']!r} differs from folder {path.parent.name!r}")
    if route == "properties" and front.get("superseded_by"):
        raise SourceError("superseded_by cannot travel in document properties: use a sidecar")
    expert = front["expert"]
    if isinstance(expert, str):
        expert = [e.strip() for e in expert.split("/") if e.strip()]
    meta = {k: front[k] for k in METADATA_KEYS if front.get(k) not in (None, "")}
    meta["expert"] = list(expert)
    build = {"output": output, "metadata": route, "digits": digits, "encoding": encoding}
    blocks = parse_markdown(body)
    if not blocks or blocks[0].kind != "heading" or blocks[0].level != 1:
        raise SourceError("body must start with a `# ` title heading")
    return Source(path, path.parent.name, path.stem, meta, build, body, blocks)


def find_sources(root: Path = SOURCES_DIR) -> list[Path]:
    """Every source file: corpus_sources/<division>/*.md (README and queries/ excluded)."""
    return sorted(p for p in root.glob("*/*.md") if p.parent.name != "queries")


# --------------------------------------------------------------------------------------------
# Metadata renderings
# --------------------------------------------------------------------------------------------

def metadata_yaml(meta: dict[str, object]) -> str:
    """Metadata as YAML text, keys in contract order (used for sidecars and front matter)."""
    ordered = {k: meta[k] for k in METADATA_KEYS if k in meta}
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=1000)


def render_sidecar(source: Source) -> bytes:
    """The `<file name>.meta.yaml` sidecar (always UTF-8)."""
    return metadata_yaml(source.meta).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Thai line breaking
# --------------------------------------------------------------------------------------------

def _is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


_NO_BREAK_BEFORE = set("ๆฯ")


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    from pythainlp.tokenize import word_tokenize

    return tuple(word_tokenize(text, engine="newmm", keep_whitespace=True))


def break_units(text: str) -> list[str]:
    """Split text into unbreakable units; a line may break only between two units.

    Breaks are allowed after whitespace (the space stays at the end of the line, as word
    processors do) and between two Thai words from newmm. Never inside a word, and never
    between Thai and Latin/digits/punctuation written without a space, so a reader of the
    PDF can tell a Thai line wrap (no space) from a real space.
    """
    units: list[str] = []
    for tok in _tokens(" ".join(text.split())):
        if not units:
            units.append(tok)
            continue
        prev = units[-1]
        breakable = prev[-1].isspace() or (
            _is_thai(prev[-1]) and _is_thai(tok[0]) and tok[0] not in _NO_BREAK_BEFORE
        )
        if tok.isspace() or not breakable:
            units[-1] = prev + tok
        else:
            units.append(tok)
    return units


def wrap_text(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy line wrapping of text into lines no wider than width (trailing spaces kept).

    measure(s) gives the rendered width of s. A unit wider than a whole line is cut between
    characters (never before a combining mark) as a last resort.
    """
    lines: list[str] = []
    current = ""
    for unit in break_units(text):
        candidate = current + unit
        if not current or measure(candidate.rstrip()) <= width:
            current = candidate
        else:
            lines.append(current)
            current = unit
        while measure(current.rstrip()) > width and len(current.rstrip()) > 1:
            head, current = _cut(current, width, measure)
            lines.append(head)
    if current:
        lines.append(current)
    return lines


def _cut(text: str, width: float, measure: Callable[[str], float]) -> tuple[str, str]:
    """Cut an over-long unit at the last character boundary that fits."""
    import unicodedata

    cut = 1
    for i in range(1, len(text)):
        if unicodedata.category(text[i]) in ("Mn", "Me"):
            continue
        if measure(text[:i]) > width:
            break
        cut = i
    return text[:cut], text[cut:]


# --------------------------------------------------------------------------------------------
# PDF (fpdf2 + Sarabun, HarfBuzz shaping)
# --------------------------------------------------------------------------------------------

PDF_MARGIN_LEFT, PDF_MARGIN_RIGHT, PDF_MARGIN_TOP, PDF_MARGIN_BOTTOM = 25.0, 20.0, 22.0, 22.0
PDF_BODY_PT = 12.0
PDF_HEADING_PT = {1: 18.0, 2: 14.5, 3: 13.0}
PDF_LEADING = 1.5  # line pitch as a multiple of the font size (room for stacked Thai marks)
PDF_LIST_INDENT = 6.0  # mm per nesting level
PT = 25.4 / 72  # mm per point


def sarabun_path(style: str = "Regular") -> Path:
    """The Sarabun TTF shipped by fontpkg-sarabun."""
    import fontpkg_sarabun

    return Path(fontpkg_sarabun.ROOT) / "files" / f"Sarabun-{style}.ttf"


class CorpusPDF(FPDF):
    """fpdf2 document whose running header and page numbers are pagination artifacts.

    They are drawn inside `/Artifact` marked content, so a text extractor that honours
    Tagged-PDF artifacts (indexer.pdf does) leaves them out of the document text.
    """

    def __init__(self, header_text: str = "", digits: str = "arabic") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.header_text = header_text
        self.digits = digits

    @contextmanager
    def artifact(self, subtype: str) -> Iterator[None]:
        """Wrap drawing in `/Artifact BDC ... EMC` (pagination artifact, not content)."""
        self._out(f"/Artifact <</Type /Pagination /Subtype /{subtype}>> BDC")
        yield
        self._out("EMC")

    def header(self) -> None:
        if self.header_text:
            with self.artifact("Header"):
                self.set_font("Sarabun", "", 8.5)
                self.set_text_color(110)
                self.set_xy(self.l_margin, 10)
                self.cell(w=self.epw, h=5, text=self.header_text, align="R")
                self.set_text_color(0)

    def footer(self) -> None:
        number = str(self.page_no())
        if self.digits == "thai":
            number = number.translate(THAI_DIGITS)
        with self.artifact("Footer"):
            self.set_font("Sarabun", "", 9)
            self.set_text_color(110)
            self.set_xy(self.l_margin, self.h - 14)
            self.cell(w=self.epw, h=5, text=f"หน้า {number}", align="C")
            self.set_text_color(0)


def new_pdf(header: str = "", footer_digits: str = "arabic") -> CorpusPDF:
    """An A4 document with Sarabun regular/bold and HarfBuzz shaping for Thai."""
    pdf = CorpusPDF(header, footer_digits)
    pdf.add_font("Sarabun", "", str(sarabun_path("Regular")))
    pdf.add_font("Sarabun", "B", str(sarabun_path("Bold")))
    pdf.set_text_shaping(use_shaping_engine=True, script="thai", language="THA")
    pdf.set_margins(PDF_MARGIN_LEFT, PDF_MARGIN_TOP, PDF_MARGIN_RIGHT)
    pdf.set_auto_page_break(False)
    pdf.set_lang("th")
    pdf.c_margin = 0
    return pdf


class PdfWriter:
    """Lays out blocks on A4 pages: wraps Thai at word boundaries, breaks pages itself."""

    def __init__(self, pdf: CorpusPDF) -> None:
        self.pdf = pdf
        self.y = 0.0
        self.bottom = pdf.h - PDF_MARGIN_BOTTOM

    def new_page(self) -> None:
        """Start a page and put the cursor at the top margin."""
        self.pdf.add_page()
        self.y = PDF_MARGIN_TOP

    def ensure(self, height: float) -> None:
        """Break the page unless `height` mm still fit above the bottom margin."""
        if self.y + height > self.bottom:
            self.new_page()

    def write_blocks(self, blocks: list[Block]) -> None:
        """Draw every block, headings kept with the first lines of what follows."""
        self.new_page()
        for i, block in enumerate(blocks):
            if block.kind == "heading":
                size = PDF_HEADING_PT[block.level]
                before = 0.0 if i == 0 else size * PT * 0.8
                lines = self._wrap(block.text, "B", size, self.pdf.epw)
                pitch = size * PT * PDF_LEADING
                keep = before + pitch * len(lines) + 2 * PDF_BODY_PT * PT * PDF_LEADING
                if self.y + keep > self.bottom:
                    self.new_page()
                else:
                    self.y += before
                self._draw_lines(lines, "B", size, PDF_MARGIN_LEFT)
                self.y += size * PT * 0.35
            elif block.kind == "paragraph":
                lines = self._wrap(block.text, "", PDF_BODY_PT, self.pdf.epw)
                self._draw_lines(lines, "", PDF_BODY_PT, PDF_MARGIN_LEFT)
                self.y += PDF_BODY_PT * PT * 0.75
            else:
                self._draw_item(block)
                self.y += PDF_BODY_PT * PT * 0.5

    def _measure(self, style: str, size: float) -> Callable[[str], float]:
        pdf = self.pdf

        def measure(s: str) -> float:
            pdf.set_font("Sarabun", style, size)
            return pdf.get_string_width(s)

        return measure

    def _wrap(self, text: str, style: str, size: float, width: float) -> list[str]:
        return wrap_text(text, width, self._measure(style, size))

    def _draw_lines(self, lines: list[str], style: str, size: float, x: float,
                    marker: str = "", marker_x: float = 0.0) -> None:
        pitch = size * PT * PDF_LEADING
        for n, line in enumerate(lines):
            self.ensure(pitch)
            self.pdf.set_font("Sarabun", style, size)
            if marker and n == 0:
                self.pdf.set_xy(marker_x, self.y)
                self.pdf.cell(w=x - marker_x, h=pitch, text=marker)
            self.pdf.set_xy(x, self.y)
            self.pdf.cell(w=self.pdf.get_string_width(line), h=pitch, text=line)
            self.y += pitch

    def _draw_item(self, block: Block) -> None:
        marker = BULLET if block.kind == "bullet" else block.marker
        marker_x = PDF_MARGIN_LEFT + 2.0 + PDF_LIST_INDENT * block.level
        measure = self._measure("", PDF_BODY_PT)
        gap = 4.0 if block.kind == "bullet" else 2.0
        text_x = marker_x + max(measure(marker) + gap, 5.0)
        lines = wrap_text(block.text, PDF_MARGIN_LEFT + self.pdf.epw - text_x, measure)
        self._draw_lines(lines, "", PDF_BODY_PT, text_x, marker, marker_x)


def render_pdf(source: Source) -> bytes:
    """The PDF of a source: real text layer, Title always, Subject with `properties`."""
    pdf = new_pdf(header=f"{MUNICIPALITY} · {source.division}",
                  footer_digits=source.build["digits"])
    pdf.set_title(str(source.meta["title"]))
    if source.route == "properties":
        pdf.set_subject(str(source.meta["topic"]))
    pdf.set_author(f"{source.division} {MUNICIPALITY}")
    pdf.set_creator("kmsearch scripts/build_corpus.py")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(source.date)
    PdfWriter(pdf).write_blocks(source.blocks)
    return bytes(pdf.output())


# --------------------------------------------------------------------------------------------
# DOCX (hand-made WordprocessingML)
# --------------------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
DOCX_FONT = "Sarabun"
ZIP_DATE = (2020, 1, 1, 0, 0, 0)

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    """Escape text for XML content and attributes (and drop characters XML forbids)."""
    return xml_escape(_XML_INVALID.sub("", text), {'"': "&quot;"})


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{_x(text)}</w:t></w:r>'


def docx_paragraph(block: Block) -> str:
    """One w:p for a block: Heading styles, bullets via numbering, typed numbers + tab."""
    if block.kind == "heading":
        return f'<w:p><w:pPr><w:pStyle w:val="Heading{block.level}"/></w:pPr>{_run(block.text)}</w:p>'
    if block.kind == "bullet":
        return ('<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr>'
                f'<w:ilvl w:val="{block.level}"/><w:numId w:val="1"/></w:numPr></w:pPr>'
                f"{_run(block.text)}</w:p>")
    if block.kind == "number":
        left = 720 + 360 * block.level
        return ('<w:p><w:pPr><w:pStyle w:val="ListParagraph"/>'
                f'<w:tabs><w:tab w:val="left" w:pos="{left}"/></w:tabs>'
                f'<w:ind w:left="{left}" w:hanging="426"/></w:pPr>'
                f"{_run(block.marker)}<w:r><w:tab/></w:r>{_run(block.text)}</w:p>")
    return f"<w:p>{_run(block.text)}</w:p>"


def docx_parts(blocks: list[Block], title: str, subject: str | None, when: dt.datetime,
               footer: str = MUNICIPALITY) -> dict[str, str]:
    """The parts of a minimal, valid .docx (name -> XML text)."""
    body = "".join(docx_paragraph(b) for b in blocks)
    document = (
        f'{XML_DECL}<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{body}'
        '<w:sectPr><w:footerReference w:type="default" r:id="rIdFooter1"/>'
        '<w:pgSz w:w="11906" w:h="16838"/>'
        '<w:pgMar w:top="1247" w:right="1134" w:bottom="1247" w:left="1701" w:header="709"'
        ' w:footer="709" w:gutter="0"/></w:sectPr></w:body></w:document>'
    )
    lang = '<w:lang w:val="th-TH" w:eastAsia="en-US" w:bidi="th-TH"/>'
    fonts = f'<w:rFonts w:ascii="{DOCX_FONT}" w:hAnsi="{DOCX_FONT}" w:cs="{DOCX_FONT}"/>'

    def heading(level: int, half_points: int, before: int) -> str:
        return (
            f'<w:style w:type="paragraph" w:styleId="Heading{level}">'
            f'<w:name w:val="heading {level}"/><w:basedOn w:val="Normal"/>'
            '<w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/>'
            f'<w:pPr><w:keepNext/><w:spacing w:before="{before}" w:after="120"/>'
            f'<w:outlineLvl w:val="{level - 1}"/></w:pPr>'
            f'<w:rPr><w:b/><w:bCs/><w:sz w:val="{half_points}"/>'
            f'<w:szCs w:val="{half_points}"/></w:rPr></w:style>'
        )

    styles = (
        f'{XML_DECL}<w:styles xmlns:w="{W_NS}">'
        f"<w:docDefaults><w:rPrDefault><w:rPr>{fonts}"
        f'<w:sz w:val="24"/><w:szCs w:val="24"/>{lang}</w:rPr></w:rPrDefault>'
        '<w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="300" w:lineRule="auto"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal">'
        '<w:name w:val="Normal"/><w:qFormat/></w:style>'
        + heading(1, 36, 0) + heading(2, 29, 240) + heading(3, 26, 200)
        + '<w:style w:type="paragraph" w:styleId="ListParagraph">'
        '<w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="34"/>'
        '<w:qFormat/><w:pPr><w:spacing w:after="60"/><w:ind w:left="720"/></w:pPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/>'
        '<w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/></w:pPr>'
        '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>'
        "</w:styles>"
    )
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
        f'<w:lvlText w:val="{BULLET}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{720 + 360 * i}" w:hanging="360"/></w:pPr></w:lvl>'
        for i in range(4)
    )
    numbering = (
        f'{XML_DECL}<w:numbering xmlns:w="{W_NS}">'
        f'<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="hybridMultilevel"/>'
        f'{levels}</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        "</w:numbering>"
    )
    footer_xml = (
        f'{XML_DECL}<w:ftr xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:p><w:pPr>'
        f'<w:pStyle w:val="Footer"/></w:pPr>{_run(footer + "  หน้า ")}'
        '<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>'
    )
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    subject_xml = f"<dc:subject>{_x(subject)}</dc:subject>" if subject else ""
    core = (
        f"{XML_DECL}<cp:coreProperties"
        ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_x(title)}</dc:title>{subject_xml}<dc:creator>{_x(MUNICIPALITY)}</dc:creator>"
        f"<dc:language>th-TH</dc:language>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )
    app = (
        f'{XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes"><Application>kmsearch build_corpus</Application><DocSecurity>0'
        f"</DocSecurity><Company>{_x(MUNICIPALITY)}</Company></Properties>"
    )
    ct = "application/vnd.openxmlformats-officedocument"
    content_types = (
        f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{ct}.wordprocessingml.'
        'document.main+xml"/>'
        f'<Override PartName="/word/styles.xml" ContentType="{ct}.wordprocessingml.styles+xml"/>'
        f'<Override PartName="/word/numbering.xml" ContentType="{ct}.wordprocessingml.'
        'numbering+xml"/>'
        f'<Override PartName="/word/footer1.xml" ContentType="{ct}.wordprocessingml.footer+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/>'
        "</Types>"
    )
    package_rels = (
        f'{XML_DECL}<Relationships xmlns="{PKG_RELS_NS}">'
        f'<Relationship Id="rId1" Type="{OFFICE_RELS}/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{OFFICE_RELS}/extended-properties" '
        'Target="docProps/app.xml"/></Relationships>'
    )
    document_rels = (
        f'{XML_DECL}<Relationships xmlns="{PKG_RELS_NS}">'
        f'<Relationship Id="rIdStyles" Type="{OFFICE_RELS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rIdNumbering" Type="{OFFICE_RELS}/numbering" Target="numbering.xml"/>'
        f'<Relationship Id="rIdFooter1" Type="{OFFICE_RELS}/footer" Target="footer1.xml"/>'
        "</Relationships>"
    )
    return {
        "[Content_Types].xml": content_types,
        "_rels/.rels": package_rels,
        "docProps/app.xml": app,
        "docProps/core.xml": core,
        "word/_rels/document.xml.rels": document_rels,
        "word/document.xml": document,
        "word/footer1.xml": footer_xml,
        "word/numbering.xml": numbering,
        "word/styles.xml": styles,
    }


def zip_parts(parts: dict[str, str | bytes]) -> bytes:
    """A deterministic zip: sorted entries, fixed timestamps and attributes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(parts):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            data = parts[name]
            zf.writestr(info, data.encode("utf-8") if isinstance(data, str) else data,
                        compresslevel=9)
    return buf.getvalue()


def render_docx(source: Source) -> bytes:
    """The .docx of a source: dc:title always, dc:subject with `properties`."""
    subject = str(source.meta["topic"]) if source.route == "properties" else None
    return zip_parts(docx_parts(source.blocks, str(source.meta["title"]), subject, source.date,
                                footer=f"{MUNICIPALITY} {source.division}"))


# --------------------------------------------------------------------------------------------
# Markdown, plain text, HTML
# --------------------------------------------------------------------------------------------

def _body_markdown(source: Source) -> str:
    return source.body.strip("\n") + "\n"


def render_md(source: Source) -> bytes:
    """Markdown; front matter with metadata keys only when metadata: frontmatter."""
    body = _body_markdown(source)
    if source.route == "frontmatter":
        body = f"---\n{metadata_yaml(source.meta)}---\n\n{body}"
    return body.encode("utf-8")


def text_lines(blocks: list[Block]) -> list[str]:
    """Plain-text lines of the blocks: no '#', bullets as '- ', numbered lists kept."""
    lines: list[str] = []
    for b, shown in zip(blocks, block_lines(blocks, bullet="-"), strict=True):
        indent = "  " * b.level if b.kind in ("bullet", "number") else ""
        lines.append(indent + shown)
        lines.append("")
    return lines[:-1]


def render_txt(source: Source) -> bytes:
    """Plain text in the source's encoding; CRLF for cp874 (a legacy Windows file)."""
    lines = text_lines(source.blocks)
    if source.route == "frontmatter":
        lines = ["---", *metadata_yaml(source.meta).splitlines(), "---", "", *lines]
    newline = "\r\n" if source.build["encoding"] == "cp874" else "\n"
    text = newline.join(lines) + newline
    try:
        return text.encode(source.build["encoding"])
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start:exc.end]
        raise SourceError(f"character {bad!r} cannot be written in {exc.encoding}") from exc


HTML_STYLE = """
  body { font-family: "Sarabun", "TH Sarabun New", sans-serif; line-height: 1.7;
         max-width: 46rem; margin: 0 auto; padding: 0 1rem; color: #222; }
  nav ul { list-style: none; padding: 0; display: flex; gap: 1rem; flex-wrap: wrap; }
  footer { border-top: 1px solid #ccc; margin-top: 2rem; font-size: .9rem; color: #555; }
  /* style-marker: ตัวกำหนดรูปแบบหน้าเว็บไม่ใช่เนื้อหา */
"""

HTML_SCRIPT = """
  // script-marker: สคริปต์นับผู้เข้าชมไม่ใช่เนื้อหา
  document.addEventListener("DOMContentLoaded", function () {
    var counter = document.getElementById("visit-counter");
    if (counter) { counter.textContent = "ยินดีต้อนรับ"; }
  });
"""


def html_body(blocks: list[Block]) -> str:
    """The Markdown blocks as HTML: h1-h3, p, ul/ol with li."""
    out: list[str] = []
    open_list = ""
    for b in blocks:
        want = {"bullet": "ul", "number": "ol"}.get(b.kind, "")
        if open_list and want != open_list:
            out.append(f"</{open_list}>")
            open_list = ""
        if want and not open_list:
            start = int(b.marker.rstrip(".)").translate(ARABIC_DIGITS)) if b.kind == "number" else 1
            out.append(f'<{want} start="{start}">' if start != 1 else f"<{want}>")
            open_list = want
        text = html.escape(b.text, quote=False)
        if b.kind == "heading":
            out.append(f"<h{b.level}>{text}</h{b.level}>")
        elif want:
            out.append(f"  <li>{text}</li>")
        else:
            out.append(f"<p>{text}</p>")
    if open_list:
        out.append(f"</{open_list}>")
    return "\n".join(out)


def render_html(source: Source) -> bytes:
    """A simple HTML5 page of the municipality web site carrying the document."""
    title = html.escape(str(source.meta["title"]), quote=False)
    page = f"""<!DOCTYPE html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{HTML_STYLE}</style>
</head>
<body>
<nav aria-label="เมนูหลัก">
<ul>
  <li><a href="/">หน้าแรก</a></li>
  <li><a href="/about">ข้อมูลเทศบาล</a></li>
  <li><a href="/services">บริการประชาชน</a></li>
  <li><a href="/contact">ติดต่อเรา</a></li>
</ul>
</nav>
<main>
{html_body(source.blocks)}
</main>
<footer>
<p>{MUNICIPALITY} {MUNICIPALITY_ADDRESS}</p>
<p>เปิดให้บริการในวันและเวลาราชการ <span id="visit-counter"></span></p>
</footer>
<script>{HTML_SCRIPT}</script>
</body>
</html>
"""
    return page.encode("utf-8")


RENDERERS: dict[str, Callable[[Source], bytes]] = {
    "pdf": render_pdf, "docx": render_docx, "md": render_md, "txt": render_txt,
    "html": render_html,
}


def build_outputs(source: Source) -> dict[str, bytes]:
    """Every file a source produces: corpus-relative path -> bytes."""
    files = {source.relpath: RENDERERS[source.output](source)}
    if source.route == "sidecar":
        files[f"{source.relpath}.meta.yaml"] = render_sidecar(source)
    return files


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def run(sources_dir: Path, corpus_dir: Path, check: bool, out=sys.stdout) -> int:
    """Build (or, with check, compare) the corpus; returns the exit status."""
    status = 0
    produced: set[Path] = set()
    divisions: set[str] = set()
    for path in find_sources(sources_dir):
        rel_src = path.relative_to(sources_dir)
        try:
            files = build_outputs(read_source(path))
        except SourceError as exc:
            print(f"error      {rel_src}: {exc}", file=out)
            status = 1
            continue
        divisions.add(path.parent.name)
        for rel, data in files.items():
            target = corpus_dir / rel
            produced.add(target)
            current = target.read_bytes() if target.exists() else None
            if current == data:
                print(f"unchanged  {rel}", file=out)
            elif check:
                print(f"{'stale' if current is not None else 'missing':<10} {rel}", file=out)
                status = 1
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                print(f"{'updated' if current is not None else 'built':<10} {rel}", file=out)
    for division in sorted(divisions):
        for leftover in sorted((corpus_dir / division).glob("*")):
            if leftover.is_file() and leftover not in produced:
                rel = leftover.relative_to(corpus_dir)
                if check:
                    print(f"orphan     {rel}", file=out)
                    status = 1
                else:
                    leftover.unlink()
                    print(f"removed    {rel}", file=out)
    return status


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a generated file differs from its source")
    parser.add_argument("--sources", type=Path, default=SOURCES_DIR, help="corpus_sources folder")
    parser.add_argument("--out", type=Path, default=CORPUS_DIR, help="corpus folder")
    args = parser.parse_args(argv)
    return run(args.sources, args.out, args.check)


if __name__ == "__main__":
    sys.exit(main())
