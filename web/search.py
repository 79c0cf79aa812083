"""The search page and the JSON search API: one box, results, facets, pages, suggestions.

Every search goes through kmsearch.engine.search.SearchService with the request's audience, so
results, snippets, facet counts and suggestions come only from documents the person may see.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from flask import Blueprint, g, jsonify, render_template, request, url_for
from kmsearch.web import heap
from kmsearch.web.auth import audience, current_staff
from kmsearch.web.services import services
from kmsearch.web.turns import Turns

from kmsearch.engine.search import EmptyQueryError, NoIndexError
from kmsearch.km.knowledge_map import nearest
from kmsearch.store.accesslog import Access

bp = Blueprint("search", __name__)

MAX_QUERY = 200  # longer than any real question; bounds the analyzer's work per request
MAX_PAGE = 500
PAGELEN = 10
EXAMPLES = 8  # knowledge-map topics offered as example searches on the empty page
FILTERS = ("division", "expert", "doc_type")
_URL_SAFE = "!$'()*,/:;?@"  # what Werkzeug leaves unquoted in a query string (url_with)


def _params() -> dict:
    """The query, filters and page from the URL, trimmed and bounded."""
    args = request.args
    try:
        page = min(max(int(args.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        page = 1
    params = {"q": (args.get("q") or "").strip()[:MAX_QUERY], "page": page}
    # exact=1: search what was typed, without putting a correction's results in its place
    params["exact"] = args.get("exact") in ("1", "true", "yes")
    for name in FILTERS:
        params[name] = (args.get(name) or "").strip()[:200] or None
    return params


# One search at a time in this process, in order of arrival (kmsearch.web.turns).
_turns = Turns()
_trimmer = heap.Trimmer()  # freed memory back to the system now and then (kmsearch.web.heap)


def run_search(params: dict):
    """Search as this request's audience and log it; None for an empty query."""
    who = audience()
    try:
        with _turns.turn():
            result = services().search.search(
                params["q"],
                audience=who,
                page=params["page"],
                pagelen=PAGELEN,
                exact=params["exact"],
                **{name: params[name] for name in FILTERS},
            )
    except EmptyQueryError:
        return None
    _trimmer.searched()
    log_access("search", query=params["q"], results=result.total)
    return result


def log_access(action: str, **fields) -> None:
    """Queue an access-log row for this request (never raises: see AccessRecorder)."""
    person = current_staff()
    services().recorder.record(
        Access(
            action=action, audience=audience(), staff_id=person["id"] if person else None, **fields
        )
    )


@bp.route("/")
def index():
    params = _params()
    page = functools.partial(
        render_template,
        "search.html",
        params=params,
        result=None,
        active=[name for name in FILTERS if params[name]],
    )
    if not params["q"]:
        return page(examples=_examples())
    try:
        result = run_search(params)
    except NoIndexError:
        return page(no_index=True), 503
    if result is None:
        return page()
    nearby = nearest(params["q"], services().topics()) if result.total == 0 else []
    return page(result=result, nearby=nearby)


def _examples() -> list[str]:
    """Knowledge-map topics this person has documents on: example searches that find something."""
    try:
        held = {d.topic for d in services().search.documents(audience())}
    except NoIndexError:
        return []
    return [t.topic for t in services().topics() if t.topic in held][:EXAMPLES]


@bp.route("/api/search")
def api_search():
    """Same search as the page, as JSON: the CLI's `search --json` object."""
    params = _params()
    if not params["q"]:
        return jsonify(error="empty query: pass q=words to search for"), 400
    try:
        result = run_search(params)
    except NoIndexError:
        return jsonify(error="nothing has been indexed yet"), 503
    if result is None:
        return jsonify(error="empty query: pass q=words to search for"), 400
    body = result.to_dict()
    body.update(page=result.page, pagecount=result.pagecount, audience=audience())
    return jsonify(body)


@bp.route("/healthz")
def healthz():
    """Liveness for monitors and the load benchmark's baseline: touches neither index nor DB."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.app_template_filter("merged")
def merged_fragments(fragments: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Join neighbouring pieces of one kind: one <mark> for a word the analyzer split in two."""
    out: list[tuple[str, bool]] = []
    for text, is_match in fragments:
        if out and out[-1][1] == is_match:
            out[-1] = (out[-1][0] + text, is_match)
        else:
            out.append((text, is_match))
    return out


@bp.app_template_global()
def url_with(**changes) -> str:
    """This search's URL with some parameters changed (None removes one); resets the page."""

    args = {k: v for k, v in request.args.items() if k in ("q", "exact", *FILTERS) and v}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    if "page" not in changes:
        args.pop("page", None)
    # A results page holds a link per facet value: encoding the arguments here, as Werkzeug's
    # URL builder does, costs a tenth of building each through url_for (0.6 ms a page).
    if "search_base" not in g:
        g.search_base = url_for("search.index")
    return g.search_base + ("?" + urlencode(args, safe=_URL_SAFE) if args else "")

