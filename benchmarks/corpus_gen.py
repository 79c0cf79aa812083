"""Writes N distinct documents for benchmarks: copies of the bundled corpus, each different.

Copy k of a corpus document is re-rendered by scripts/build_corpus.py in the document's own
format and metadata route (PDF, DOCX, Markdown, text, HTML; sidecar, front matter,
properties), so PDF and DOCX keep their share of the corpus (14 of 25 documents), with the
title first, then a marker paragraph unique to the copy (its number and dictionary words drawn
from a seed: new vocabulary, as a real corpus of thousands of documents has), then the body
blocks rotated by k. When corpus/ is missing, the Markdown sources are written as .md files.

    .venv/bin/python benchmarks/corpus_gen.py --docs 2000 --out /work/benchdata/c2000

The first N documents of a larger run are exactly the documents of a run with N (copies are
made in order), so one 10,000-document folder also holds the 2,000-document one
(folders c0000..c0079). Used by bench_index.py and bench_scale.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import random
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SOURCES = REPO / "corpus_sources"
DOC_SUFFIXES = (".pdf", ".docx", ".md", ".txt", ".html")
MIN_CORPUS_DOCS = 20
# Extra vocabulary per copy (dictionary words in the marker paragraph): a real 2,000-document
# corpus has more distinct words than 30 documents repeated, and compound_parts() caches per
# word, so copies without new words would flatter the analyzer.
MARKER_WORDS = 24
TERMS_FILE = "everyday-terms.txt"  # the synonyms list kept in corpus/, not a document
COPIES_VERSION = 1  # bump when the way copies are made changes (--keep folders are then rebuilt)


@dataclasses.dataclass
class Template:
    """One document of the bundled corpus and how to write a distinct copy of it."""

    relpath: str  # corpus-relative path of the document, e.g. กองคลัง/คู่มือภาษีป้าย.pdf
    kind: str  # "render" (build_corpus), "markdown" (source as .md) or "verbatim"
    source: str = ""  # corpus_sources path (render, markdown)
    original: str = ""  # corpus path (render: compared with the unchanged render; verbatim)


def count_corpus_docs(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in DOC_SUFFIXES)


def _build_corpus_module():
    """scripts/build_corpus.py (the corpus generator), or None when it cannot be imported."""
    scripts = str(REPO / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    try:
        import build_corpus
    except Exception:  # the generator is optional: without it, PDF/DOCX copies are verbatim
        return None
    return build_corpus


def find_templates() -> tuple[str, list[Template], list[str]]:
    """The documents to replicate, where they come from, and notes for the output."""
    notes: list[str] = []
    n_corpus = count_corpus_docs(CORPUS) if CORPUS.is_dir() else 0
    sources = sorted(p for p in SOURCES.glob("*/*.md") if p.parent.name != "queries")
    if n_corpus < MIN_CORPUS_DOCS:
        notes.append(
            f"corpus/ has {n_corpus} documents (< {MIN_CORPUS_DOCS}): FALLBACK to corpus_sources/, "
            f"{len(sources)} Markdown sources indexed as .md files (no PDF/DOCX extraction measured)"
        )
        return "corpus_sources", [
            Template(str(p.relative_to(SOURCES)), "markdown", source=str(p)) for p in sources
        ], notes
    bc = _build_corpus_module()
    by_relpath: dict[str, Path] = {}
    if bc is not None:
        for p in sources:
            try:
                by_relpath[bc.read_source(p).relpath] = p
            except Exception as e:  # a broken source: its document is copied verbatim
                notes.append(f"source {p.relative_to(SOURCES)} unreadable ({e}): copied verbatim")
    else:
        notes.append("scripts/build_corpus.py not importable: documents copied verbatim")
    templates = []
    for p in sorted(CORPUS.rglob("*")):
        if not (p.is_file() and p.suffix.lower() in DOC_SUFFIXES) or p.name == TERMS_FILE:
            continue
        rel = p.relative_to(CORPUS).as_posix()
        if rel in by_relpath:
            templates.append(Template(rel, "render", source=str(by_relpath[rel]), original=str(p)))
        else:
            templates.append(Template(rel, "verbatim", original=str(p)))
    return "corpus", templates, notes


def _dictionary_words() -> list[str]:
    """PyThaiNLP's word list, sorted (deterministic draws for marker paragraphs)."""
    global _WORDS
    if _WORDS is None:
        from pythainlp.corpus import thai_words

        _WORDS = sorted(w for w in thai_words() if " " not in w and 2 <= len(w) <= 12)
    return _WORDS


_WORDS: list[str] | None = None


def marker_paragraph(copy: int, relpath: str) -> str:
    """A paragraph unique to one copy: its number and dictionary words drawn from a seed."""
    rng = random.Random(f"{copy}:{relpath}")
    words = rng.sample(_dictionary_words(), MARKER_WORDS)
    phrases = ["".join(words[i : i + 3]) for i in range(0, len(words), 3)]
    return f"สำเนาทดสอบชุดที่ {copy} รหัส bench{copy:05d} " + " ".join(phrases)


