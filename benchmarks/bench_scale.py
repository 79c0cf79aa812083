"""Search at municipal scale: indexing, search latency, the server under load, memory, start-up.

Not a test: it prints figures, each with the number of documents it was measured on. Every
comparison is made within one run (a ratio to a floor measured beside it), because the
machine is shared and wall time also measures the neighbours.

    .venv/bin/python benchmarks/corpus_gen.py --docs 2000 --out /work/benchdata/c2000
    .venv/bin/python benchmarks/bench_scale.py --corpus /work/benchdata/c2000 --work /tmp/s2000

What one run prints:

1. indexing: `index_paths` of the whole corpus (wall and CPU), then of its text files alone
   (Markdown, text, HTML) beside two floors over exactly the same text: a plain Whoosh index
   (one TEXT field, tokens from nlpo3 alone) and bare nlpo3 segmentation; PDF extraction
   time per file, measured on its own;
2. in-process search, warm, one thread: p50/p95/max per query kind (single words, words inside
   compounds, quoted phrases, typos, long citizen questions of 8+ words), as staff and as
   citizens; and how often the first page equals Whoosh's exhaustive ranking of the same query;
3. the real server (`kmsearch serve`, loopback) with 8 clients (half signed in): RSS after 100
   and after 1,000 mixed searches, then rounds alternating /healthz (touches neither index nor
   database), /api/search and the search page: p50/p95 and the ratio to /healthz;
4. CLI start-up: the imports of `kmsearch --help` and `kmsearch search` (python -X importtime).

Only public interfaces are used (SearchService, index_paths, the CLI), so the same script
measures an older checkout: run it with that checkout's interpreter for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from load_web import PASSWORD, Stats, client, free_port, sign_in_half, start_server  # noqa: E402

TEXT_SUFFIXES = (".md", ".txt", ".html")

QUERIES = {
    "single word": ["ระเบียบ", "พัสดุ", "ภาษี", "ขยะ", "อาคาร", "งบประมาณ", "โครงการ", "e-LAAS"],
    "compound part": ["ยังชีพ", "ป้าย", "สารบรรณ", "ราคากลาง", "ก่อสร้าง", "พิการ", "ท้องที่",
                      "ข่าวสาร"],
    "quoted phrase": ['"หนังสือประทับตรา"', '"หลักการและเหตุผล"', '"วิธีเฉพาะเจาะจง"',
                      '"ราคากลางงานก่อสร้าง"', '"ภาษีที่ดินและสิ่งปลูกสร้าง"',
                      '"เบี้ยยังชีพผู้สูงอายุ"'],
    "typo": ["ภาษีป่าย", "งานสารบรรน", "จัดซื้อจัดจาง", "ครุภันฑ์", "4kKuxhkp", "ใบอนุญาด",
             "เบี้ยยังชีบ", "ค่าธรรมเนียมขยะมูลฟอย"],
    "long question": [
        "ผู้สูงอายุต้องใช้เอกสารอะไรบ้างในการขอรับเบี้ยยังชีพที่เทศบาล",
        "ถ้าจะขออนุญาตก่อสร้างอาคารต้องยื่นเอกสารอะไรบ้างและใช้เวลากี่วัน",
        "ภาษีป้ายต้องยื่นแบบภายในเดือนไหนและชำระได้ที่ไหนบ้าง",
        "คนพิการต้องไปลงทะเบียนขอรับเบี้ยความพิการที่ไหนและได้เงินเดือนละเท่าไร",
        "อยากร้องเรียนเจ้าหน้าที่ที่ทำงานล่าช้าต้องทำอย่างไรและใช้ช่องทางไหน",
        "ขอดูข้อมูลข่าวสารของราชการต้องเขียนคำขออย่างไรและเสียค่าใช้จ่ายหรือไม่",
        "ค่าธรรมเนียมเก็บขนขยะมูลฝอยของบ้านเรือนต้องจ่ายเดือนละเท่าไรและจ่ายที่ไหน",
        "การกำหนดราคากลางงานก่อสร้างถนนคอนกรีตต้องใช้แบบฟอร์มอะไรบ้าง",
    ],
}
AUDIENCES = ("staff", "public")


def pct(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def count_docs(folder: Path) -> int:
    suffixes = (".pdf", ".docx", *TEXT_SUFFIXES)
    return sum(1 for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


# --- 1. indexing ----------------------------------------------------------------------------


def _nlpo3():
    from importlib.resources import as_file, files

    import nlpo3

    name = "bench-words_th"
    with as_file(files("pythainlp.corpus").joinpath("words_th.txt")) as path:
        nlpo3.load_dict(str(path), name)
    return lambda text: nlpo3.segment(text, name)


class Nlpo3Tokenizer:
    """Whoosh tokenizer of a plain index: nlpo3's words, nothing else (the floor)."""

    def __init__(self):
        self._segment = None

    def __getstate__(self):  # pickled into the index schema: no function inside
        return {}

    def __setstate__(self, state):
        self._segment = None

    def __eq__(self, other):
        return isinstance(other, Nlpo3Tokenizer)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        from whoosh.analysis.acore import Token

        if self._segment is None:
            self._segment = _nlpo3()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos, char = start_pos, start_char
        for word in self._segment(value):
            if not word.isspace():
                token.text, token.boost, token.stopped = word, 1.0, False
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = char, char + len(word)
                pos += 1
                yield token
            char += len(word)


