"""Browsing the knowledge map: division -> topic -> expert, and an expert's page.

The map itself (topics, owning division, job titles) is public knowledge of the plan;
the documents listed under it come from SearchService.documents(audience), so a citizen
sees only public documents here too.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, render_template
from kmsearch.web.auth import audience
from kmsearch.web.services import services

from kmsearch.engine.search import NoIndexError

bp = Blueprint("browse", __name__, url_prefix="/browse")


def _documents():
    try:
        return services().search.documents(audience())
    except NoIndexError:
        return []


def _divisions(topics, docs) -> list[str]:
    """Divisions in knowledge-map order, then any that only documents name."""
    seen = dict.fromkeys(t.division for t in topics)
    seen.update(dict.fromkeys(d.division for d in docs if d.division))
    return [d for d in seen if d]


@bp.route("/")
def index():
    topics = services().topics()
    docs = _documents()
    counts = defaultdict(int)
    for d in docs:
        counts[d.topic] += 1
    by_division = defaultdict(list)
    for t in topics:
        by_division[t.division].append(t)
    return render_template(
        "browse.html",
        divisions=_divisions(topics, docs),
        by_division=by_division,
        counts=counts,
    )


@bp.route("/division/<division>")
def division(division: str):
    topics = [t for t in services().topics() if t.division == division]
    docs = [d for d in _documents() if d.division == division]
    if not topics and not docs:
        abort(404)
    docs_by_topic = defaultdict(list)
    for d in docs:
        docs_by_topic[d.topic].append(d)
    known = {t.topic for t in topics}
    others = [d for d in docs if d.topic not in known]
    return render_template(
        "division.html",
        division=division,
        topics=topics,
        docs_by_topic=docs_by_topic,
        others=others,
    )


@bp.route("/expert/<title>")
def expert(title: str):
    """What a job title holds: its topics in the map and the documents naming it."""
    topics = [t for t in services().topics() if title in t.experts]
    docs = [d for d in _documents() if title in d.expert]
    if not topics and not docs:
        abort(404)
    return render_template("expert.html", title=title, topics=topics, docs=docs)
