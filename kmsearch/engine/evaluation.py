"""Relevance evaluation: run judged queries and measure how well the search ranks answers.

A judgment names the best answer and other acceptable answers as corpus paths
("<division>/<file>"), or best: null when the right answer for that audience is nothing (a
citizen asking about a staff-only matter). What is scored is what a search shows at once,
including a correction it applied itself (optionally also following a "did you mean" that
was only offered).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kmsearch.engine.search import SearchService

K = 10


class JudgmentError(ValueError):
    """A judgments file is malformed; the message names the file, entry and field."""


@dataclass
class Judgment:
    query: str
    category: str
    audience: str
    best: str | None
    acceptable: list[str]
    source: str


@dataclass
class Outcome:
    judgment: Judgment
    searched: str  # the query actually evaluated (the suggestion when one was followed)
    ranked: list[str]  # result paths, best first
    audiences: list[str]
    success1: float = 0.0
    recall: float = 0.0
    rr: float = 0.0
    leaks: int = 0  # staff documents shown to a citizen


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def by_category(self) -> dict[str, dict[str, float]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes:
            groups[o.judgment.category].append(o)
        table = {name: _summary(items) for name, items in sorted(groups.items())}
        table["ALL"] = _summary(self.outcomes)
        return table

    def summary(self, exclude: tuple[str, ...] = ()) -> dict[str, float]:
        """The overall figures without some categories (the relevance gate leaves out "blind")."""
        return _summary([o for o in self.outcomes if o.judgment.category not in exclude])

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.rr < 1.0 or o.leaks]


def _summary(items: list[Outcome]) -> dict[str, float]:
    n = len(items) or 1
    return {
        "queries": len(items),
        "success@1": sum(o.success1 for o in items) / n,
        "recall@10": sum(o.recall for o in items) / n,
        "MRR@10": sum(o.rr for o in items) / n,
        "staff_leaks": sum(o.leaks for o in items),
    }


def load_judgments(path: str | Path) -> list[Judgment]:
    """Judgments from a YAML file, or from every *.yaml file in a folder."""
    path = Path(path)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    out: list[Judgment] = []
    for file in files:
        entries = yaml.safe_load(file.read_text(encoding="utf-8")) or []
        if not isinstance(entries, list):
            raise JudgmentError(f"{file}: expected a list of judgments")
        for n, e in enumerate(entries, start=1):
            where = f"{file}, entry {n}"
            if not isinstance(e, dict) or not str(e.get("query", "")).strip():
                raise JudgmentError(f"{where}: 'query' is missing")
            audience = e.get("audience", "staff")
            if audience not in ("public", "staff"):
                raise JudgmentError(f"{where}: audience must be public or staff, not {audience!r}")
            acceptable = e.get("acceptable") or []
            if not isinstance(acceptable, list):
                raise JudgmentError(f"{where}: 'acceptable' must be a list")
            out.append(
                Judgment(
                    query=str(e["query"]),
                    category=str(e.get("category", "other")),
                    audience=audience,
                    best=e.get("best") or None,
                    acceptable=[str(a) for a in acceptable],
                    source=where,
                )
            )
    return out


def _matches(path: str, wanted: str) -> bool:
    path = path.replace("\\", "/")
    return path == wanted or path.endswith("/" + wanted)


def evaluate(service: SearchService, judgments: list[Judgment], follow_suggestions: bool = False) -> Report:
    """Run every judged query and score it (see the module docstring).

    What is scored is what the search shows at once (a confident correction is applied by the
    search itself). follow_suggestions also follows a "did you mean" that was only offered,
    as a person clicking it would (how figures were measured before corrections were applied).
    """
    report = Report()
    for j in judgments:
        result = service.search(j.query, audience=j.audience, pagelen=K)
        searched = result.searched or j.query
        if follow_suggestions and result.suggestion and not result.corrected:
            searched = result.suggestion
            result = service.search(searched, audience=j.audience, pagelen=K)
        ranked = [h.path for h in result.hits]
        outcome = Outcome(j, searched, ranked, [h.audience for h in result.hits])
        if j.audience == "public":
            outcome.leaks = sum(1 for a in outcome.audiences if a != "public")
        if j.best is None:
            # Right answer: nothing the audience may not see. For citizens that is guaranteed
            # only if no staff document leaked.
            ok = 0.0 if outcome.leaks else 1.0
            outcome.success1 = outcome.recall = outcome.rr = ok
        else:
            relevant = [j.best, *j.acceptable]
            for rank, path in enumerate(ranked, start=1):
                if any(_matches(path, r) for r in relevant):
                    outcome.rr = 1.0 / rank
                    break
            outcome.success1 = 1.0 if ranked and any(_matches(ranked[0], r) for r in relevant) else 0.0
            found = sum(1 for r in relevant if any(_matches(p, r) for p in ranked))
            outcome.recall = found / len(relevant)
        report.outcomes.append(outcome)
    return report


def format_table(report: Report) -> str:
    """The per-category table as aligned text."""
    rows = [f"{'category':<12} {'queries':>7} {'success@1':>10} {'recall@10':>10} {'MRR@10':>8} {'leaks':>6}"]
    for name, s in report.by_category().items():
        rows.append(
            f"{name:<12} {s['queries']:>7} {s['success@1']:>10.3f} {s['recall@10']:>10.3f} "
            f"{s['MRR@10']:>8.3f} {s['staff_leaks']:>6}"
        )
    return "\n".join(rows)