def _plain_whoosh(texts: list[str], folder: Path) -> float:
    """Seconds to index texts into a plain Whoosh index whose only analysis is nlpo3."""
    from whoosh import fields, index

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    schema = fields.Schema(content=fields.TEXT(analyzer=Nlpo3Tokenizer(), stored=True, phrase=True))
    t0, c0 = time.perf_counter(), time.process_time()
    ix = index.create_in(str(folder), schema)
    with ix.writer() as writer:
        for text in texts:
            writer.add_document(content=text)
    return time.perf_counter() - t0, time.process_time() - c0


def _cpu_own_and_children() -> tuple[float, float]:
    """CPU seconds of this process, and of its finished children (the index run's workers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _text_files_folder(corpus: Path, target: Path) -> int:
    """Hard links to the corpus's text files (and their sidecars, the knowledge map)."""
    shutil.rmtree(target, ignore_errors=True)
    n = 0
    for p in corpus.rglob("*"):
        if not p.is_file():
            continue
        rel = p.relative_to(corpus)
        base = p.name[: -len(".meta.yaml")] if p.name.endswith(".meta.yaml") else p.name
        if Path(base).suffix.lower() in TEXT_SUFFIXES or p.name == "knowledge-map.csv":
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(p, target / rel)
            n += p.name == base and p.name != "knowledge-map.csv"
    return n


