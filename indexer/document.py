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
    # Scans: the part of text that OCR read (indexed a second way, see engine/folding.py),
    # how many of the document's pages it came from, and how many were OCR'd in this run
    # (the others came from the cache).
    ocr_text: str = ""
    ocr_pages: int = 0
    pages: int = 0
    ocr_read: int = 0
