"""The document page (metadata, readable text, who to ask) and the original-file download.

URLs carry only the 16-hex-digit document id; the file path comes from the index, never
from the request, so no URL can name a file. A document the person may not see answers
404 exactly like one that does not exist: a citizen cannot even learn that it exists.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file
from kmsearch.web.auth import audience
from kmsearch.web.search import log_access
from kmsearch.web.services import services

from kmsearch.engine.search import NoIndexError
from kmsearch.km.knowledge_map import by_topic

bp = Blueprint("documents", __name__, url_prefix="/doc")

DOC_ID = "<regex('[0-9a-f]{16}'):doc_id>"


def _document(doc_id: str):
    try:
        doc = services().search.document(doc_id, audience())
    except NoIndexError:
        doc = None
    if doc is None:
        abort(404)
    return doc


def _paragraphs(text: str) -> list[str]:
    """The extracted text split at blank lines, for a readable page."""
    return [p.strip("\n") for p in text.split("\n\n") if p.strip()]


@bp.route(f"/{DOC_ID}")
def show(doc_id: str):
    doc = _document(doc_id)
    log_access("view", doc_id=doc.doc_id, doc_title=doc.title)
    topic = by_topic(services().topics()).get(doc.topic)
    return render_template(
        "document.html",
        doc=doc,
        paragraphs=_paragraphs(doc.text),
        topic=topic,
        has_file=doc.original() is not None,
    )


@bp.route(f"/{DOC_ID}/download")
def download(doc_id: str):
    doc = _document(doc_id)
    original = doc.original()
    if original is None:
        abort(410, description="file-gone")
    log_access("download", doc_id=doc.doc_id, doc_title=doc.title)
    return send_file(
        original,
        mimetype=doc.media_type,
        as_attachment=True,
        download_name=doc.filename or doc.source.name,
        max_age=0,
    )