def bench_indexing(corpus: Path, work: Path, home: Path, reuse: bool, floors: bool = True,
                   full: bool = True, rounds: int = 2) -> list[str]:
    from kmsearch.indexer.run import index_paths

    from kmsearch.home import Home

    lines = []
    n = count_docs(corpus)
    if not full:
        lines.append(f"full index of {n:,} documents: skipped")
    elif reuse and (home / "indexes" / "CURRENT").exists():
        lines.append(f"full index of {n:,} documents: reused {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)
        t0, c0 = time.perf_counter(), time.process_time()
        report = index_paths(Home(home), [corpus])
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        lines.append(f"full index of {n:,} documents ({report.indexed:,} indexed, "
                     f"{len(report.failed)} failed): {wall:.1f} s wall, {cpu:.1f} s CPU in this "
                     f"process (PDF/DOCX extraction runs in worker processes)")
        print(lines[-1], flush=True)
    if not floors:
        return lines
    texts_dir = work / "textfiles"
    n_text = _text_files_folder(corpus, texts_dir)
    from kmsearch.indexer.extract import extract

    # The floor indexes the text kmsearch indexes (front matter and HTML markup taken off by
    # the extractor), not the raw files: markup would only give the floor more to do.
    texts = [extract(p).text for p in sorted(texts_dir.rglob("*"))
             if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES]
    chars = sum(map(len, texts))
    text_home = work / "home-textfiles"
    shutil.rmtree(text_home, ignore_errors=True)
    # Interleaved, best of `rounds`: kmsearch, plain Whoosh, bare segmentation. Wall time,
    # and CPU time (kmsearch's with its extraction workers): on a shared machine the CPU
    # ratio moves less with the neighbours' load.
    best = {"kmsearch": [], "plain": [], "bare": []}
    cpu = {"kmsearch": [], "plain": []}
    split = []  # (this process, its workers) of each kmsearch round
    segment = _nlpo3()
    from kmsearch.engine.analysis import compound_parts

    for _ in range(rounds):
        shutil.rmtree(text_home, ignore_errors=True)
        # Each round starts with the analysis caches of a fresh `kmsearch index` process
        # (the index run now analyses a share of the files itself): the compound parts met in
        # an earlier round would otherwise be free. The floor keeps only nlpo3's dictionary
        # loaded, as kmsearch does.
        compound_parts.cache_clear()
        t0, (own0, kids0) = time.perf_counter(), _cpu_own_and_children()
        index_paths(Home(text_home), [texts_dir])
        best["kmsearch"].append(time.perf_counter() - t0)
        own1, kids1 = _cpu_own_and_children()
        cpu["kmsearch"].append(own1 - own0 + kids1 - kids0)
        split.append((own1 - own0, kids1 - kids0))
        wall, used = _plain_whoosh(texts, work / "plain-whoosh")
        best["plain"].append(wall)
        cpu["plain"].append(used)
        t0 = time.perf_counter()
        for text in texts:
            segment(text)
        best["bare"].append(time.perf_counter() - t0)
    k, p, b = (min(best[x]) for x in ("kmsearch", "plain", "bare"))
    kc, pc = min(cpu["kmsearch"]), min(cpu["plain"])
    lines.append(f"text files only ({n_text:,} documents, {chars / 1e6:.1f} M characters): "
                 f"kmsearch {k:.1f} s = x{k / p:.2f} plain Whoosh+nlpo3 ({p:.1f} s) = "
                 f"x{k / b:.1f} bare nlpo3 segmentation ({b:.2f} s); best of {rounds}, interleaved")
    own, kids = split[cpu["kmsearch"].index(kc)]
    lines.append(f"  CPU time: kmsearch {kc:.1f} s (index run {own:.1f} s + its workers {kids:.1f} s) "
                 f"= x{kc / pc:.2f} plain Whoosh+nlpo3 ({pc:.1f} s, one process)")
    pdfs = sorted(corpus.rglob("*.pdf"))[:60]
    if pdfs:
        t0 = time.process_time()
        for pdf in pdfs:
            extract(pdf)
        per = (time.process_time() - t0) / len(pdfs)
        lines.append(f"PDF extraction (pdfminer.six), one process: {per * 1000:.0f} ms CPU per PDF "
                     f"({len(pdfs)} PDFs); the index run spreads it over worker processes")
    shutil.rmtree(text_home, ignore_errors=True)
    shutil.rmtree(work / "plain-whoosh", ignore_errors=True)
    shutil.rmtree(texts_dir, ignore_errors=True)
    return lines


# --- 2. in-process search ---------------------------------------------------------------------


def _exhaustive_ids(service, text: str, audience: str) -> list[str] | None:
    """The first page when every matching document is scored exactly (not only the
    candidates of kmsearch.engine.ranking): the same search with no bound on candidates.
    None for code without the two stages."""
    try:
        from kmsearch.engine import ranking
    except ImportError:
        return None
    if not hasattr(ranking, "CANDIDATES"):
        return None
    bound, ranking.CANDIDATES = ranking.CANDIDATES, 10**9
    try:
        return [h.doc_id for h in service.search(text, audience=audience).hits]
    finally:
        ranking.CANDIDATES = bound


def _forget_postings() -> None:
    """Drop the postings and positions read so far (kmsearch.engine.postings), keeping the
    per-generation columns: each query then reads its words' postings from the index again."""
    try:
        from kmsearch.engine import postings
    except ImportError:
        return
    for data in postings._DATA.values():
        with data._lock:
            data._postings.clear()
            data._cached = 0
            if hasattr(data, "_values"):  # the positions of posting blocks read lately
                data._values.clear()
                data._cached_values = 0
            if hasattr(data, "_asked"):  # which terms phrases were checked on (a new index: none)
                data._asked.clear()


def bench_inprocess(home: Path, rounds: int, n_docs: int) -> tuple[list[str], dict]:
    from kmsearch.engine.search import SearchService
    from kmsearch.home import Home

    service = SearchService(Home(home))
    by_kind: dict[str, list[float]] = {k: [] for k in QUERIES}
    slowest: dict[tuple[str, str], float] = {}
    totals: dict[str, int] = {}
    same = compared = 0
    for texts in QUERIES.values():
        for text in texts:
            for audience in AUDIENCES:
                result = service.search(text, audience=audience)  # warm-up
                totals[f"{audience}\t{text}"] = result.total
                expected = _exhaustive_ids(service, text, audience)
                if expected is not None:
                    compared += 1
                    same += [h.doc_id for h in result.hits] == expected
    # Interleaved: each query is timed with the postings it needs read afresh (a word nobody
    # searched yet), then again with them already read (a word searched before). (Timed the
    # other way round, "warm" followed the previous query's fresh search, which had dropped
    # everything but that query's own postings: it was mostly fresh too.)
    fresh: dict[str, list[float]] = {k: [] for k in QUERIES}
    for _ in range(rounds):
        for kind, texts in QUERIES.items():
            for text in texts:
                for audience in AUDIENCES:
                    for times, forget in ((fresh, True), (by_kind, False)):
                        if forget:
                            _forget_postings()
                        t0 = time.perf_counter()
                        service.search(text, audience=audience)
                        dt = (time.perf_counter() - t0) * 1000
                        times[kind].append(dt)
                        key = (audience, text)
                        slowest[key] = max(slowest.get(key, 0.0), dt)
    service.close()
    lines = [f"{'query kind':<16}{'queries':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
             f"{'fresh p50':>11}{'fresh p95':>11}{'fresh max':>11}"]
    everything, everything_fresh = [], []
    for kind, values in by_kind.items():
        everything += values
        everything_fresh += fresh[kind]
        lines.append(f"{kind:<16}{len(QUERIES[kind]) * 2:>8}{pct(values, 50):>9.1f}"
                     f"{pct(values, 95):>9.1f}{max(values):>9.1f}{pct(fresh[kind], 50):>11.1f}"
                     f"{pct(fresh[kind], 95):>11.1f}{max(fresh[kind]):>11.1f}")
    lines.append(f"{'all':<16}{sum(len(v) for v in QUERIES.values()) * 2:>8}"
                 f"{pct(everything, 50):>9.1f}{pct(everything, 95):>9.1f}{max(everything):>9.1f}"
                 f"{pct(everything_fresh, 50):>11.1f}{pct(everything_fresh, 95):>11.1f}"
                 f"{max(everything_fresh):>11.1f}")
    lines.append(f"({n_docs:,} documents; warm, one thread; {rounds} timed rounds of every query "
                 f"as staff and as a citizen; 'fresh': the query's postings read from the index "
                 f"again, as for words nobody searched since the index changed)")
    if compared:
        lines.append(f"first page equal to scoring every match (not only the candidates): "
                     f"{same} of {compared} (query, audience) pairs")
    worst = sorted(slowest.items(), key=lambda kv: -kv[1])[:3]
    lines.append("slowest: " + "; ".join(f"{ms:.0f} ms {a} {t}" for (a, t), ms in worst))
    return lines, totals


# --- 3. the server ------------------------------------------------------------------------------


def _rss_kb(pid: int, field: str = "VmRSS") -> int:
    """Resident memory of pid and its child processes in KB (`kmsearch serve` answers with one
    process per core under a supervisor): VmRSS, or RssAnon (the heap) or RssFile (mapped
    files: Whoosh maps each segment file once per open reader, and RSS counts every mapping,
    while the kernel keeps one copy of the file's pages)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            total += int(line.split()[1])
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _rss_kb(int(child), field)
    return total


def _serving(pid: int) -> int:
    """How many processes answer for the server pid (its children, or itself)."""
    children = [c for task in Path(f"/proc/{pid}/task").iterdir()
                for c in (task / "children").read_text().split()]
    return len(children) or 1


def _fresh_queries(home: Path, count: int, seed: int = 8) -> list[str]:
    """count distinct queries of 1 to 3 dictionary words the index holds, none of QUERIES:
    words no earlier request of the run searched, so no cache has seen them."""
    import random

    from pythainlp.corpus import thai_words
    from whoosh import index

    folder = home / "indexes" / (home / "indexes" / "CURRENT").read_text().strip()
    ix = index.open_dir(str(folder))
    with ix.reader() as reader:
        words = sorted(w for w in thai_words() if len(w) >= 3
                       and reader.doc_frequency("content", w) >= 2)
    ix.close()
    used = {w for text in _all_queries() for w in words if w in text}
    words = [w for w in words if w not in used]
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < count:
        out.add(" ".join(rng.sample(words, rng.choice((1, 1, 2, 3)))))
    return sorted(out, key=lambda _t: rng.random())


def _all_queries() -> list[str]:
    return [t for texts in QUERIES.values() for t in texts]


def _phase(port, clients, paths, cookies, seconds=None, per_client=None, split=False):
    """Run clients at once; bounded by time or by a number of requests per client.

    Client i goes through paths from the i-th on, so the clients ask the same queries a
    step apart (each query is searched by all of them within moments); with split, client
    i takes paths[i::clients] instead, and no two requests ask the same thing.
    """
    until = time.monotonic() + (seconds or 3600)
    stats = [Stats() for _ in range(clients)]
    own = [paths[i::clients] if split else paths[i:] + paths[:i] for i in range(clients)]
    threads = [
        threading.Thread(target=client, args=(port, own[i], cookies[i], stats[i],
                                              lambda: time.monotonic() > until),
                         kwargs={"limit": per_client})
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [x for s in stats for x in s.latencies], [f for s in stats for f in s.failures]


def bench_server(home: Path, work: Path, clients: int, seconds: float, rounds: int,
                 n_docs: int) -> list[str]:
    py = sys.executable
    staff = clients // 2
    for n in range(staff):
        subprocess.run([py, "-c", "from kmsearch.cli import main; main()", "--home", str(home),
                        "staff", "add", f"bench{n}", "--name", f"ทดสอบ {n}", "--division",
                        "กองคลัง", "--password", PASSWORD],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    log = work / "server.log"
    server = start_server(home, port, log)
    lines = []
    try:
        cookies = sign_in_half(port, clients, "bench")
        queries = _all_queries()
        mixed = []
        for i, text in enumerate(queries):
            route = "/api/search" if i % 2 else "/"
            mixed.append(route + "?" + urllib.parse.urlencode({"q": text}))
        # Memory: after the first 100 searches, then after 1,000. The clients split the mix
        # between them, so the first 100 are mixed: every query of it is asked in them (a
        # step apart, the first 100 asked the first 20 queries only, and what the others
        # load once -- the typo vocabulary, the substring index -- counted as growth).
        _phase(port, clients, mixed, cookies, per_client=100 // clients, split=True)
        rss_100 = {f: _rss_kb(server.pid, f) for f in ("VmRSS", "RssAnon", "RssFile")}
        _phase(port, clients, mixed, cookies, per_client=900 // clients, split=True)
        rss_1000 = {f: _rss_kb(server.pid, f) for f in ("VmRSS", "RssAnon", "RssFile")}
        a, b = rss_100["VmRSS"], rss_1000["VmRSS"]
        lines.append(f"server RSS ({n_docs:,} documents): {a / 1024:.0f} MB after 100 "
                     f"searches, {b / 1024:.0f} MB after 1,000 ({100 * (b - a) / a:+.1f} %); "
                     f"of which heap (RssAnon) {rss_100['RssAnon'] / 1024:.0f} -> "
                     f"{rss_1000['RssAnon'] / 1024:.0f} MB, mapped index files (RssFile, "
                     f"counted once per reader) {rss_100['RssFile'] / 1024:.0f} -> "
                     f"{rss_1000['RssFile'] / 1024:.0f} MB")
        api = ["/api/search?" + urllib.parse.urlencode({"q": t}) for t in queries]
        page = ["/?" + urllib.parse.urlencode({"q": t}) for t in queries]
        fresh = ["/api/search?" + urllib.parse.urlencode({"q": t})
                 for t in _fresh_queries(home, 6000)]
        phases = {"/healthz": ["/healthz"], "/api/search": api, "search page": page,
                  "api, fresh": fresh}
        lat: dict[str, list[float]] = {k: [] for k in phases}
        errs: dict[str, list[str]] = {k: [] for k in phases}
        for r in range(rounds):  # interleaved: each round runs every endpoint once
            for name, paths in phases.items():
                split = name == "api, fresh"  # each round its own third: never one query twice
                if split:
                    paths = paths[r::rounds]
                got, e = _phase(port, clients, paths, cookies, seconds=seconds, split=split)
                lat[name] += got
                errs[name] += e
        base = pct(lat["/healthz"], 95)
        lines.append(f"{'endpoint':<14}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}"
                     f"{'max ms':>9}{'p95 / bare':>12}{'errors':>8}")
        for name, values in lat.items():
            if not values:
                lines.append(f"{name:<14} no answers: {errs[name][:1]}")
                continue
            lines.append(f"{name:<14}{len(values):>9}{pct(values, 50) * 1000:>9.1f}"
                         f"{pct(values, 95) * 1000:>9.1f}{max(values) * 1000:>9.1f}"
                         f"{pct(values, 95) / base:>12.1f}{len(errs[name]):>8}")
        lines.append(f"({n_docs:,} documents; {clients} clients, {staff} signed in; {rounds} "
                     f"rounds x {seconds:g} s per endpoint, interleaved; loopback. /api/search "
                     f"and the page cycle through the {len(queries)} queries of the in-process "
                     f"mix, every client a step behind the next, so each query is asked again "
                     f"within moments and finds what it read still cached; 'api, fresh' asks "
                     f"queries of 1-3 indexed dictionary words never asked before in the run; "
                     f"the server answered with {_serving(server.pid)} processes)")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return lines


# --- 4. CLI start-up ------------------------------------------------------------------------


def _import_seconds(args: list[str], home: Path) -> float:
    """Seconds of imports (python -X importtime, top-level modules) of one CLI call."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from kmsearch.cli import main; main()", *args],
        capture_output=True, text=True, env={**os.environ, "KMSEARCH_HOME": str(home)},
    )
    total = 0
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):
            total += int(m.group(1))
    return total / 1e6


