"""Indexing and search benchmark: segmentation engines compared on a replicated corpus.

Not a test: it prints figures. In one run it

1. replicates the bundled corpus (corpus/, or the Markdown sources in corpus_sources/ when the
   generated corpus is not there yet) to N distinct documents in a temporary folder;
2. for each segmentation engine, in a fresh subprocess (clean caches, clean imports):
   - bare segmentation: pythainlp word_tokenize over exactly the Thai runs the analyzer
     segments (every Thai run of the content, title and meta text of every indexed document);
   - full indexing: indexer.run.index_paths into a fresh home, and its ratio to the above;
   - where indexing time goes: a second, instrumented indexing run with timers around
     extraction, metadata, analysis, segmentation, Whoosh add_document and commit;
   - search latency: SearchService over that index, a fixed query list, staff and public;
3. prints one table comparing the engines and the engine these figures choose.

    .venv/bin/python benchmarks/bench_index.py                # 2,000 documents, nlpo3 and newmm
    .venv/bin/python benchmarks/bench_index.py --quick        # 200 documents
    .venv/bin/python benchmarks/bench_index.py --docs 5000 --engines nlpo3 --profile

The target (issue): indexing <= 1.3 x bare segmentation of the same text.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TARGET_RATIO = 1.3

# A fixed query list: what staff and citizens type (see corpus_sources/queries/*.yaml).
QUERIES = [
    # keywords
    "ระเบียบ",
    "ภาษีป้าย",
    "เบี้ยยังชีพผู้สูงอายุ",
    "เบี้ยความพิการ",
    "พัสดุ",
    "ระเบียบพัสดุ",
    "งานสารบรรณ",
    "ภาษีที่ดินและสิ่งปลูกสร้าง",
    "ค่าธรรมเนียมเก็บขนขยะมูลฝอย",
    "ขออนุญาตก่อสร้างอาคาร",
    "แผนพัฒนาท้องถิ่น",
    # natural questions
    "ต้องใช้เอกสารอะไรบ้างในการขอรับเบี้ยยังชีพ",
    "คนพิการได้เงินเดือนละเท่าไร",
    "ยื่นแบบภาษีป้ายได้ที่ไหน",
    "ขอดูข้อมูลข่าวสารของราชการต้องทำอย่างไร",
    "ร้องเรียนเจ้าหน้าที่ได้ช่องทางไหนบ้าง",
    "คำนวณราคากลางงานก่อสร้างอย่างไร",
    "ลาพักผ่อนสะสมได้กี่วัน",
    # phrases in quotes
    '"หนังสือประทับตรา"',
    '"หลักการและเหตุผล"',
    '"วิธีเฉพาะเจาะจง"',
    '"ราคากลางงานก่อสร้าง"',
    # English terms, numbers, abbreviations
    "e-LAAS",
    "ระบบ e-LAAS คืออะไร",
    "e-GP",
    "วงเงินไม่เกิน 500,000 บาท",
    "ภ.ป.1",
    "เบี้ยยังชีพ 700 บาท",
    # keyboard left in English layout, typos
    "4kKuxhkp",
    "ภาษีป่าย",
    "งานสารบรรน",
    "จัดซื้อจัดจาง",
]
AUDIENCES = ("staff", "public")

# The copies are written by corpus_gen.py, beside this script.
from corpus_gen import (  # noqa: E402
    COPIES_VERSION,
    DOC_SUFFIXES,
    MARKER_WORDS,
    Template,
    find_templates,
    replicate,
)

# =============================================================================================
# The worker: one engine, one clean process
# =============================================================================================


def _set_engine(engine: str) -> None:
    """Switch the analyzer's engine in this process and drop everything cached for the old one."""
    import kmsearch.indexer.run as run

    import kmsearch.engine.analysis as analysis

    analysis.ENGINE = engine
    run.ENGINE = engine  # part of the content hash only
    analysis._segmenter.cache_clear()
    analysis.compound_parts.cache_clear()


