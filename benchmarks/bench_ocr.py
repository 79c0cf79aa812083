"""OCR of scanned documents: how well Tesseract reads them, how long it takes, and whether the
judged queries still find them.

1. Character error rate (CER) of the OCR text against the page's own text, per scan
   resolution and kind of page (clean scan; noise + skew + JPEG; phone photo), on single-page
   samples, with OCR seconds per page. "folded CER" compares the two texts without the marks
   and look-alike letters that kmsearch's folded field ignores (engine/folding.py).
2. The judged queries (corpus_sources/queries) on the scanned corpus next to the born-digital
   one: MRR@10, recall@10, success@1, and the scanned corpus again without the folded field.

Both corpora are made by benchmarks/make_scanned_corpus.py. OCR is slow (seconds of CPU a
page): the index of the scanned corpus keeps its OCR cache in --home, so a second run reads
nothing again.

    .venv/bin/python benchmarks/make_scanned_corpus.py /tmp/scanned
    .venv/bin/python benchmarks/make_scanned_corpus.py --pages 4 /tmp/scan-pages
    .venv/bin/python benchmarks/bench_ocr.py --pages /tmp/scan-pages --corpus /tmp/scanned --home /tmp/scan-home
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from unittest import mock

from kmsearch.indexer import ocr
from kmsearch.indexer.run import index_paths
from PIL import Image

from kmsearch.engine import folding
from kmsearch.engine.evaluation import evaluate, load_judgments
from kmsearch.engine.search import SearchService
from kmsearch.engine.thai import normalize
from kmsearch.home import Home

ROOT = Path(__file__).resolve().parent.parent
JUDGMENTS = ROOT / "corpus_sources" / "queries"


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), one row at a time."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def canonical(text: str) -> str:
    """Text as compared: normalised (one spelling of sara am, digits ...) without whitespace."""
    return "".join(normalize(text).split())


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def cer_table(pages: Path) -> None:
    rows: dict[tuple[int, str], list[float]] = {}
    for image_path in sorted(pages.glob("*@*.png")):
        stem, rest = image_path.stem.split("@")
        dpi, kind = rest.split("-")
        reference = (pages / f"{stem}.txt").read_text(encoding="utf-8")
        with Image.open(image_path) as image:
            image.load()
            frame = ocr._at_dpi(image.copy(), image.info.get("dpi"))
        start_cpu, start = cpu_seconds(), time.perf_counter()
        text = ocr._read_image(frame, lambda: 600.0)
        used_cpu, used = cpu_seconds() - start_cpu, time.perf_counter() - start
        ref, got = canonical(reference), canonical(text)
        errors = levenshtein(ref, got)
        folded_errors = levenshtein(folding.fold(reference), folding.fold(text))
        row = rows.setdefault((int(dpi), kind), [0, 0, 0, 0, 0.0, 0.0, 0])
        row[0] += errors
        row[1] += len(ref)
        row[2] += folded_errors
        row[3] += len(folding.fold(reference))
        row[4] += used_cpu
        row[5] += used
        row[6] += 1
        print(f"  {image_path.name}: CER {errors / len(ref):.3f}, {used_cpu:.1f} s CPU", flush=True)
    print()
    print(f"{'dpi':>4} {'page':<7} {'pages':>5} {'chars':>6} {'CER':>6} {'folded CER':>10} "
          f"{'CPU s/page':>10} {'wall s/page':>11}")
    for (dpi, kind), (e, n, fe, fn, c, w, count) in sorted(rows.items()):
        print(f"{dpi:>4} {kind:<7} {count:>5} {n:>6} {e / n:>6.3f} {fe / fn:>10.3f} "
              f"{c / count:>10.1f} {w / count:>11.1f}")
    print()


def _mapped(judgments, mapping: dict) -> list:
    """The judgments with the scanned corpus's file names."""
    def rename(path):
        return mapping[path]["path"] if path in mapping else path

    for j in judgments:
        j.best = rename(j.best) if j.best else None
        j.acceptable = [rename(a) for a in j.acceptable]
    return judgments