def bench_cli(home: Path) -> list[str]:
    helps = [_import_seconds(["--help"], home) for _ in range(3)]
    searches = [_import_seconds(["search", "ภาษีป้าย", "--json"], home) for _ in range(3)]
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from kmsearch.cli import main; main()", "--help"],
                       capture_output=True)
        walls.append(time.perf_counter() - t0)
    return [f"CLI imports (python -X importtime, best of 3): kmsearch --help {min(helps):.2f} s; "
            f"kmsearch search {min(searches):.2f} s; --help wall {min(walls):.2f} s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True, help="folder of documents (corpus_gen.py)")
    parser.add_argument("--work", required=True, help="folder for the home and scratch files")
    parser.add_argument("--reuse-index", action="store_true", help="keep an existing index")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds in-process")
    parser.add_argument("--server-rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="seconds per server phase")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip", default="",
                        help="comma list of index,full,floors,search,server,cli (full: the index "
                             "of the whole corpus, before the text-file floors)")
    parser.add_argument("--index-rounds", type=int, default=2, help="interleaved text-file rounds")
    args = parser.parse_args(argv)
    corpus, work = Path(args.corpus), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    skip = set(filter(None, args.skip.split(",")))
    n = count_docs(corpus)
    import kmsearch.engine.search as search_module

    print(f"kmsearch scale benchmark: {n:,} documents in {corpus}; code {search_module.__file__}")
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    sections = [
        ("index", "== indexing ==", lambda: bench_indexing(corpus, work, home, args.reuse_index,
                                                                     "floors" not in skip,
                                                                     "full" not in skip,
                                                                     args.index_rounds)),
        ("search", "== in-process search ==", lambda: bench_inprocess(home, args.rounds, n)[0]),
        ("server", "== server ==", lambda: bench_server(home, work, args.clients, args.seconds,
                                                        args.server_rounds, n)),
        ("cli", "== CLI start-up ==", lambda: bench_cli(home)),
    ]
    for name, title, fn in sections:
        if name in skip:
            continue
        print(title, flush=True)
        for line in fn():
            print(line, flush=True)
    print(f"load at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