def _warm_up(folder: Path, engine: str) -> None:
    """Load what any long-running indexer has loaded: modules, dictionaries, the engine."""
    from kmsearch.indexer.extract import extract
    from pythainlp.tokenize import word_tokenize

    from kmsearch.engine.analysis import compound_parts, dictionary, word_spans

    word_tokenize("การทดสอบระบบค้นหา", engine=engine)
    word_spans("การทดสอบระบบค้นหา")
    dictionary()
    from pythainlp.tokenize.tcc import tcc_pos

    tcc_pos("ทดสอบ")
    seen = set()
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() in DOC_SUFFIXES and p.suffix.lower() not in seen:
            seen.add(p.suffix.lower())
            try:
                extract(p)
            except Exception:
                pass
    compound_parts.cache_clear()


def _field_texts(home) -> list[str]:
    """Exactly the text the analyzer got for every document: content, title and meta."""
    from kmsearch.engine import indexstore

    ix = indexstore.open_current(home)
    texts = []
    with ix.searcher() as s:
        for f in s.all_stored_fields():
            texts.append(f.get("content", ""))
            texts.append(f.get("title", ""))
            experts = [e for e in f.get("expert", "").split(",")]
            texts.append(" ".join([f.get("topic", ""), f.get("division", ""), *experts]))
    return texts


def _thai_runs(texts: list[str]) -> list[str]:
    """The Thai runs word_spans() hands to the segmenter (same normalisation, same regex)."""
    from kmsearch.engine.analysis import _RUN
    from kmsearch.engine.thai import normalize_with_offsets

    runs = []
    for text in texts:
        norm, _ = normalize_with_offsets(text)
        runs.extend(m.group() for m in _RUN.finditer(norm) if m.lastgroup == "thai")
    return runs


def _index_once(folder: Path, home_dir: Path) -> tuple[float, float, object]:
    from kmsearch.indexer.run import index_paths

    import kmsearch.engine.analysis as analysis
    from kmsearch.home import Home

    shutil.rmtree(home_dir, ignore_errors=True)
    analysis.compound_parts.cache_clear()  # every run starts with an empty word cache
    t0, c0 = time.perf_counter(), time.process_time()
    report = index_paths(Home(home_dir), [folder])
    return time.perf_counter() - t0, time.process_time() - c0, report


