"""Index files are read from the memory map in place (kmsearch.engine.mapped): no reader
keeps a heap copy of the postings or terms file, and reading gives the same bytes."""

from __future__ import annotations

import io
import os
import pickle
import sys
from array import array
from pathlib import Path

import pytest
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.structfile import BufferFile

from kmsearch.engine import indexstore, mapped
from tests import core_fixtures

small_kb = core_fixtures.small_kb


def test_mapped_view_reads_like_bytesio():
    data = pickle.dumps({"a": [1, 2, 3]}) + b"line one\nline two\n" + array("i", [7, 8, 9]).tobytes()
    for make in (io.BytesIO, mapped.MappedView):
        f = make(data)
        assert pickle.load(f) == {"a": [1, 2, 3]}
        assert f.readline() == b"line one\n"
        assert list(f)[:1] == [b"line two\n"]
        f.seek(-12, 2)
        numbers = array("i")
        numbers.fromfile(f, 3)
        assert numbers.tolist() == [7, 8, 9]
        assert f.read() == b"" and f.tell() == len(data)
        f.seek(2)
        f.seek(3, 1)
        buf = bytearray(4)
        assert f.readinto(buf) == 4 and bytes(buf) == data[5:9]
        f.seek(len(data) - 2)
        assert f.read(10) == data[-2:]
    with pytest.raises(ValueError):
        mapped.MappedView(b"abc").seek(-1)


def test_index_readers_read_the_map_in_place(small_kb):
    assert mapped.installed()  # indexstore installs it: every path that opens an index uses it
    ix = indexstore.open_current(small_kb.home)
    with ix.searcher() as searcher:
        assert searcher.search_page  # the searcher works as before
        reader = searcher.reader()
        readers = [r for r, _ in reader.leaf_readers()]
        # a segment's storage: its compound file, overlaid on the folder (OverlayStorage)
        storages = [getattr(r._storage, "a", r._storage) for r in readers]
        compound = [s for s in storages if isinstance(s, CompoundStorage) and s._source is not None]
        assert compound, "the test index should be one mapped compound segment"
        for storage in compound:
            for name in storage.list():
                f = storage.open_file(name)
                assert isinstance(f, BufferFile) and isinstance(f.file, mapped.MappedView)
                # the view is of the map itself, not of a copy of it
                assert f.file._buf.obj is storage._source
                f.file.seek(0)
                start, length = storage.range(name)
                head = min(16, length)
                assert f.file.read(16) == storage._source[start : start + head]
                f.close()
    ix.close()


def test_readers_of_one_index_share_its_map_until_the_last_one_closes(tmp_path):
    import gc

    from kmsearch.indexer.run import index_paths

    from kmsearch.home import Home

    root = core_fixtures.write_tree(tmp_path / "kb", {
        "a.md": "---\ntitle: ก\naudience: public\n---\nยื่นแบบภาษีป้ายภายในมีนาคม\n",
        "b.md": "---\ntitle: ข\naudience: staff\n---\nเบี้ยยังชีพผู้สูงอายุ\n",
    })
    home = Home(tmp_path / "home")
    index_paths(home, [root])

    def sources(searcher):
        return [getattr(r._storage, "a", r._storage)._source for r, _ in searcher.reader().leaf_readers()]

    ix = indexstore.open_current(home)
    first, second = ix.searcher(), ix.searcher()
    shared = sources(first)
    assert shared and all(m is not None for m in shared)
    assert [id(m) for m in sources(second)] == [id(m) for m in shared]  # one map, not two
    expected = [h["doc_id"] for h in second.search(_every(), limit=None)]
    first.close()  # must not unmap what the second reader still reads
    assert [h["doc_id"] for h in second.search(_every(), limit=None)] == expected
    assert all(not m.closed for m in shared)
    gone = [weakref_to(m) for m in shared]
    del shared
    second.close()
    ix.close()
    del first, second, ix  # closed Whoosh readers still hold views of the map until dropped
    gc.collect()
    assert all(ref() is None for ref in gone)  # the last reader's close lets the map go


def _every():
    from whoosh import query

    return query.Every()


def weakref_to(obj):
    import weakref

    return weakref.ref(obj)


def _rss_file_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    return 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MAP_POPULATE, /proc")
def test_a_shared_map_has_its_pages_in_place_from_the_start(tmp_path):
    """The server's resident size does not creep up as searches touch the index page by page:
    a segment file's pages are mapped in when it is opened."""
    path = tmp_path / "segment.bin"
    path.write_bytes(os.urandom(8 * 1024 * 1024))
    with open(path, "rb") as f:
        before = _rss_file_kb()
        m = mapped._SharedMaps.mmap(f.fileno(), 0)
        grown = _rss_file_kb() - before
        assert m[:16] == path.read_bytes()[:16]
    assert grown >= 7 * 1024, grown  # nothing of it was read yet, and 8 MB are resident
