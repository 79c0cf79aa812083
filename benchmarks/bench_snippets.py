"""Snippet cost per hit: make_fragments now against snippets.py as it was at an earlier commit
(default 87eb8b0, the end of session 14: the whole region segmented, one regex alternation).

Not a test: it prints figures, each with the number of documents and hits it was measured on.
The hits are those of real searches on a built home (bench_scale's query mix as staff and as a
citizen, and never-asked queries of 1-3 indexed words); the two implementations then build the
same snippets in interleaved rounds, and the CPU time per hit is the median of the rounds.
Every snippet is also compared: the figures say how many differ (none should).

    .venv/bin/python benchmarks/bench_snippets.py --home /tmp/s2000/home [--before REV]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_scale import QUERIES, _fresh_queries  # noqa: E402

from kmsearch.engine import search as search_module  # noqa: E402
from kmsearch.engine.search import SearchService  # noqa: E402
from kmsearch.engine.snippets import make_fragments  # noqa: E402
from kmsearch.home import Home  # noqa: E402


def snippets_at(rev: str):
    """kmsearch/engine/snippets.py as it was at commit rev, as a module of its own."""
    source = subprocess.run(["git", "-C", str(HERE.parent), "show", f"{rev}:kmsearch/engine/snippets.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(f"snippets_{rev}")
    exec(compile(source, f"snippets.py@{rev}", "exec"), module.__dict__)  # noqa: S102 -- our own file
    return module


def hits_of(home: Path, fresh: int) -> dict[str, list]:
    """(content, highlight groups) of every hit the searches showed, by query kind."""
    service = SearchService(Home(home))
    kinds = dict(QUERIES)
    if fresh:
        kinds["never asked"] = _fresh_queries(home, fresh)
    found: dict[str, list] = {}
    real = search_module.make_fragments
    for kind, queries in kinds.items():
        def record(text, groups, *args, _kind=kind, **kwargs):
            found.setdefault(_kind, []).append((text, groups))
            return real(text, groups, *args, **kwargs)

        search_module.make_fragments = record
        try:
            for audience in ("staff", "public"):
                for query in queries:
                    service.search(query, audience=audience)
        finally:
            search_module.make_fragments = real
    service.close()
    return found


def cpu_per_hit(build, hits, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.process_time()
        for text, groups in hits:
            build(text, groups)
        out.append((time.process_time() - start) / len(hits) * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a home with a built index")
    parser.add_argument("--fresh", type=int, default=200, help="never-asked queries (0: none)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default="87eb8b0", help="the commit to compare with")
    args = parser.parse_args()
    reference = snippets_at(args.before).make_fragments
    service = SearchService(Home(args.home))
    n_docs = service._searcher().doc_count()
    service.close()
    found = hits_of(args.home, args.fresh)
    print(f"snippets, CPU per hit (us), median of {args.rounds} interleaved rounds, "
          f"{n_docs} documents")
    print(f"{'query kind':16}{'hits':>6}{args.before:>11}{'now':>8}{'ratio':>8}{'differ':>8}")
    everything = [hit for hits in found.values() for hit in hits]
    for kind, hits in [*found.items(), ("all", everything)]:
        times: dict[str, list[float]] = {"before": [], "now": []}
        for i in range(args.rounds):  # alternate which goes first
            order = (("before", reference), ("now", make_fragments))
            for name, build in order if i % 2 == 0 else order[::-1]:
                times[name] += cpu_per_hit(build, hits, 1)
        differ = sum(reference(t, g) != make_fragments(t, g) for t, g in hits)
        before, after = statistics.median(times["before"]), statistics.median(times["now"])
        print(f"{kind:16}{len(hits):>6}{before:>11.0f}{after:>8.0f}{before / after:>7.1f}x{differ:>8}")


if __name__ == "__main__":
    main()