class Timers:
    """Accumulated seconds and calls per label."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def add(self, label: str, dt: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + dt
        self.calls[label] = self.calls.get(label, 0) + 1

    def wrap(self, label: str, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - t0)

        return timed


def _instrumented_index(folder: Path, home_dir: Path, profile: bool) -> dict:
    """Index again with timers around each stage; returns seconds per stage."""
    import kmsearch.indexer.run as run
    from whoosh.writing import SegmentWriter

    import kmsearch.engine.analysis as analysis

    timers = Timers()
    # What analyze() calls for the word tokens: _words() (a generator) since the Span objects
    # were dropped, word_spans() before.
    tokens_fn = "_words" if hasattr(analysis, "_words") else "word_spans"
    saved = {
        (run, "extract"): run.extract,
        (run, "build_fields"): run.build_fields,
        (run, "content_hash"): run.content_hash,
        (analysis, "analyze"): analysis.analyze,
        (analysis, tokens_fn): getattr(analysis, tokens_fn),
        (analysis, "_segmenter"): analysis._segmenter,
        (SegmentWriter, "add_document"): SegmentWriter.add_document,
        (SegmentWriter, "commit"): SegmentWriter.commit,
    }
    real_analyze = analysis.analyze
    real_segmenter = analysis._segmenter()

    def analyze(text, parts=True):
        t0 = time.perf_counter()
        out = list(real_analyze(text, parts))  # materialised: the time is the analyzer's
        timers.add("analysis", time.perf_counter() - t0)
        return iter(out)

    timed_segment = timers.wrap("segmentation", real_segmenter)
    run.extract = timers.wrap("extraction", run.extract)
    run.build_fields = timers.wrap("build_fields", run.build_fields)
    run.content_hash = timers.wrap("content hash", run.content_hash)
    analysis.analyze = analyze
    real_tokens = getattr(analysis, tokens_fn)

    def tokens(norm):
        t0 = time.perf_counter()
        out = list(real_tokens(norm))
        timers.add("word tokens", time.perf_counter() - t0)
        return iter(out) if tokens_fn == "_words" else out

    setattr(analysis, tokens_fn, tokens)
    analysis._segmenter = lambda: timed_segment
    SegmentWriter.add_document = timers.wrap("add_document", SegmentWriter.add_document)
    SegmentWriter.commit = timers.wrap("commit", SegmentWriter.commit)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        total, _cpu, _report = _index_once(folder, home_dir)
    finally:
        if profiler is not None:
            profiler.disable()
        for (owner, name), value in saved.items():
            setattr(owner, name, value)
    s = timers.seconds
    stages = {
        "extraction (files -> text)": s.get("extraction", 0.0),
        "metadata + normalise": s.get("build_fields", 0.0) - s.get("extraction", 0.0),
        "content hash (read bytes)": s.get("content hash", 0.0),
        "segmentation (engine calls)": s.get("segmentation", 0.0),
        "word tokens minus engine (regex, spans)": s.get("word tokens", 0.0) - s.get("segmentation", 0.0),
        "compound parts + analyze loop": s.get("analysis", 0.0) - s.get("word tokens", 0.0),
        "whoosh add_document (minus analysis)": s.get("add_document", 0.0) - s.get("analysis", 0.0),
        "whoosh commit": s.get("commit", 0.0),
    }
    stages["other (walk, maps, open, lock)"] = total - sum(stages.values())
    out = {"total": total, "stages": stages, "segment_calls": timers.calls.get("segmentation", 0)}
    if profiler is not None:
        import io
        import pstats

        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(30)
        out["profile"] = buf.getvalue()
    return out


def _build_job(job):
    """build_fields in a pool process: (fields, None) or (None, the error as _write reports it)."""
    import kmsearch.indexer.run as run
    from kmsearch.indexer.document import ExtractionError

    source, topics, hash_ = job
    try:
        return run.build_fields(source, topics, hash_), None
    except ExtractionError as e:
        return None, str(e)
    except OSError as e:
        return None, f"cannot read the file: {e.strerror or e}"


def _pooled_write(procs: int):
    """A stand-in for indexer.run._write (fresh runs) that extracts in a process pool."""
    import multiprocessing

    import kmsearch.indexer.run as run

    def write(writer, sources, maps, existing, fresh, report, progress):
        assert fresh, "what-if covers fresh indexes only"
        jobs = []
        for source in sources:
            topics, map_bytes = maps.get(source.root.resolve(), ({}, b""))
            jobs.append((source, topics, run.content_hash(source, map_bytes)))
        spawn = multiprocessing.get_context("spawn")  # no fork under a Whoosh writer
        with ProcessPoolExecutor(procs, mp_context=spawn) as pool:
            for job, (fields, error) in zip(jobs, pool.map(_build_job, jobs, chunksize=8), strict=True):
                if error is not None:
                    report.failed.append(run.Problem(job[0].given, error))
                    continue
                writer.add_document(**fields)
                report.indexed += 1

    return write


def _fingerprint(home_dir: Path) -> str:
    """Digest of an index's stored fields (but indexed_at) and postings, in document order."""
    from kmsearch.engine import indexstore

    h = hashlib.sha256()
    with indexstore.open_current(_home(home_dir)).reader() as r:
        for docnum, fields in r.iter_docs():
            h.update(repr((docnum, sorted((k, v) for k, v in fields.items() if k != "indexed_at"))).encode())
        for posting in r.iter_postings():
            h.update(repr(posting).encode())
    return h.hexdigest()


def _what_if_pool(folder: Path, work: Path, engine: str, procs: int, reference: Path) -> dict:
    """Index with extraction in a pool of procs processes; same index as the reference?"""
    import kmsearch.indexer.run as run

    home = work / f"home-{engine}-pool"
    saved = run._write
    run._write = _pooled_write(procs)
    try:
        wall, cpu, report = _index_once(folder, home)
    except Exception as e:  # run.py changed under the what-if: say so, measure the rest
        return {"error": f"{type(e).__name__}: {e}"}
    finally:
        run._write = saved
    same = _fingerprint(home) == _fingerprint(reference)
    shutil.rmtree(home, ignore_errors=True)
    return {"procs": procs, "seconds": wall, "main_cpu": cpu, "indexed": report.indexed, "same_index": same}