def _rotate(items: list, copy: int) -> list:
    """items rotated by copy (a different order for each copy; same text)."""
    if not items:
        return items
    k = copy % len(items)
    return items[k:] + items[:k]


def _copy_dir(copy: int) -> str:
    return f"c{copy:04d}"


def render_copy(job: tuple[Template, int]) -> dict[str, bytes]:
    """Files of copy number copy of a template: corpus-relative path -> bytes."""
    template, copy = job
    prefix = _copy_dir(copy)
    if template.kind == "verbatim":
        out = {template.relpath: Path(template.original).read_bytes()}
        side = Path(template.original + ".meta.yaml")
        if side.exists():
            out[template.relpath + ".meta.yaml"] = side.read_bytes()
    elif template.kind == "render":
        out = _render_with_generator(template, copy)
    else:
        out = _render_markdown(template, copy)
    return {f"{prefix}/{rel}": data for rel, data in out.items()}


def _render_with_generator(template: Template, copy: int) -> dict[str, bytes]:
    """Same format and metadata route as the corpus file; blocks rotated, a marker added."""
    bc = _build_corpus_module()
    source = bc.read_source(Path(template.source))
    if copy >= 0:
        title, body = source.blocks[0], source.blocks[1:]
        marker = bc.Block("paragraph", marker_paragraph(copy, template.relpath))
        meta = dict(source.meta)
        if meta.get("superseded_by"):  # point at the same copy's newer document
            meta["superseded_by"] = f"{_copy_dir(copy)}/{meta['superseded_by']}"
        # Markdown output is written from the raw body, the other formats from the blocks.
        chunks = [c.strip("\n") for c in re.split(r"\n\s*\n", source.body) if c.strip()]
        raw = "\n\n".join([*chunks[:1], marker.text, *_rotate(chunks[1:], copy)]) + "\n"
        source = dataclasses.replace(
            source, blocks=[title, marker, *_rotate(body, copy)], meta=meta, body=raw
        )
    return bc.build_outputs(source)


_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_BUILD_KEYS = ("output", "metadata", "digits", "encoding")


def _render_markdown(template: Template, copy: int) -> dict[str, bytes]:
    """A corpus source as a Markdown document with front matter; blocks rotated, a marker added."""
    import yaml

    text = Path(template.source).read_text(encoding="utf-8")
    m = _FRONT.match(text)
    front = yaml.safe_load(m.group(1)) if m else {}
    body = text[m.end() :] if m else text
    for key in _BUILD_KEYS:
        front.pop(key, None)
    if front.get("superseded_by"):
        front["superseded_by"] = f"{_copy_dir(copy)}/{front['superseded_by']}"
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", body) if b.strip()]
    title, rest = blocks[:1], blocks[1:]
    blocks = [*title, marker_paragraph(copy, template.relpath), *_rotate(rest, copy)]
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    return {template.relpath: f"---\n{head}---\n\n{chr(10).join(b + chr(10) for b in blocks)}".encode()}


def replicate(templates: list[Template], n_docs: int, folder: Path, workers: int) -> dict:
    """Write n_docs distinct documents (copies of the templates) under folder."""
    _dictionary_words()  # load before forking workers
    jobs = [(templates[i % len(templates)], i // len(templates)) for i in range(n_docs)]
    folder.mkdir(parents=True, exist_ok=True)
    kmap = CORPUS / "knowledge-map.csv"
    if kmap.exists():
        shutil.copyfile(kmap, folder / "knowledge-map.csv")
    digests: set[str] = set()
    formats: dict[str, int] = {}
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for files in pool.map(render_copy, jobs, chunksize=4):
            for rel, data in files.items():
                target = folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                if not rel.endswith(".meta.yaml"):
                    digests.add(hashlib.sha256(data).hexdigest())
                    suffix = Path(rel).suffix.lstrip(".")
                    formats[suffix] = formats.get(suffix, 0) + 1
    faithful = same = 0
    for t in templates:  # is corpus/ what the generator makes of the sources?
        if t.kind == "render":
            same += 1
            files = _render_with_generator(t, -1)
            faithful += files.get(t.relpath) == Path(t.original).read_bytes()
    return {
        "docs": n_docs,
        "distinct": len(digests),
        "formats": formats,
        "seconds": time.perf_counter() - t0,
        "kinds": {k: sum(1 for t in templates if t.kind == k) for k in ("render", "markdown", "verbatim")},
        "faithful": (faithful, same),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000, help="documents to write (default 2000)")
    parser.add_argument("--out", required=True, help="folder to write them into (must not exist)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        raise SystemExit(f"{out} exists: choose a new folder")
    mode, templates, notes = find_templates()
    for note in notes:
        print(f"note: {note}")
    prep = replicate(templates, args.docs, out, workers=args.workers)
    print(f"{prep['docs']} documents ({prep['distinct']} distinct) from {mode}/ in {out}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(prep["formats"].items()))
          + f"; {prep['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
