"""Extractors for Markdown, plain text and HTML files."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import yaml
from kmsearch.indexer.document import Extracted, ExtractionError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


class _MetadataLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so metadata.resolve validates them and can name
    the field when one is impossible (2025-02-30) instead of YAML failing on its own."""


_MetadataLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str):
    """Parse metadata YAML (front matter or sidecar)."""
    return yaml.load(text, Loader=_MetadataLoader)  # noqa: S506 - a SafeLoader subclass


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or the legacy Thai TIS-620/cp874 encoding."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        raise ExtractionError("undecodable text: neither UTF-8 nor TIS-620/cp874") from None
    # cp874 maps almost any byte; accept it only when it reads as Thai, not as noise.
    thai = sum(1 for ch in text if "\u0e01" <= ch <= "\u0e5b")
    controls = sum(1 for ch in text if "\x80" <= ch <= "\x9f")
    if thai == 0 or controls:
        raise ExtractionError("undecodable text: neither UTF-8 nor TIS-620/cp874")
    return text


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter between two '---' lines at the top, and the rest of the text."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    try:
        data = load_yaml(m.group(1)) or {}
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 2})" if where else ""
        raise ExtractionError(f"bad metadata: front matter is not valid YAML{line}") from None
    if not isinstance(data, dict):
        raise ExtractionError("bad metadata: front matter must be a mapping of field: value")
    return data, text[m.end() :]


_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> their text
    (re.compile(r"(\*\*|__|\*|`)"), ""),  # emphasis and code markers
]


def markdown_to_text(md: str) -> str:
    """Readable plain text of Markdown: markers removed, lines kept."""
    lines = []
    for line in md.splitlines():
        line = re.sub(r"^\s{0,3}#{1,6}\s+", "", line)
        line = re.sub(r"^\s*[-*+]\s+", "• ", line)
        line = re.sub(r"^\s*>\s?", "", line)
        for pattern, repl in _MD_INLINE:
            line = pattern.sub(repl, line)
        lines.append(line)
    return "\n".join(lines)


def first_heading(md: str) -> str | None:
    m = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", md, re.M)
    return m.group(1).strip() if m else None


def extract_markdown(path: Path) -> Extracted:
    text = decode_text(path.read_bytes())
    front, body = split_front_matter(text)
    props = dict(front)
    heading = first_heading(body)
    if heading:
        props.setdefault("_heading", heading)
    return Extracted(markdown_to_text(body), props)


def extract_text(path: Path) -> Extracted:
    text = decode_text(path.read_bytes())
    front, body = split_front_matter(text)
    return Extracted(body, dict(front))


class _VisibleText(HTMLParser):
    """Collects the text a reader sees: no script, style, template or head content."""

    HIDDEN = {"script", "style", "noscript", "template", "head", "svg"}
    BLOCK = {
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
        "article", "header", "footer", "nav", "table", "ul", "ol", "dd", "dt", "blockquote",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.in_title = False
        self.in_h1 = False
        self.title = ""
        self.h1 = ""

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag == "title":
            self.in_title = True
        if tag == "h1":
            self.in_h1 = True
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1
        if tag == "title":
            self.in_title = False
        if tag == "h1":
            self.in_h1 = False
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.hidden:
            return
        if self.in_h1:
            self.h1 += data
        self.parts.append(data)


def extract_html(path: Path) -> Extracted:
    data = path.read_bytes()
    m = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", data[:4096], re.I)
    charset = m.group(1).decode("ascii").lower() if m else "utf-8"
    if charset in ("tis-620", "tis620", "windows-874", "cp874", "iso-8859-11"):
        text = data.decode("cp874", errors="replace")
    else:
        text = decode_text(data)
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    props = {}
    title = (parser.h1 or parser.title).strip()
    if title:
        props["_heading"] = " ".join(title.split())
    return Extracted("".join(parser.parts), props)
