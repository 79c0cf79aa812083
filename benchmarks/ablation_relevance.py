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

from kmsearch.engine import analysis, correction, fallback, query, search, synonyms
from kmsearch.engine.evaluation import evaluate, load_judgments
from kmsearch.engine.search import SearchService
from kmsearch.home import Home

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("exact", "compound", "question", "digits", "english", "keyboard", "typo", "old-new",
              "blind")


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
    # issue 11: what a search shows at once without each new part (the blind set is the
    # honest measure: the other categories were written by the corpus's authors)
    "no correction applied": [mock.patch.object(correction, "is_weak", lambda *a, **k: False)],
    "no substring fallback": [mock.patch.object(fallback, "search", lambda *a, **k: [])],
    "no everyday terms": [mock.patch.object(synonyms, "find", lambda *a, **k: [])],
    "none of the three": [mock.patch.object(correction, "is_weak", lambda *a, **k: False),
                          mock.patch.object(fallback, "search", lambda *a, **k: []),
                          mock.patch.object(synonyms, "find", lambda *a, **k: [])],
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
    print("MRR@10 overall and per category (231 judged queries incl. 86 blind, bundled corpus of "
          "25 documents; what a search shows at once)")
    print(header)
    blind = []
    for name, patches in VARIANTS.items():
        t = run(name, patches)
        cats = " ".join(f"{t.get(c, {}).get('MRR@10', float('nan')):>8.3f}" for c in CATEGORIES)
        a = t["ALL"]
        print(f"{name:<22}{a['MRR@10']:>8.3f}{a['success@1']:>7.3f}{a['recall@10']:>7.3f}  {cats}")
        b = t.get("blind")
        if b:
            blind.append(f"{name:<22}{b['MRR@10']:>8.3f}{b['success@1']:>7.3f}{b['recall@10']:>7.3f}")
    print("\nblind set only (86 queries written without reading the documents)")
    print(f"{'variant':<22}{'MRR@10':>8}{'S@1':>7}{'R@10':>7}")
    print("\n".join(blind))


if __name__ == "__main__":
    main()