def _time_segmentation(runs: list[str], engine: str) -> dict:
    """Bare segmentation of the runs: word_tokenize as word_spans calls it, and the engine alone."""
    from pythainlp.tokenize import word_tokenize

    t0, c0 = time.perf_counter(), time.process_time()
    cut = [word_tokenize(run, engine=engine, keep_whitespace=True) for run in runs]
    bare, bare_cpu = time.perf_counter() - t0, time.process_time() - c0
    tokens = sum(len(words) for words in cut)
    digests = [zlib.crc32("|".join(words).encode()) for words in cut]
    # The engine alone, same dictionary, no word_tokenize wrapper around each call.
    segment = _raw_engine(engine)
    engine_only = None
    if segment is not None:
        t0 = time.perf_counter()
        for run in runs:
            segment(run)
        engine_only = time.perf_counter() - t0
    return {"seconds": bare, "cpu_seconds": bare_cpu, "engine_seconds": engine_only,
            "tokens": tokens, "digests": digests}


def _raw_engine(engine: str):
    """engine's own segment function with PyThaiNLP's dictionary, or None for other engines."""
    if engine == "nlpo3":
        from importlib.resources import as_file, files

        import nlpo3

        with as_file(files("pythainlp.corpus").joinpath("words_th.txt")) as path:
            nlpo3.load_dict(str(path), "bench-words_th")
        return lambda run: nlpo3.segment(run, "bench-words_th")
    if engine == "newmm":
        from pythainlp.tokenize import word_dict_trie
        from pythainlp.tokenize.newmm import segment

        trie = word_dict_trie()
        return lambda run: segment(run, trie)
    return None


def _time_analysis(texts: list[str]) -> float:
    """analyze() over the same field texts, in memory (no extraction, no Whoosh)."""
    import kmsearch.engine.analysis as analysis

    analysis.compound_parts.cache_clear()
    t0 = time.perf_counter()
    for text in texts:
        for _ in analysis.analyze(text):
            pass
    return time.perf_counter() - t0


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _time_search(home_dir: Path, repeats: int) -> dict:
    from kmsearch.engine.search import SearchService
    from kmsearch.home import Home

    service = SearchService(Home(home_dir))
    samples: list[float] = []
    per_query: dict[str, dict] = {}
    try:
        for text in QUERIES:
            for audience in AUDIENCES:
                first = service.search(text, audience=audience)  # warm-up
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    service.search(text, audience=audience)
                    times.append((time.perf_counter() - t0) * 1000)
                samples.extend(times)
                per_query[f"{audience}\t{text}"] = {
                    "median_ms": statistics.median(times),
                    "total": first.total,
                    "suggestion": first.suggestion,
                    "top": first.hits[0].path if first.hits else None,
                }
    finally:
        service.close()
    return {
        "p50": _percentile(samples, 50),
        "p95": _percentile(samples, 95),
        "max": max(samples),
        "n": len(samples),
        "queries": per_query,
    }


