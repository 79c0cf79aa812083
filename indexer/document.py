"""What an extractor returns, and the error it raises for a file it cannot read."""

from __future__ import annotations

from dataclasses import dataclass, field


class ExtractionError(Exception):
    """A file could not be read; the message says why in plain words (path added by the caller)."""


@dataclass
class Extracted:
    """Raw text of a document (before Thai normalisation) and its own properties.

    properties holds metadata the file itself carries: "title" (PDF info Title, DOCX core title),
    "topic" (PDF Subject, DOCX core subject) and, for Markdown/text, the YAML front matter keys.
    """

    text: str
    properties: dict[str, object] = field(default_factory=dict)
