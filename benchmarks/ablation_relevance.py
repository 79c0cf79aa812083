"""What each part of the Thai search pipeline buys, measured on the judged queries.

Runs the relevance evaluation on the bundled corpus with the full pipeline and with one
feature switched off at a time (each in a fresh index), and prints one table per variant
line. A benchmark, not a test: run it after changing the analyzer or the ranking.

    .venv/bin/python benchmarks/ablation_relevance.py
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

from kmsearch.indexer.run import index_paths

from kmsearch.engine import analysis, query, search
from kmsearch.engine.evaluation import evaluate, load_judgments
from kmsearch.engine.search import SearchService
from kmsearch.home import Home

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("exact", "compound", "question", "digits", "english", "keyboard", "typo", "old-new")


def _no_adjacency(text):
    parsed = _parse(text)
    parsed.pairs, parsed.sequence = [], []
    return parsed


_parse = query.parse

VARIANTS = {
    "full pipeline": [],
    "no compound parts": [mock.patch.object(analysis, "compound_parts", lambda word: ())],
    "no adjacency boosts": [mock.patch.object(query, "parse", _no_adjacency),
                            mock.patch.object(search.querymod, "parse", _no_adjacency)],
    "keep stop words": [mock.patch.object(query, "stopwords", lambda: frozenset())],
    "no did-you-mean": [mock.patch.object(search, "suggest", lambda *a, **k: None)],
}


def run(name: str, patches) -> dict:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        for p in patches:
            stack.enter_context(p)
        home = Home(tmp)
        index_paths(home, [ROOT / "corpus"])
        service = SearchService(home)
        table = evaluate(service, load_judgments(ROOT / "corpus_sources" / "queries")).by_category()
        service.close()
    return table


def main() -> None:
    header = f"{'variant':<22}{'MRR@10':>8}{'S@1':>7}{'R@10':>7}  " + " ".join(
        f"{c[:8]:>8}" for c in CATEGORIES
    )
    print("MRR@10 overall and per category (145 judged queries, bundled corpus)")
    print(header)
    for name, patches in VARIANTS.items():
        t = run(name, patches)
        cats = " ".join(f"{t.get(c, {}).get('MRR@10', float('nan')):>8.3f}" for c in CATEGORIES)
        a = t["ALL"]
        print(f"{name:<22}{a['MRR@10']:>8.3f}{a['success@1']:>7.3f}{a['recall@10']:>7.3f}  {cats}")


if __name__ == "__main__":
    main()