def worker(args) -> int:
    """Measure one engine; write the figures as JSON to args.out."""
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    folder, work = Path(args.folder), Path(args.work)
    engine = args.worker
    _set_engine(engine)
    _warm_up(folder, engine)
    home = work / f"home-{engine}"
    load_before = os.getloadavg()
    index_times, report = [], None
    for _ in range(args.repeat):
        seconds, cpu, report = _index_once(folder, home)
        index_times.append((seconds, cpu))
    texts = _field_texts(_home(home))
    runs = _thai_runs(texts)
    seg = min((_time_segmentation(runs, engine) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    analysis_seconds = min(_time_analysis(texts) for _ in range(args.repeat))
    breakdown = None
    if not args.no_breakdown:
        breakdown = _instrumented_index(folder, work / f"home-{engine}-instrumented", args.profile)
        shutil.rmtree(work / f"home-{engine}-instrumented", ignore_errors=True)
    pool = _what_if_pool(folder, work, engine, args.pool_what_if, home) if args.pool_what_if else None
    search = _time_search(home, args.search_repeats)
    import kmsearch

    result = {
        "engine": engine,
        "code": str(Path(kmsearch.__file__).resolve().parents[1]),
        "index_seconds": min(t[0] for t in index_times),
        "index_cpu_seconds": min(t[1] for t in index_times),
        "index_runs": index_times,
        "load": [load_before[0], os.getloadavg()[0]],
        "indexed": report.indexed,
        "failed": [f"{p.path}: {p.reason}" for p in report.failed],
        "fields": len(texts),
        "text_chars": sum(len(t) for t in texts),
        "runs": len(runs),
        "run_chars": sum(len(r) for r in runs),
        "segmentation": {k: v for k, v in seg.items() if k != "digests"},
        "analysis_seconds": analysis_seconds,
        "breakdown": breakdown,
        "pool": pool,
        "search": search,
    }
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    Path(args.out).with_suffix(".digests.json").write_text(json.dumps(seg["digests"]))
    return 0


def _home(path: Path):
    from kmsearch.home import Home

    return Home(path)


# =============================================================================================
# Orchestration and report
# =============================================================================================


def machine_info() -> list[str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for dist in ("pythainlp", "nlpo3", "whoosh-reloaded", "pdfminer.six", "fpdf2"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    return [
        f"machine : {platform.machine()} {cpu or platform.processor()}, {os.cpu_count()} cores "
        f"({usable} usable), {platform.system()} {platform.release()}",
        f"python  : {platform.python_implementation()} {platform.python_version()}",
        f"packages: {', '.join(versions)}",
    ]


def run_engine(engine: str, folder: Path, work: Path, args) -> dict:
    out = work / f"result-{engine}.json"
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--worker", engine,
        "--folder", str(folder), "--work", str(work), "--out", str(out),
        "--repeat", str(args.repeat), "--search-repeats", str(args.search_repeats),
    ]
    if args.no_breakdown:
        cmd.append("--no-breakdown")
    if args.profile:
        cmd.append("--profile")
    if args.code:
        cmd += ["--code", args.code]
    if args.pool_what_if:
        cmd += ["--pool-what-if", str(args.pool_what_if)]
    env = dict(os.environ, PYTHAINLP_OFFLINE="1", PYTHAINLP_READ_ONLY="1", PYTHONHASHSEED="0")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return {"engine": engine, "error": " / ".join(tail) or f"exit {proc.returncode}"}
    result = json.loads(out.read_text())
    result["digests"] = json.loads(out.with_suffix(".digests.json").read_text())
    return result


def _ratio(r: dict) -> float:
    return r["index_seconds"] / r["segmentation"]["seconds"]


def _fmt_rate(n: float, seconds: float, unit: str) -> str:
    if seconds <= 0:
        return "-"
    rate = n / seconds
    return f"{rate / 1e6:.2f} M{unit}/s" if rate >= 1e6 else f"{rate / 1e3:.1f} k{unit}/s"


def _differing_runs(a: dict, b: dict, work: Path, show: int = 5) -> list[str]:
    """The Thai runs the two engines cut differently, as each cuts them (first few)."""
    from pythainlp.tokenize import word_tokenize

    differ = [i for i, (x, y) in enumerate(zip(a["digests"], b["digests"], strict=False)) if x != y]
    if not differ or not (work / f"home-{a['engine']}").exists():
        return []
    runs = _thai_runs(_field_texts(_home(work / f"home-{a['engine']}")))
    lines = []
    for i in differ[:show]:
        cuts = [
            f"{r['engine']}: {'|'.join(word_tokenize(runs[i], engine=r['engine']))}" for r in (a, b)
        ]
        lines.append("; ".join(cuts))
    return lines


def print_report(results: list[dict], prep: dict, mode: str, notes: list[str], args, work: Path) -> None:
    ok = [r for r in results if "error" not in r]
    print()
    print("== Engines compared ==")
    rows = [
        ("indexed documents", lambda r: f"{r['indexed']}" + (f" ({len(r['failed'])} failed)" if r["failed"] else "")),
        ("text analysed (content+title+meta)", lambda r: f"{r['text_chars'] / 1e6:.2f} M chars"),
        ("Thai runs segmented", lambda r: f"{r['runs']:,} / {r['run_chars'] / 1e6:.2f} M chars"),
        ("bare segmentation, wall (cpu)", lambda r: f"{r['segmentation']['seconds']:.2f} s ({r['segmentation']['cpu_seconds']:.2f} s)"),
        ("  speed (wall)", lambda r: _fmt_rate(r["run_chars"], r["segmentation"]["seconds"], "chars")),
        ("  engine alone, no word_tokenize", lambda r: "-" if r["segmentation"]["engine_seconds"] is None
         else f"{r['segmentation']['engine_seconds']:.2f} s "
         f"({_fmt_rate(r['run_chars'], r['segmentation']['engine_seconds'], 'chars')})"),
        ("analyze() in memory, same text", lambda r: f"{r['analysis_seconds']:.2f} s "
         f"(x{r['analysis_seconds'] / r['segmentation']['seconds']:.2f} bare)"),
        ("full indexing, wall (cpu)", lambda r: f"{r['index_seconds']:.2f} s ({r['index_cpu_seconds']:.2f} s)"),
        ("  throughput (wall)", lambda r: f"{r['indexed'] / r['index_seconds']:.1f} docs/s"),
        (f"RATIO indexing/bare, target <= {TARGET_RATIO}", lambda r: f"x{_ratio(r):.2f} wall, "
         f"x{r['index_cpu_seconds'] / r['segmentation']['cpu_seconds']:.2f} cpu"),
        ("search p50 / p95 / max", lambda r: f"{r['search']['p50']:.1f} / {r['search']['p95']:.1f} / {r['search']['max']:.1f} ms"),
        ("load average before/after", lambda r: f"{r['load'][0]:.2f} / {r['load'][1]:.2f}"),
    ]
    width = max(len(label) for label, _ in rows) + 8
    col = 30
    print(f"{'':<{width}}" + "".join(f"{r['engine']:<{col}}" for r in results))
    for label, cell in rows:
        line = f"{label:<{width}}"
        for r in results:
            line += f"{(cell(r) if 'error' not in r else 'ERROR'):<{col}}"
        print(line)
    for r in results:
        if "error" in r:
            print(f"  {r['engine']}: failed: {r['error']}")
        for f in r.get("failed", [])[:5]:
            print(f"  {r['engine']}: could not index {f}")

    broken = [r for r in ok if r.get("breakdown")]
    if broken:
        print()
        print("== Where indexing time goes (second, instrumented run; timers add a little) ==")
        print(f"{'':<{width}}" + "".join(f"{r['engine']:<{col}}" for r in broken))
        for label in broken[0]["breakdown"]["stages"]:
            cells = []
            for r in broken:
                v, total = r["breakdown"]["stages"][label], r["breakdown"]["total"]
                cells.append(f"{v:7.2f} s {100 * v / total:5.1f}%")
            print(f"{label:<{width}}" + "".join(f"{c:<{col}}" for c in cells))
        cells = [f"{r['breakdown']['total']:7.2f} s" for r in broken]
        print(f"{'total (instrumented)':<{width}}" + "".join(f"{c:<{col}}" for c in cells))
        cells = []
        for r in broken:
            st, total = r["breakdown"]["stages"], r["breakdown"]["total"]
            rest = total - st["extraction (files -> text)"] - st["metadata + normalise"]
            cells.append(f"x{rest / r['segmentation']['seconds']:.2f} ({rest:.2f} s)")
        label = "indexing minus extraction+metadata"
        print(f"{label:<{width}}" + "".join(f"{c:<{col}}" for c in cells) + " / bare segmentation")
        for r in broken:
            if r["breakdown"].get("profile"):
                print(f"\n-- cProfile of the instrumented run, {r['engine']} (top 30 by own time) --")
                print(r["breakdown"]["profile"])

    pooled = [r for r in ok if r.get("pool")]
    if pooled:
        print()
        print("== What if extraction ran in a process pool (a proposal; not what indexer.run does) ==")
        for r in pooled:
            p = r["pool"]
            if "error" in p:
                print(f"   {r['engine']}: could not run: {p['error']}")
                continue
            print(f"   {r['engine']}: {p['procs']} spawned processes extract, the main process analyses "
                  f"and writes: {p['seconds']:.1f} s wall ({r['index_seconds'] / p['seconds']:.2f}x faster, "
                  f"ratio x{p['seconds'] / r['segmentation']['seconds']:.2f} bare); "
                  f"index identical to the sequential one: {'yes' if p['same_index'] else 'NO'}")

    if len(ok) >= 2:
        print()
        a, b = ok[0], ok[1]
        same = sum(x == y for x, y in zip(a["digests"], b["digests"], strict=False))
        n = max(len(a["digests"]), len(b["digests"]))
        print(f"== Agreement: {a['engine']} and {b['engine']} cut {same:,} of {n:,} Thai runs "
              f"identically ({100 * same / n:.2f}%) ==")
        for line in _differing_runs(a, b, work):
            print(f"   {line}")
        diff = [
            k for k in a["search"]["queries"]
            if a["search"]["queries"][k]["total"] != b["search"]["queries"].get(k, {}).get("total")
            or a["search"]["queries"][k]["top"] != b["search"]["queries"].get(k, {}).get("top")
        ]
        print(f"   search: {len(a['search']['queries']) - len(diff)} of {len(a['search']['queries'])} "
              f"(query, audience) pairs give the same total and top hit")
        for k in diff[:5]:
            print(f"   differs: {k.replace(chr(9), ' ')}")

    if ok:
        print()
        print(f"== Slowest queries ({ok[0]['engine']}, median of {args.search_repeats} runs) ==")
        qs = sorted(ok[0]["search"]["queries"].items(), key=lambda kv: -kv[1]["median_ms"])
        for key, v in qs[:6]:
            audience, text = key.split("\t")
            sug = f", did you mean {v['suggestion']}" if v["suggestion"] else ""
            print(f"   {v['median_ms']:7.1f} ms  {audience:<6} {text}  ({v['total']} hits{sug})")

    print()
    if ok:
        # CPU seconds decide: on a shared machine wall time also measures the neighbours.
        best = min(ok, key=lambda r: r["index_cpu_seconds"])
        why = []
        for o in (r for r in ok if r is not best):
            idx = o["index_cpu_seconds"] / best["index_cpu_seconds"]
            seg = o["segmentation"]["cpu_seconds"] / best["segmentation"]["cpu_seconds"]
            why.append(
                f"full indexing {idx:.2f}x faster than {o['engine']} in CPU time "
                f"({best['index_cpu_seconds']:.1f} s vs {o['index_cpu_seconds']:.1f} s; wall "
                f"{best['index_seconds']:.1f} s vs {o['index_seconds']:.1f} s), bare segmentation "
                f"{seg:.1f}x faster"
            )
            worse = best["search"]["p95"] > 1.2 * o["search"]["p95"] + 5
            why.append(
                f"search p95 {best['search']['p95']:.0f} ms vs {o['search']['p95']:.0f} ms"
                + (" (higher: a search segments only the query and the shown snippets, so "
                   "check with more --search-repeats before weighing this)" if worse else "")
            )
        print(f"CHOSEN ENGINE: {best['engine']} -- " + "; ".join(why or ["the only engine measured"]) + ".")
        r = _ratio(best)
        verdict = "MET" if r <= TARGET_RATIO else "NOT MET"
        print(f"TARGET indexing <= {TARGET_RATIO} x bare segmentation: {verdict} "
              f"(x{r:.2f} wall, x{best['index_cpu_seconds'] / best['segmentation']['cpu_seconds']:.2f} "
              f"cpu, with {best['engine']}).")
        if best.get("breakdown"):
            st = best["breakdown"]["stages"]
            top = sorted(st.items(), key=lambda kv: -kv[1])[:3]
            print("   largest stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in top))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000, help="documents to index (default 2000)")
    parser.add_argument("--quick", action="store_true", help="200 documents")
    parser.add_argument("--engines", default="nlpo3,newmm", help="comma-separated (default nlpo3,newmm)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="index and segment this many times, report the fastest (default 1)")
    parser.add_argument("--search-repeats", type=int, default=5, help="timed runs per query (default 5)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the instrumented run")
    parser.add_argument("--profile", action="store_true", help="cProfile the instrumented run")
    parser.add_argument("--pool-what-if", type=int, default=0, metavar="N",
                        help="also index with extraction in N processes (a proposal, not the code)")
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the copies in DIR")
    parser.add_argument("--code", metavar="DIR",
                        help="import kmsearch and indexer from DIR (a copy of them: before/after "
                             "figures for a core change)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        if args.code:
            sys.path.insert(0, str(Path(args.code).resolve()))
        return worker(args)
    n_docs = 200 if args.quick else args.docs
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]

    print("kmsearch indexing benchmark")
    for line in machine_info():
        print(line)
    mode, templates, notes = find_templates()
    print(f"input   : {mode}/ -- {len(templates)} documents"
          + (" (" + ", ".join(f"{k} {v}" for k, v in _count(t.relpath.rsplit('.', 1)[-1] for t in templates).items()) + ")"))
    for note in notes:
        print(f"note    : {note}")

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kmsearch-bench-"))
    folder = work / "corpus"
    stamp = work / "copies.json"
    wanted = {"docs": n_docs, "templates": [dataclasses.asdict(t) for t in templates],
              "hash": _templates_hash(templates)}
    try:
        if args.keep and stamp.exists() and json.loads(stamp.read_text()).get("wanted") == wanted:
            prep = json.loads(stamp.read_text())["prep"]
            print(f"copies  : reusing {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            prep = replicate(templates, n_docs, folder, workers=os.cpu_count() or 1)
            stamp.write_text(json.dumps({"wanted": wanted, "prep": prep}, ensure_ascii=False))
        print(f"copies  : {prep['docs']} documents in {folder} ({prep['distinct']} distinct file "
              f"contents; {', '.join(f'{k} {v}' for k, v in sorted(prep['formats'].items()))}; "
              f"written in {prep['seconds']:.0f} s)")
        if prep["distinct"] < prep["docs"]:
            print(f"WARNING : only {prep['distinct']} of {prep['docs']} copies are distinct")
        how = {
            "render": "re-rendered by scripts/build_corpus.py in the document's own format and "
                      "metadata route",
            "markdown": "written as Markdown with the source's front matter",
            "verbatim": "copied byte for byte (NOT distinct)",
        }
        for kind, count in prep["kinds"].items():
            if count:
                print(f"          {count} templates {how[kind]}")
        print("          each copy k of a document: title first, then a marker paragraph unique to "
              f"the copy (its number + {MARKER_WORDS} dictionary words drawn from a seed, new "
              "vocabulary), then the body blocks rotated by k; superseded_by points into the same copy")
        if prep["faithful"][1]:
            print(f"          generator check: {prep['faithful'][0]} of {prep['faithful'][1]} corpus/ "
                  "files are byte-identical to the generator's unchanged render")
        print(f"method  : one subprocess per engine; warm-up (imports, dictionary, engine, one file "
              f"of each type) then caches cleared; timings are the best of {args.repeat} run(s); "
              f"search: {len(QUERIES)} queries x {len(AUDIENCES)} audiences, 1 warm-up + "
              f"{args.search_repeats} timed each")
        if args.code:
            print(f"code    : kmsearch and indexer imported from {args.code}")
        results = []
        for engine in engines:
            t0 = time.perf_counter()
            print(f"running : {engine} ...", flush=True)
            results.append(run_engine(engine, folder, work, args))
            print(f"          done in {time.perf_counter() - t0:.0f} s", flush=True)
        print_report(results, prep, mode, notes, args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _count(items) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return dict(sorted(out.items()))


def _templates_hash(templates: list[Template]) -> str:
    h = hashlib.sha256()
    for t in templates:
        for p in (t.source, t.original):
            if p and Path(p).exists():
                h.update(Path(p).read_bytes())
    build = REPO / "scripts" / "build_corpus.py"
    if build.exists():
        h.update(build.read_bytes())
    h.update(f"copies v{COPIES_VERSION}".encode())
    return h.hexdigest()


if __name__ == "__main__":
    sys.exit(main())
