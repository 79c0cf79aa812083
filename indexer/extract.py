"""Dispatch a file to the extractor for its type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kmsearch.indexer.document import Extracted, ExtractionError
from kmsearch.indexer.ocr import IMAGE_SUFFIXES, OcrOptions


def _pdf(path: Path, ocr: OcrOptions | None = None) -> Extracted:
    from kmsearch.indexer.pdf import extract_pdf

    return extract_pdf(path, ocr)


def _image(path: Path, ocr: OcrOptions | None = None) -> Extracted:
    from kmsearch.indexer.ocr import extract_image

    return extract_image(path, ocr)


def _docx(path: Path, _ocr: OcrOptions | None = None) -> Extracted:
    from kmsearch.indexer.docx import extract_docx

    return extract_docx(path)


def _md(path: Path, _ocr: OcrOptions | None = None) -> Extracted:
    from kmsearch.indexer.textfiles import extract_markdown

    return extract_markdown(path)


def _txt(path: Path, _ocr: OcrOptions | None = None) -> Extracted:
    from kmsearch.indexer.textfiles import extract_text

    return extract_text(path)


def _html(path: Path, _ocr: OcrOptions | None = None) -> Extracted:
    from kmsearch.indexer.textfiles import extract_html

    return extract_html(path)


# Every extractor takes (path, ocr); only those of PDFs and images use ocr (to read scans).
EXTRACTORS: dict[str, Callable[[Path, OcrOptions | None], Extracted]] = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".md": _md,
    ".txt": _txt,
    ".html": _html,
    **dict.fromkeys(IMAGE_SUFFIXES, _image),
}


def supported(path: Path) -> bool:
    return path.suffix.lower() in EXTRACTORS


def extract(path: Path, ocr: OcrOptions | None = None) -> Extracted:
    """Text and own properties of a supported file; ExtractionError says why not.

    With ocr, scanned pages and images are read by OCR; without, they fail as needing it.
    """
    try:
        return EXTRACTORS[path.suffix.lower()](path, ocr)
    except ExtractionError:
        raise
    except (OSError, MemoryError) as e:
        raise ExtractionError(f"cannot read the file: {e.strerror or e}") from None