def relevance(corpus: Path, home_dir: Path) -> None:
    mapping = json.loads((corpus / "scans.json").read_text(encoding="utf-8"))
    pages = sum(m["pages"] for m in mapping.values())
    home = Home(home_dir)
    start_cpu, start = cpu_seconds(), time.perf_counter()
    report = index_paths(home, [corpus], rebuild=True)
    used_cpu, used = cpu_seconds() - start_cpu, time.perf_counter() - start
    print(f"scanned corpus: {len(mapping)} documents, {pages} pages; index run: {report.summary()}; "
          f"{report.ocr_read} pages OCR'd now, {report.ocr_cached} from the cache; "
          f"{used:.0f} s wall, {used_cpu:.0f} s CPU (this process and its children)")
    if report.ocr_read:
        print(f"  = {used_cpu / report.ocr_read:.1f} s CPU per OCR'd page (with orientation, "
              "deskew and indexing)")
    for problem in report.failed:
        print(f"  failed: {problem.path}: {problem.reason}")

    def measure(service, judgments):
        r = evaluate(service, judgments)
        return r.by_category(), r.summary(exclude=("blind",))

    with tempfile.TemporaryDirectory() as tmp:
        born = Home(tmp)
        index_paths(born, [ROOT / "corpus"])
        service = SearchService(born)
        born_table, born_all = measure(service, load_judgments(JUDGMENTS))
        with mock.patch.object(folding, "clause", lambda term, exact: exact):
            _, born_plain = measure(service, load_judgments(JUDGMENTS))
        service.close()
    service = SearchService(home)
    scan_table, scan_all = measure(service, _mapped(load_judgments(JUDGMENTS), mapping))
    with mock.patch.object(folding, "clause", lambda term, exact: exact):
        plain_table, plain_all = measure(service, _mapped(load_judgments(JUDGMENTS), mapping))
    service.close()

    print()
    print(f"{'category':<12} {'queries':>7} | {'born-digital MRR R@10':>22} | "
          f"{'scanned MRR R@10':>17} | {'scanned, no folded':>19}")
    for name in [*sorted(k for k in born_table if k != "ALL"), "ALL"]:
        b, s, p = born_table[name], scan_table.get(name), plain_table.get(name)
        print(f"{name:<12} {b['queries']:>7} | {b['MRR@10']:>13.3f} {b['recall@10']:>7.3f} | "
              f"{s['MRR@10']:>8.3f} {s['recall@10']:>7.3f} | {p['MRR@10']:>10.3f} {p['recall@10']:>7.3f}")
    print()
    for label, figures in (("born-digital", born_all), ("born-digital, no folded", born_plain),
                           ("scanned", scan_all), ("scanned, no folded", plain_all)):
        print(f"{label:<24} (without blind, {figures['queries']} queries): "
              f"MRR@10 {figures['MRR@10']:.3f}  recall@10 {figures['recall@10']:.3f}  "
              f"success@1 {figures['success@1']:.3f}  staff leaks {figures['staff_leaks']}")
    print(f"scanned / born-digital MRR@10: {scan_all['MRR@10'] / born_all['MRR@10']:.3f} "
          "(goal >= 0.9)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, help="single-page samples (CER table)")
    parser.add_argument("--corpus", type=Path, help="scanned corpus (relevance table)")
    parser.add_argument("--home", type=Path, default=Path("var-scanned"),
                        help="home of the scanned corpus's index (keeps the OCR cache)")
    args = parser.parse_args()
    missing = ocr.missing_message()
    if missing:
        raise SystemExit(missing)
    print(f"{ocr.tools().version}, languages {ocr.LANGS}, PDF pages rendered at {ocr.DPI} dpi, "
          f"{os.cpu_count()} CPUs")
    if args.pages:
        cer_table(args.pages)
    if args.corpus:
        relevance(args.corpus, args.home)


if __name__ == "__main__":
    main()
