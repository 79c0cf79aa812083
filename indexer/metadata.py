"""Metadata of a document, from the sources the CLI contract lists (first found wins per field).

1. sidecar ``<file name>.meta.yaml``; 2. YAML front matter of .md/.txt; 3. the file's own
properties (PDF info, DOCX core); 4. the knowledge map, by topic (division, expert);
5. fallbacks: first heading or line as title, the folder below the indexed root as division.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from kmsearch.indexer.document import Extracted, ExtractionError
from kmsearch.indexer.limits import MAX_METADATA_BYTES
from kmsearch.indexer.textfiles import UnreadableValue, load_yaml, read_limited

from kmsearch.engine.schema import AUDIENCES, DOC_TYPE_ALIASES, DOC_TYPES, doc_id_for
from kmsearch.engine.thai import normalize
from kmsearch.engine.thaidate import ThaiDateError, parse_date
from kmsearch.km.knowledge_map import Topic, split_experts

FIELDS = ("title", "topic", "division", "expert", "audience", "doc_type", "updated", "superseded_by")
SIDECAR_SUFFIX = ".meta.yaml"


@dataclass
class Metadata:
    title: str
    topic: str
    division: str
    expert: list[str]
    audience: str
    doc_type: str
    updated: str  # ISO date or ""
    superseded_by: str  # doc_id or ""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict:
    """The sidecar's fields, {} when there is none; bad YAML is a plain-words error."""
    side = sidecar_path(path)
    if not side.exists():
        return {}
    try:
        # Read no further than the limit: load_yaml checks it only once the text is in memory.
        raw = read_limited(side, MAX_METADATA_BYTES, "metadata sidecar")
        data = load_yaml(raw.decode("utf-8-sig")) or {}
    except UnicodeDecodeError:
        raise ExtractionError(f"bad metadata: {side.name} is not UTF-8 text") from None
    except UnreadableValue as e:
        raise ExtractionError(f"bad metadata: {side.name} has {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ExtractionError(f"bad metadata: {side.name} is not valid YAML{line}") from None
    if not isinstance(data, dict):
        raise ExtractionError(f"bad metadata: {side.name} must be a mapping of field: value")
    return data


def resolve(
    path: Path, root: Path, extracted: Extracted, topics: dict[str, Topic]
) -> Metadata:
    """Merge the metadata sources for path (indexed under root) and validate every field."""
    sidecar = read_sidecar(path)
    own = extracted.properties
    front = own if path.suffix.lower() in (".md", ".txt") else {}
    props = {} if front else own
    layers = [("sidecar", sidecar), ("front matter", front), ("document properties", props)]

    found: dict[str, tuple[object, str]] = {}
    for source, layer in layers:
        for name in FIELDS:
            value = layer.get(name)
            if name not in found and value not in (None, "", []):
                found[name] = (value, source)

    def value(name: str):
        return found[name][0] if name in found else None

    def where(name: str) -> str:
        return found[name][1] if name in found else "defaults"

    topic = _text(value("topic"), "topic", where("topic"))
    mapped = topics.get(topic) if topic else None
    title = _text(value("title"), "title", where("title")) or _fallback_title(extracted, path)
    division = _text(value("division"), "division", where("division"))
    if not division and mapped:
        division = mapped.division
    if not division:
        division = _folder_below_root(path, root)
    expert = _experts(value("expert"), where("expert"))
    if not expert and mapped:
        expert = list(mapped.experts)

    audience = _text(value("audience"), "audience", where("audience")) or "staff"
    if audience not in AUDIENCES:
        raise ExtractionError(
            f"bad metadata: audience must be 'public' or 'staff', not {audience!r} ({where('audience')})"
        )
    doc_type = _doc_type(_text(value("doc_type"), "doc_type", where("doc_type")), where("doc_type"))
    doc_type = doc_type or _fallback_doc_type(title)
    superseded = _text(value("superseded_by"), "superseded_by", where("superseded_by"))
    return Metadata(
        title=title,
        topic=topic,
        division=division,
        expert=expert,
        audience=audience,
        doc_type=doc_type,
        updated=_date(value("updated"), where("updated")),
        superseded_by=doc_id_for(str((root / superseded).resolve())) if superseded else "",
    )


def _text(value, name: str, source: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split())
    raise ExtractionError(f"bad metadata: {name} must be text, not {type(value).__name__} ({source})")


def _experts(value, source: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return list(split_experts(value))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [" ".join(v.split()) for v in value if v.strip()]
    raise ExtractionError(f"bad metadata: expert must be a list of job titles or text ({source})")


# Thai names as a person types them: any spacing, and one spelling (normalize) so that a
# name typed with its marks in another order still matches.
_ALIASES = {normalize(name): code for name, code in DOC_TYPE_ALIASES.items()}


def _doc_type(text: str, source: str) -> str:
    """The doc_type code for a code or a Thai name; "" when none was given."""
    if not text:
        return ""
    if text.lower() in DOC_TYPES:
        return text.lower()
    code = _ALIASES.get(normalize(text).replace(" ", ""))
    if code:
        return code
    raise ExtractionError(
        f"bad metadata: doc_type must be one of {', '.join(DOC_TYPES)} or a Thai name "
        f"({', '.join(DOC_TYPE_ALIASES)}), not {text!r} ({source})"
    )


def _date(value, source: str) -> str:
    """updated as ISO C.E. (B.E., Thai digits and Thai month names are read: thaidate)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    try:
        return parse_date(value).isoformat()
    except ThaiDateError as e:
        raise ExtractionError(f"bad metadata: updated (the date) is wrong: {e} ({source})") from None


def _fallback_title(extracted: Extracted, path: Path) -> str:
    heading = extracted.properties.get("_heading")
    if isinstance(heading, str) and heading.strip():
        return " ".join(heading.split())
    for line in extracted.text.splitlines():
        line = " ".join(line.split()).lstrip("#• ").strip()
        if line:
            return line[:200]
    return path.stem


# Thai documents name their kind in the first word of the title (คู่มือการ..., คำแนะนำ...).
_KIND_BY_TITLE = (("คู่มือ", "manual"), ("คำแนะนำ", "guide"), ("แบบ", "form"), ("ระเบียบ", "regulation"),
                  ("แผน", "plan"), ("รายงาน", "report"))


def _fallback_doc_type(title: str) -> str:
    """doc_type when no source gives one: from the title's first word, else note."""
    for prefix, kind in _KIND_BY_TITLE:
        if title.startswith(prefix):
            return kind
    return "note"


def _folder_below_root(path: Path, root: Path) -> str:
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return ""
    return rel.parts[0] if len(rel.parts) > 1 else ""
