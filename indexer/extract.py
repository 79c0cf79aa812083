"""Dispatch a file to the extractor for its type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kmsearch.indexer.document import Extracted, ExtractionError


def _pdf(path: Path) -> Extracted:
    from kmsearch.indexer.pdf import extract_pdf

    return extract_pdf(path)


def _docx(path: Path) -> Extracted:
    from kmsearch.indexer.docx import extract_docx

    return extract_docx(path)


def _md(path: Path) -> Extracted:
    from kmsearch.indexer.textfiles import extract_markdown

    return extract_markdown(path)


def _txt(path: Path) -> Extracted:
    from kmsearch.indexer.textfiles import extract_text

    return extract_text(path)


def _html(path: Path) -> Extracted:
    from kmsearch.indexer.textfiles import extract_html

    return extract_html(path)


EXTRACTORS: dict[str, Callable[[Path], Extracted]] = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".md": _md,
    ".txt": _txt,
    ".html": _html,
}



def supported(path: Path) -> bool:
    return path.suffix.lower() in EXTRACTORS


def extract(path: Path) -> Extracted:
    """Text and own properties of a supported file; ExtractionError says why not."""
    try:
        return EXTRACTORS[path.suffix.lower()](path)
    except ExtractionError:
        raise
    except (OSError, MemoryError) as e:
        raise ExtractionError(f"cannot read the file: {e.strerror or e}") from None
