"""Extractors for Markdown, plain text and HTML files."""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

import yaml
from kmsearch.indexer.document import Extracted, ExtractionError
from kmsearch.indexer.limits import MAX_METADATA_BYTES, MAX_TEXT_FILE_BYTES, size_text

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


class _MetadataLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so metadata.resolve validates them and can name
    the field when one is impossible (2025-02-30) instead of YAML failing on its own."""


_MetadataLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class NestedTooDeeply(yaml.YAMLError):
    """PyYAML builds nested values recursively: "[[[[..." thousands deep ends in RecursionError."""

    def __str__(self) -> str:
        return "values nested too deeply"


class UnreadableValue(yaml.YAMLError):
    """A scalar YAML parses but Python refuses to build: int() takes at most
    sys.get_int_max_str_digits() digits (4,300), and a longer number raised ValueError out of
    the loader, which stopped the whole index run."""

    def __init__(self, error: ValueError):
        super().__init__()
        if "digits" in str(error):
            self.words = f"a number too long to read (more than {sys.get_int_max_str_digits()} digits)"
        else:
            self.words = "a value that cannot be read"

    def __str__(self) -> str:
        return self.words


# The same loader on libyaml (C): parsing metadata in pure Python was an eighth of the CPU of
# reading and analysing a text file. It is used only where both parsers are known to agree:
# - nesting: the Python loader stops some 480 levels deep (RecursionError, reported as
#   NestedTooDeeply), libyaml 0.2.5 at 1,000 (older libyaml recursed in C without a limit,
#   which could crash the process). A collection nests one level deeper only after one of
#   "[{-:" (or "?", below), so a text with few of them cannot nest deeply;
# - the two parsers differ on rare syntax (tabs, byte-order marks and NEL or line separators
#   inside values, tags, block scalars, anchors, directives, "?" in flow collections,
#   backslash escapes...): a text with any character those need goes to the Python loader.
#   Metadata rarely holds one (none of the bundled or benchmark corpora's 1,863 files);
#   tests/test_metadata_yaml.py compares both loaders on hypothesis-made YAML.
# - on an error the Python loader parses the text again, so messages and line numbers are
#   its own.
_C_LOADER = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
_PYTHON_ONLY = re.compile(r"[\t\ufeff\x85\u2028\u2029!|>\\%&*@`?\ud800-\udfff]")
_NESTING = "[{-:"
MAX_C_NESTING = 100  # the Python loader fails only some 480 levels deep


if _C_LOADER is not None:

    class _FastMetadataLoader(_C_LOADER):
        """_MetadataLoader's resolvers (dates left as text) on libyaml's parser."""

    _FastMetadataLoader.yaml_implicit_resolvers = _MetadataLoader.yaml_implicit_resolvers


def _fits_c_loader(text: str) -> bool:
    """Whether libyaml parses text safely and exactly as the Python loader would."""
    if _C_LOADER is None or _PYTHON_ONLY.search(text) is not None:
        return False
    return sum(text.count(ch) for ch in _NESTING) <= MAX_C_NESTING


def load_yaml(text: str):
    """Parse metadata YAML (front matter or sidecar)."""
    if len(text) > MAX_METADATA_BYTES:
        raise ExtractionError(
            f"bad metadata: more than {size_text(MAX_METADATA_BYTES)} of YAML (the limit)"
        )
    try:
        if _fits_c_loader(text):
            try:
                return yaml.load(text, Loader=_FastMetadataLoader)  # noqa: S506 - safe, as below
            except yaml.YAMLError:
                pass  # reported as the Python loader words it, below
        return yaml.load(text, Loader=_MetadataLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise NestedTooDeeply() from None
    except ValueError as e:
        raise UnreadableValue(e) from None


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
    if _THAI_LETTER.search(text) is None or _C1_CONTROL.search(text) is not None:
        raise ExtractionError("undecodable text: neither UTF-8 nor TIS-620/cp874")
    return text


_THAI_LETTER = re.compile("[\u0e01-\u0e5b]")
_C1_CONTROL = re.compile("[\x80-\x9f]")


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter between two '---' lines at the top, and the rest of the text."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    try:
        data = load_yaml(m.group(1)) or {}
    except (NestedTooDeeply, UnreadableValue) as e:
        raise ExtractionError(f"bad metadata: front matter has {e}") from None
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 2})" if where else ""
        raise ExtractionError(f"bad metadata: front matter is not valid YAML{line}") from None
    if not isinstance(data, dict):
        raise ExtractionError("bad metadata: front matter must be a mapping of field: value")
    return data, text[m.end() :]


# The patterns apply to the whole text at once, its lines joined by "\n" (the only line break
# left), with the result the line-by-line substitutions gave (tests/test_markdown_text.py
# compares them): none matches a "\n" ([^\S\n] is any other space), so no match crosses a
# line, and each line sees the substitutions in the same order.
# Link text excludes "[" and the target excludes "(" except one balanced pair: a failed
# attempt then stops at the next bracket instead of scanning the rest of the line, so a line
# of 40,000 "[" is linear, not quadratic (it took 14 s).
_TARGET = r"\((?:[^()\n]|\([^()\n]*\))*\)"
_MARKDOWN = [
    (re.compile(r"^[^\S\n]{0,3}#{1,6}[^\S\n]+", re.M), ""),  # heading markers
    (re.compile(r"^[^\S\n]*[-*+][^\S\n]+", re.M), "• "),  # list items
    (re.compile(r"^[^\S\n]*>[^\S\n]?", re.M), ""),  # quotes
    (re.compile(r"!\[([^\[\]\n]*)\]" + _TARGET), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\[\]\n]+)\]" + _TARGET), r"\1"),  # links -> their text
    (re.compile(r"(\*\*|__|\*|`)"), ""),  # emphasis and code markers
]


def markdown_to_text(md: str) -> str:
    """Readable plain text of Markdown: markers removed, lines kept."""
    text = "\n".join(md.splitlines())
    for pattern, repl in _MARKDOWN:
        text = pattern.sub(repl, text)
    return text


def first_heading(md: str) -> str | None:
    """Text of the first level-1 ATX heading ("# title", closing #s dropped), or None.

    String operations line by line, linear in the text: the regex this replaces,
    ^\\s{0,3}#\\s+(.+?)\\s*#*\\s*$, backtracked cubically over a heading padded with
    spaces (5 KB took 275 s). Same result on every line (tests/test_text_helpers_linear.py).
    """
    for line in md.split("\n"):
        rest = line.lstrip()
        if len(line) - len(rest) > 3 or not rest.startswith("#"):
            continue
        after = rest[1:]
        if len(after) < 2 or not after[0].isspace():
            continue  # "#title" or "#" alone is not a heading
        body = after.lstrip()
        if not body:
            return ""  # "#   ": a heading with no text
        core = body.rstrip().rstrip("#").rstrip()  # without the closing "  ##  "
        return core or body[:1]
    return None


def read_limited(path: Path, limit: int = MAX_TEXT_FILE_BYTES, what: str = "text file") -> bytes:
    """The bytes of path, or ExtractionError naming the limit when it holds more."""
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ExtractionError(
            f"{what} too large to index: more than {size_text(limit)} (the limit for a {what})"
        )
    return data


def extract_markdown(path: Path) -> Extracted:
    text = decode_text(read_limited(path))
    front, body = split_front_matter(text)
    props = dict(front)
    heading = first_heading(body)
    if heading:
        props.setdefault("_heading", heading)
    return Extracted(markdown_to_text(body), props)


def extract_text(path: Path) -> Extracted:
    text = decode_text(read_limited(path))
    front, body = split_front_matter(text)
    return Extracted(body, dict(front))


class _VisibleText:
    """Collects the text a reader sees: no script, style, template or head content."""

    HIDDEN = {"script", "style", "noscript", "template", "head", "svg"}
    BLOCK = {
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
        "article", "header", "footer", "nav", "table", "ul", "ol", "dd", "dt", "blockquote",
    }

    def __init__(self):
        self.parts: list[str] = []
        self.hidden = 0
        self.in_title = False
        self.in_h1 = False
        self.title: list[str] = []  # lists, not str +=: a title cut by 10^6 tags stays linear
        self.h1: list[str] = []

    def handle_starttag(self, tag):
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
            self.title.append(data)
        if self.hidden:
            return
        if self.in_h1:
            self.h1.append(data)
        self.parts.append(data)


# HTML is read with a small tokenizer rather than html.parser: before Python 3.13.4 that
# re-scans the rest of the file from every "<" of a tag the file ends inside, so a file of
# '<a b=">"' lines was quadratic (180 KB took 74 s). Here each character is looked at a
# bounded number of times; a tag the file ends inside is dropped with the rest, as HTML5 does.
_MARKUP = re.compile(r"<(?:(/?)([a-zA-Z][^\s/>]*)|!--|[!?/])")
_TAG_STOP = re.compile(r"[>\"']")
_RAW_TEXT = ("script", "style")  # their content is text up to their end tag, never markup


def _tag_end(html: str, pos: int) -> int:
    """Index just after the ">" that closes the tag whose attributes start at pos (quoted
    values may hold ">"); -1 when the file ends inside the tag."""
    while True:
        m = _TAG_STOP.search(html, pos)
        if m is None:
            return -1
        if m.group() == ">":
            return m.end()
        close = html.find(m.group(), m.end())
        if close < 0:
            return -1
        pos = close + 1


def _read_html(html: str, out: _VisibleText) -> None:
    """Feed out the start tags, end tags and text (entities decoded) of html, in order."""
    n = len(html)
    pos = 0
    while pos < n:
        m = _MARKUP.search(html, pos)
        start = m.start() if m else n
        if start > pos:
            out.handle_data(unescape(html[pos:start]))
        if m is None:
            return
        slash, name = m.group(1), m.group(2)
        if name is None:  # comment, declaration, processing instruction, bogus "</ ...>"
            end = html.find("-->", m.end()) if m.group() == "<!--" else html.find(">", m.end())
            pos = n if end < 0 else end + (3 if m.group() == "<!--" else 1)
            continue
        name = name.lower()
        end = _tag_end(html, m.end())
        if end < 0:
            return  # the file ends inside this tag
        pos = end
        if slash:
            out.handle_endtag(name)
            continue
        out.handle_starttag(name)
        if html[end - 2 : end] == "/>":
            out.handle_endtag(name)
        elif name in _RAW_TEXT:
            close = re.compile(rf"</{name}[\s/>]", re.I).search(html, pos)
            stop = close.start() if close else n
            if stop > pos:
                out.handle_data(html[pos:stop])
            pos = stop


def extract_html(path: Path) -> Extracted:
    data = read_limited(path)
    m = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", data[:4096], re.I)
    charset = m.group(1).decode("ascii").lower() if m else "utf-8"
    if charset in ("tis-620", "tis620", "windows-874", "cp874", "iso-8859-11"):
        text = data.decode("cp874", errors="replace")
    else:
        text = decode_text(data)
    parser = _VisibleText()
    _read_html(text, parser)
    props = {}
    title = "".join(parser.h1 or parser.title).strip()
    if title:
        props["_heading"] = " ".join(title.split())
    return Extracted("".join(parser.parts), props)
