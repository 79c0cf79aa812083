"""An index run: walk the given paths, extract what changed, write the Whoosh index once.

Incremental by content hash. A file that cannot be read is reported and the run goes on; its
previously indexed version, if any, is kept. --rebuild writes a new index generation and
swaps it in only when complete, so a failed or interrupted rebuild leaves the live index as
it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from pathlib import Path

from kmsearch.indexer.doc_postings import packed
from kmsearch.indexer.document import ExtractionError
from kmsearch.indexer.extract import extract, supported
from kmsearch.indexer.metadata import SIDECAR_SUFFIX, resolve, sidecar_path
from kmsearch.indexer.ocr import OcrOptions, missing_message
from kmsearch.indexer.ocr import tools as ocr_tools
from kmsearch.indexer.pool import WORKER_DIED, imap_ordered
from kmsearch.indexer.segment_writer import (
    ANALYSED,
    GroupedSegmentWriter,
    analysed_terms,
    signature,
)
from kmsearch.indexer.walk import BAD_NAME, files_under, printable, valid_name
from whoosh import index as whoosh_index

from kmsearch.engine import indexstore
from kmsearch.engine.analysis import ANALYZER_VERSION, ENGINE
from kmsearch.engine.schema import doc_id_for, file_sha256, get_schema
from kmsearch.engine.synonyms import FILENAME as EVERYDAY_TERMS
from kmsearch.engine.synonyms import EverydayTermsError
from kmsearch.engine.synonyms import parse as parse_everyday_terms
from kmsearch.engine.thai import normalize, tidy_whitespace
from kmsearch.home import Home
from kmsearch.km.knowledge_map import FILENAME as KNOWLEDGE_MAP
from kmsearch.km.knowledge_map import KnowledgeMapError, by_topic, load


@dataclass
class Problem:
    path: str
    reason: str


@dataclass
class IndexReport:
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    ocr_read: int = 0  # scanned pages read by OCR in this run
    ocr_cached: int = 0  # scanned pages whose text came from the OCR cache
    ocr_missing: str = ""  # why scans could not be read here ("" when OCR works)

    def summary(self) -> str:
        return (
            f"indexed {self.indexed} / unchanged {self.unchanged} / "
            f"removed {self.removed} / failed {len(self.failed)}"
        )


@dataclass(frozen=True)
class Source:
    """One file to index: where it is, the root it was found under, the path as given."""

    file: Path
    root: Path
    given: str

    @cached_property
    def key(self) -> str:
        """The resolved path, once: it is asked for several times per file, and a copy sent
        to a worker process carries it (resolving cost a system call per path component)."""
        return str(self.file.resolve())


# (files done, files in all, path, scanned pages read by OCR so far)
ProgressFn = Callable[[int, int, str, int], None]


def walk(paths: list[str | Path], report: IndexReport) -> tuple[list[Source], list[Path]]:
    """Files to index under paths, and the folders whose vanished files are to be removed."""
    sources: list[Source] = []
    folders: list[Path] = []

    def fail(path: str, reason: str) -> None:
        report.failed.append(Problem(path, reason))

    def add(file: Path, root: Path, given: str) -> None:
        if not supported(file):
            report.skipped.append(
                Problem(printable(given), f"skipped: {file.suffix or 'no extension'} is not a supported type")
            )
        elif not valid_name(file.resolve()) or not valid_name(given):
            fail(printable(given), BAD_NAME)
        else:
            sources.append(Source(file, root, given))

    for arg in paths:
        given = Path(arg)
        try:
            is_dir, is_file = given.is_dir(), given.is_file()
        except OSError as e:  # e.g. inside a folder we may not enter
            fail(printable(given), f"cannot read: {e.strerror or e}")
            continue
        if is_dir:
            folders.append(given.resolve())
            for file in files_under(given, fail):
                rel = file.relative_to(given)
                if file.name.endswith(SIDECAR_SUFFIX) or rel.as_posix() in (KNOWLEDGE_MAP, EVERYDAY_TERMS):
                    continue  # metadata, read with the document it describes, or lists
                add(file, given, str(given / rel))
        elif is_file:
            add(given, given.parent, str(given))
        else:
            fail(printable(given), "no such file or folder")
    # A file reached through two given paths (a folder and a file in it) is indexed once.
    unique = {}
    for source in sources:
        unique.setdefault(source.key, source)
    return list(unique.values()), folders


def _exists(path: Path) -> bool:
    """Whether a file still exists; one we may not look at counts as existing (kept)."""
    try:
        return path.exists()
    except OSError:
        return True


def content_hash(source: Source, map_bytes: bytes) -> str:
    """What decides whether a file is re-read: its bytes, its sidecar, the map, the analyzer."""
    h = hashlib.sha256()
    # With OCR installed (or upgraded) since the last run, scans are read again.
    h.update(f"{ANALYZER_VERSION}:{ENGINE}:{ocr_tools().signature}\0".encode())
    h.update(file_sha256(source.file).encode())  # read in blocks: a huge file fits
    side = sidecar_path(source.file)
    h.update(b"\0sidecar\0" + (file_sha256(side).encode() if side.exists() else b""))
    h.update(b"\0map\0" + map_bytes)
    return h.hexdigest()


def build_fields(source: Source, topics, hash_: str, ocr: OcrOptions | None = None) -> dict:
    """Extract, normalise and describe one file as the fields of an index document."""
    extracted = extract(source.file, ocr)
    meta = resolve(source.file, source.root, extracted, topics)
    text = tidy_whitespace(normalize(extracted.text, fold_case=False))
    if not text.strip():
        raise ExtractionError("no text found in the file")
    return {
        "doc_id": doc_id_for(source.key),
        "key": source.key,
        "path": source.given,
        "filename": source.file.name,
        "title": normalize(meta.title, fold_case=False),
        "content": text,
        "runs": normalize(meta.title, fold_case=False) + "\n" + text,
        "meta": " ".join([meta.topic, meta.division, *meta.expert]),
        "topic": meta.topic,
        "division": meta.division,
        "expert": ",".join(e.replace(",", " ") for e in meta.expert),
        "audience": meta.audience,
        "doc_type": meta.doc_type,
        "updated": meta.updated,
        "superseded_by": meta.superseded_by,
        "content_hash": hash_,
        "file_sha256": file_sha256(source.file),
        "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ocr": f"{extracted.ocr_pages}/{extracted.pages}" if extracted.ocr_pages else "",
        "folded": normalize(extracted.ocr_text, fold_case=False),
        _OCR_READ: extracted.ocr_read,
    }


_OCR_READ = "_ocr_read"  # not a field: pages OCR'd by this run, for the progress and report


def _reindexable(stored: dict) -> dict:
    """Turn a stored document back into fields for add_document (keeps a failed file's old copy)."""
    fields = {k: v for k, v in stored.items() if k != "meta"}
    fields["runs"] = stored.get("title", "") + "\n" + stored.get("content", "")
    # folded is not stored: a kept scan stays findable by its exact words until re-read.
    fields["meta"] = " ".join(
        [stored.get("topic", ""), stored.get("division", ""), *stored.get("expert", "").split(",")]
    )
    return fields


def index_paths(
    home: Home,
    paths: list[str | Path],
    rebuild: bool = False,
    progress: ProgressFn | None = None,
) -> IndexReport:
    """Index paths into home's index (see the module docstring); returns what happened."""
    report = IndexReport()
    home.ensure()
    with indexstore.index_lock(home):
        indexstore.remove_unfinished_generations(home)
        sources, folders = walk(paths, report)
        maps = _knowledge_maps(home, sources, report)
        _everyday_terms(home, folders, report)
        live = indexstore.open_current(home)
        existing = _stored_by_key(live) if live is not None else {}

        # A rebuild, or the very first run, writes a fresh generation; otherwise the live one.
        # So does an index written before a field this version fills was added (the runs
        # of the substring fallback, which replaced its trigrams): searches keep using it
        # meanwhile, as it is.
        fresh = rebuild or live is None or _lacks_fields(live)
        folder = indexstore.new_generation(home) if fresh else None
        target = whoosh_index.open_dir(str(folder)) if fresh else live
        writer = GroupedSegmentWriter(target, limitmb=256)  # Whoosh's files, written faster
        ocr = OcrOptions(home.ocr_cache_dir, home.ocr_budget)
        report.ocr_missing = missing_message()
        try:
            _write(writer, sources, maps, existing, fresh, report, progress, ocr)
            seen = {s.key for s in sources}
            if not fresh:
                for key, stored in existing.items():
                    gone = key not in seen and not _exists(Path(key))
                    if gone and any(Path(key).is_relative_to(f) for f in folders):
                        writer.delete_by_term("doc_id", stored["doc_id"])
                        report.removed += 1
            else:
                report.removed = sum(1 for k in existing if k not in seen and not _exists(Path(k)))
                _carry_over(writer, existing, seen)
            if report.indexed or report.removed or folder is not None:
                writer.commit()
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        if folder is not None:
            indexstore.make_live(home, folder)
    return report


# Extracting text (pdfminer above all) is most of an index run: 75 % on the 2,000-document
# benchmark. With enough files to pay for starting them, worker processes read, extract and
# analyse every file while this process writes the index (identical index): 16 PDF, DOCX or
# image files, or, as a text file costs only ~5 ms to read and analyse against ~0.5 s of CPU
# to start a worker, 128 files of any kind.
POOL_MIN_FILES = 16
POOL_MIN_TEXT_FILES = 128
TEXT_FILES = frozenset({".md", ".txt", ".html"})


def _write(writer, sources, maps, existing, fresh, report, progress, ocr=None) -> None:
    total = len(sources)
    todo = []  # files to (re)read: (source, topics, hash, previously stored fields)
    for n, source in enumerate(sources, start=1):
        topics, map_bytes = maps.get(source.root.resolve(), ({}, b""))
        stored = existing.get(source.key)
        try:
            hash_ = content_hash(source, map_bytes)
        except OSError as e:
            report.failed.append(Problem(source.given, f"cannot read the file: {e.strerror or e}"))
            hash_ = None
            if fresh and stored is not None:
                writer.add_document(**_reindexable(stored))  # keep what was stored before
        if hash_ is not None and stored is not None and stored.get("content_hash") == hash_ and not fresh:
            report.unchanged += 1
        elif hash_ is not None:
            todo.append((source, topics, hash_, stored))
            continue
        if progress:
            progress(n, total, source.given, report.ocr_read)
    done = total - len(todo)
    for n, ((source, _topics, _hash, stored), (ok, value)) in enumerate(
        zip(todo, _build_all(todo, ocr), strict=True), start=done + 1
    ):
        if ok:
            read = value.pop(_OCR_READ)
            report.ocr_read += read
            if value["ocr"]:
                report.ocr_cached += int(value["ocr"].split("/")[0]) - read
        if progress:
            progress(n, total, source.given, report.ocr_read)
        if not ok:
            report.failed.append(Problem(source.given, value))
            if fresh and stored is not None:
                writer.add_document(**_reindexable(stored))  # keep what was stored before
            continue
        if fresh:
            writer.add_document(**value)
        else:
            writer.update_document(**value)
        report.indexed += 1


def _build_one(job) -> tuple[bool, object]:
    """(True, fields) or (False, reason) for one file; runs in a worker process too."""
    source, topics, hash_, ocr = job
    try:
        return True, build_fields(source, topics, hash_, ocr)
    except ExtractionError as e:
        return False, str(e)
    except OSError as e:
        return False, f"cannot read the file: {e.strerror or e}"


def _build_and_analyse(job) -> tuple[bool, object]:
    """_build_one in a worker process, with the terms of the fields analysed there too.

    Analysis (normalising, segmenting, compound parts, encoding positions) is half of what
    indexing a text file costs; done here, this process and the one writing the index share
    the work. What crosses back is each field's terms, frequencies and encoded values
    (segment_writer.analysed_terms), not a Token per term; the writer takes them only if its
    index analyses the field the same way (segment_writer.signature)."""
    ok, fields = _build_one(job)
    return ok, analysed_fields(fields) if ok else fields


def analysed_fields(fields: dict) -> dict:
    """fields with the terms of each field that has a fast path, under fields[ANALYSED]."""
    schema = _schema()
    analysed = {}
    for name, value in fields.items():
        if name in schema and schema[name].indexed and isinstance(value, str):
            field = schema[name]
            terms = analysed_terms(field, value)
            if terms is not None:
                analysed[name] = (signature(field), *packed(*terms))  # cheaper to send and add
    fields[ANALYSED] = analysed
    return fields


@lru_cache(maxsize=1)
def _schema():
    return get_schema()


def _worker_died(job) -> tuple[bool, object]:
    return False, WORKER_DIED


def _build_all(todo, ocr=None) -> Iterator[tuple[bool, object]]:
    """Build the files of todo in order: in worker processes when there are enough of them,
    else in this process."""
    jobs = [(source, topics, hash_, ocr) for source, topics, hash_, _stored in todo]
    cores = os.cpu_count() or 1
    heavy = sum(1 for job in jobs if job[0].file.suffix.lower() not in TEXT_FILES)
    # Mostly text files: writing the index keeps this process busy too, so it gets a core of
    # its own (on 2 cores, one worker: less CPU lost to starting workers and to each filling
    # its own caches). PDFs keep every core extracting.
    workers = min(cores if heavy >= POOL_MIN_FILES else cores - 1, 4)
    if (heavy < POOL_MIN_FILES and len(jobs) < POOL_MIN_TEXT_FILES) or workers < 1 or cores < 2:
        yield from map(_build_one, jobs)
        return
    # A text file takes a worker ~5 ms: with only two in flight per worker it would often
    # wait for this process (busy writing) to hand it the next one.
    ahead = 2 if heavy >= POOL_MIN_FILES else 16
    # In a mostly-text run this process reads and analyses text files too whenever the next
    # result is not ready yet (while the worker starts, and whenever writing leaves it time),
    # instead of waiting: on 2 cores, one worker and this process share the reading.
    here = _is_text if READ_HERE_TOO and heavy < POOL_MIN_FILES else None
    results = imap_ordered(_build_and_analyse, jobs, workers, _worker_died, ahead, here)
    try:
        yield from results
    finally:
        results.close()  # ends the workers when the run stops early


def _is_text(job) -> bool:
    return job[0].file.suffix.lower() in TEXT_FILES


READ_HERE_TOO = True  # tests turn it off to have every file read by a worker


def _carry_over(writer, existing, seen) -> None:
    """In a fresh generation, keep documents of the live index that this run did not walk
    but whose files still exist (they were indexed from other paths)."""
    for key, stored in existing.items():
        if key not in seen and _exists(Path(key)):
            writer.add_document(**_reindexable(stored))


def _lacks_fields(ix) -> bool:
    return not set(get_schema().names()) <= set(ix.schema.names())


def _stored_by_key(ix) -> dict[str, dict]:
    with ix.searcher() as s:
        return {fields["key"]: fields for fields in s.all_stored_fields()}


def _knowledge_maps(home: Home, sources: list[Source], report: IndexReport):
    """Knowledge map of each indexed root, and a copy of it in the home for the web."""
    maps = {}
    for root in {s.root.resolve() for s in sources}:
        path = root / KNOWLEDGE_MAP
        try:
            topics = load(path)
        except (KnowledgeMapError, UnicodeDecodeError, ValueError, OSError) as e:
            report.failed.append(Problem(printable(path), f"bad knowledge map: {e}"))
            topics = []
        data = path.read_bytes() if topics else b""
        maps[root] = (by_topic(topics), data)
        if topics:
            tmp = home.knowledge_map_path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(home.knowledge_map_path)
    return maps


def _everyday_terms(home: Home, folders: list[Path], report: IndexReport) -> None:
    """Check the everyday-terms list of each indexed folder and copy it into the home, where
    searches read it (engine/synonyms.py). A bad list is reported and the home keeps the
    previous one; a folder without a list leaves the home's list as it was."""
    for root in folders:
        path = root / EVERYDAY_TERMS
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
            parse_everyday_terms(data.decode("utf-8-sig"), str(path))
        except UnicodeDecodeError:
            report.failed.append(Problem(str(path), "bad everyday terms: the file is not UTF-8 text"))
            continue
        except EverydayTermsError as e:
            report.failed.append(Problem(str(path), f"bad everyday terms: {e}"))
            continue
        tmp = home.path / (EVERYDAY_TERMS + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(home.path / EVERYDAY_TERMS)
