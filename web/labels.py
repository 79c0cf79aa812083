"""Thai words for the values stored in English, and Buddhist-Era dates.

Dates are shown as `14 มี.ค. 2568`: Arabic digits (as most Thai government web pages do,
and what people type) with the Buddhist-Era year (B.E. = C.E. + 543).
"""

from __future__ import annotations

from datetime import date, datetime

from kmsearch.engine import thaidate
from kmsearch.engine.schema import AUDIENCE_LABELS, DOC_TYPE_LABELS
from kmsearch.engine.thaidate import stored_date

# One vocabulary for the CLI and the web (the plan's "refine" step): the core's labels.
DOC_TYPES = DOC_TYPE_LABELS
AUDIENCES = AUDIENCE_LABELS

ROLES = {"staff": "เจ้าหน้าที่", "committee": "คณะกรรมการติดตามผล", "admin": "ผู้ดูแลระบบ"}

MONTHS = thaidate.SHORT_MONTHS


def doc_type(value: str | None) -> str:
    """Thai label of a document type; an unknown type is shown as stored, not hidden."""
    return DOC_TYPES.get(value or "", value or "ไม่ระบุ")


def audience(value: str | None) -> str:
    return AUDIENCES.get(value or "", value or "")


def role(value: str | None) -> str:
    return ROLES.get(value or "", value or "")


def thai_date(value: date | datetime | str | None) -> str:
    """`2025-03-14` -> `14 มี.ค. 2568`; empty for no date."""
    if not value:
        return ""
    if isinstance(value, str):
        value = stored_date(value)  # ISO C.E.; an old index's B.E. year is read as B.E.
        if value is None:
            return ""
    if isinstance(value, datetime):
        value = value.date()
    return thaidate.thai_date(value)


def register(app) -> None:
    """Make the labels available to every template as filters."""
    app.add_template_filter(doc_type, "doc_type")
    app.add_template_filter(audience, "audience")
    app.add_template_filter(role, "role")
    app.add_template_filter(thai_date, "thai_date")
