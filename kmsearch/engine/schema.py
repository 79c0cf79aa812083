"""The one Whoosh schema of kmsearch, and the metadata vocabulary documents use."""

from __future__ import annotations

import hashlib

from whoosh import fields

from kmsearch.engine.analysis import ThaiAnalyzer
from kmsearch.engine.fallback import ThaiRunAnalyzer
from kmsearch.engine.folding import FoldedAnalyzer

AUDIENCES = ("public", "staff")
DOC_TYPES = ("manual", "guide", "form", "regulation", "plan", "note", "report")

# Thai labels for pages and reports.
DOC_TYPE_LABELS = {
    "manual": "คู่มือ",
    "guide": "คำแนะนำประชาชน",
    "form": "แบบฟอร์ม",
    "regulation": "ระเบียบ/กฎหมาย",
    "plan": "แผน",
    "note": "บันทึก",
    "report": "รายงาน",
}
# Thai names an office writes for each type (CLI-CONTRACT.md), accepted in metadata beside the
# codes; the index stores the code.
DOC_TYPE_ALIASES = {
    "คู่มือ": "manual",
    "คำแนะนำ": "guide",
    "คู่มือประชาชน": "guide",
    "ถาม-ตอบ": "guide",
    "แบบฟอร์ม": "form",
    "แบบคำร้อง": "form",
    "ระเบียบ": "regulation",
    "ประกาศ": "regulation",
    "คำสั่ง": "regulation",
    "ข้อบัญญัติ": "regulation",
    "เทศบัญญัติ": "regulation",
    "แผน": "plan",
    "บันทึกข้อความ": "note",
    "หนังสือเวียน": "note",
    "รายงาน": "report",
    "รายงานการประชุม": "report",
}
AUDIENCE_LABELS = {"public": "ประชาชน", "staff": "เฉพาะเจ้าหน้าที่"}

# What a download of each supported file type is served as.
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def file_sha256(path) -> str:
    """Digest of a file's bytes: what was indexed must be what is downloaded."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def doc_id_for(key: str) -> str:
    """Stable 16-hex id of a document from its absolute source path: used in every URL."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def get_schema() -> fields.Schema:
    """Fields of an indexed document. Text fields share one Thai analyzer."""
    thai = ThaiAnalyzer()
    return fields.Schema(
        doc_id=fields.ID(stored=True, unique=True),
        key=fields.ID(stored=True),  # absolute source path: identity across runs
        path=fields.STORED,  # the path as it was given to `index`
        filename=fields.STORED,
        title=fields.TEXT(analyzer=thai, stored=True, phrase=True),
        content=fields.TEXT(analyzer=thai, stored=True, phrase=True),
        # topic, division and experts as searchable words ("กองคลัง", "นายช่างโยธา")
        meta=fields.TEXT(analyzer=thai, phrase=False),
        topic=fields.ID(stored=True),
        division=fields.ID(stored=True, sortable=True),
        expert=fields.KEYWORD(stored=True, commas=True, lowercase=False, sortable=True),
        audience=fields.ID(stored=True),
        doc_type=fields.ID(stored=True, sortable=True),
        updated=fields.ID(stored=True, sortable=True),  # ISO date or ""
        superseded_by=fields.ID(stored=True),  # doc_id of the current document, or ""
        content_hash=fields.STORED,
        file_sha256=fields.STORED,  # of the original file alone: downloads check it
        indexed_at=fields.STORED,
        # the Thai runs of title and text with their counts, for the substring fallback
        # (engine/fallback.py; indexes written before it have character trigrams, "grams")
        runs=fields.TEXT(analyzer=ThaiRunAnalyzer(), phrase=False),
        # Scans: "pages read by OCR/pages" ("" for born-digital text), and the OCR'd text
        # folded (engine/folding.py) so that words Tesseract misread are still found.
        ocr=fields.STORED,
        folded=fields.TEXT(analyzer=FoldedAnalyzer(), phrase=True),
    )
