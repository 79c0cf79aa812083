"""Text and core properties of a .docx, read with zipfile and xml.etree (no python-docx).

Paragraphs (w:p) become paragraphs of text separated by a blank line; w:tab is a tab and
w:br/w:cr a line break; tables are read row by row, cells separated by a tab; text boxes
follow the paragraph that anchors them. Headers, footers, footnotes and comments are not
part of the main document and are left out, as is deleted text (w:delText) and field
codes (w:instrText). List numbering that Word draws itself (w:numPr) is not text.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from kmsearch.indexer.document import Extracted, ExtractionError
from kmsearch.indexer.limits import (
    MAX_PART_BYTES,
    MAX_RATIO,
    MAX_XML_DEPTH,
    MAX_XML_ELEMENTS,
    RATIO_FROM_BYTES,
    size_text,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
DC = "{http://purl.org/dc/elements/1.1/}"
PKG_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_DOCUMENT = "/officeDocument"
CORE_PROPERTIES = "/metadata/core-properties"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Elements whose text is not document text.
_SKIP = {f"{W}delText", f"{W}instrText", f"{W}del", f"{W}moveFrom", f"{MC}Fallback",
         f"{W}rPr", f"{W}pPr", f"{W}sectPr", f"{W}tblPr", f"{W}trPr", f"{W}tcPr"}


def extract_docx(path: str | Path) -> Extracted:
    """Extract the text (paragraphs separated by a blank line) and title/subject of a .docx."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ExtractionError(f"cannot read file: {exc.strerror or exc}") from exc
    if head == OLE_MAGIC:
        raise ExtractionError(
            "encrypted DOCX or Word 97-2003 file: not a .docx package (needs a password "
            "or conversion)"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            main_part, core_part = _package_parts(zf)
            if main_part not in zf.namelist():
                raise ExtractionError(f"damaged DOCX: missing {main_part}")
            body = _parse(zf, main_part)
            core = _parse(zf, core_part) if core_part in zf.namelist() else None
    except zipfile.BadZipFile as exc:
        raise ExtractionError("damaged DOCX: not a zip package") from exc
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise ExtractionError(f"damaged DOCX: cannot be unpacked ({exc})") from exc
    paragraphs = list(_document_paragraphs(body))
    text = "\n\n".join(p for p in paragraphs if p.strip())
    return Extracted(text=text, properties=_core_properties(core))


def _parse(zf: zipfile.ZipFile, name: str) -> ET.Element:
    """Parse one XML part of the package, within the limits of kmsearch.indexer.limits.

    The part is parsed as it is unpacked (iterparse), so a zip bomb stops at the limit it
    crosses instead of filling the memory, and a part nested deeper than the recursive
    reading below can follow is refused up front (it raised RecursionError and stopped the
    run). Formatting elements (_SKIP) are emptied as soon as they are complete: most of a
    Word file's elements, none of its text.
    """
    info = zf.getinfo(name)
    if info.flag_bits & 0x1:
        raise ExtractionError(
            f"encrypted DOCX: {name} is protected by a password (save it without one to index it)"
        )
    if info.file_size > MAX_PART_BYTES:
        raise ExtractionError(
            f"DOCX too large to index: {name} unpacks to {size_text(info.file_size)} "
            f"(limit {size_text(MAX_PART_BYTES)})"
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
        raise ExtractionError(
            f"DOCX too compressed to index (a zip bomb?): {name} unpacks to {ratio:.0f} times "
            f"its packed size (limit {MAX_RATIO})"
        )
    stack: list[ET.Element] = []
    root = None
    count = 0
    try:
        with zf.open(name) as raw:
            for event, element in ET.iterparse(raw, events=("start", "end")):
                if event == "start":
                    count += 1
                    if count > MAX_XML_ELEMENTS:
                        raise ExtractionError(
                            f"DOCX too large to index: {name} has more than "
                            f"{MAX_XML_ELEMENTS:,} XML elements (the limit)"
                        )
                    if len(stack) >= MAX_XML_DEPTH:
                        raise ExtractionError(
                            f"DOCX nested too deeply to index: {name} has elements more than "
                            f"{MAX_XML_DEPTH} levels deep (the limit)"
                        )
                    if root is None:
                        root = element
                    stack.append(element)
                else:
                    stack.pop()
                    if element.tag in _SKIP:
                        element.clear()  # complete now; its children are never read
    except ET.ParseError as exc:
        raise ExtractionError(f"damaged DOCX: {name} is not well-formed XML ({exc})") from exc
    except zipfile.BadZipFile as exc:  # e.g. a CRC error inside the member
        raise ExtractionError(f"damaged DOCX: {name} cannot be unpacked ({exc})") from exc
    if root is None:
        raise ExtractionError(f"damaged DOCX: {name} is empty")
    return root


def _package_parts(zf: zipfile.ZipFile) -> tuple[str, str]:
    """Main document and core-properties part names, from _rels/.rels (with the defaults)."""
    main, core = "word/document.xml", "docProps/core.xml"
    if "_rels/.rels" not in zf.namelist():
        return main, core
    for rel in _parse(zf, "_rels/.rels").iter(f"{PKG_RELS}Relationship"):
        kind, target = rel.get("Type", ""), rel.get("Target", "")
        if not target or rel.get("TargetMode") == "External":
            continue
        name = posixpath.normpath(target.lstrip("/"))
        if kind.endswith(OFFICE_DOCUMENT):
            main = name
        elif kind.endswith(CORE_PROPERTIES):
            core = name
    return main, core


def _core_properties(core: ET.Element | None) -> dict[str, object]:
    """{"title": dc:title, "topic": dc:subject} where present and not blank."""
    properties: dict[str, object] = {}
    if core is None:
        return properties
    for tag, name in ((f"{DC}title", "title"), (f"{DC}subject", "topic")):
        element = core.find(tag)
        if element is not None and element.text and element.text.strip():
            properties[name] = " ".join(element.text.split())
    return properties


def _document_paragraphs(root: ET.Element):
    """Every paragraph of the document body in reading order, as text."""
    body = root.find(f"{W}body")
    yield from _block_content(body if body is not None else root)


def _block_content(element: ET.Element):
    """Paragraphs and tables inside a block container (body, cell, text box, sdtContent)."""
    for child in element:
        if child.tag == f"{W}p":
            yield from _paragraph(child)
        elif child.tag == f"{W}tbl":
            yield from _table(child)
        elif child.tag not in _SKIP:
            yield from _block_content(child)  # w:sdt, w:customXml, mc:AlternateContent...


def _table(table: ET.Element):
    """A table: one line per row, cells separated by a tab (nested tables after their row)."""
    rows: list[str] = []
    nested: list[str] = []
    for row in _children(table, f"{W}tr"):
        cells = []
        for cell in _children(row, f"{W}tc"):
            parts = []
            for child in cell:
                if child.tag == f"{W}tbl":
                    nested.extend(_table(child))
                elif child.tag == f"{W}p":
                    parts.extend(_paragraph(child))
                elif child.tag not in _SKIP:
                    parts.extend(_block_content(child))
            cells.append(" ".join(" ".join(p.split()) for p in parts if p.strip()))
        if any(cells):
            rows.append("\t".join(cells))
    if rows:
        yield "\n".join(rows)
    yield from nested


def _children(element: ET.Element, tag: str):
    """Children with `tag`, also those wrapped in content controls (w:sdt, w:customXml)."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag not in _SKIP and child.tag not in (f"{W}tbl", f"{W}tr", f"{W}tc"):
            yield from _children(child, tag)


def _paragraph(p: ET.Element):
    """The text of a paragraph, then the paragraphs of any text boxes anchored in it."""
    pieces: list[str] = []
    boxes: list[ET.Element] = []

    def walk(element: ET.Element) -> None:
        for child in element:
            tag = child.tag
            if tag in _SKIP:
                continue
            if tag == f"{W}t":
                pieces.append(child.text or "")
            elif tag == f"{W}tab" or tag == f"{W}ptab":
                pieces.append("\t")
            elif tag in (f"{W}br", f"{W}cr"):
                pieces.append("\n")
            elif tag == f"{W}noBreakHyphen":
                pieces.append("-")
            elif tag == f"{W}txbxContent":
                boxes.append(child)
            else:
                walk(child)

    walk(p)
    yield "".join(pieces)
    for box in boxes:
        yield from _block_content(box)
