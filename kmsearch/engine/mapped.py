"""Reading an index's files straight from one shared memory map, without a copy per reader.

Whoosh maps each segment's compound file (mmap) and opens its parts as BufferFile objects,
whose constructor wraps the mapped bytes in io.BytesIO -- and BytesIO copies what it is
given. Any part that is ever read with seek()/read() (the postings and terms files: their
headers) thus became a heap copy of the whole part for every open reader: 32 MB per reader
at 2,000 documents, about five times that at 10,000, and the web server keeps one reader
per thread. `install()` gives BufferFile a file object that reads from the mapped bytes
themselves, copying only what each read() returns; nothing else about Whoosh's reading
changes (the same bytes, the same positions; one position per BufferFile, as before).

Each reader also mapped the segment file anew, and RSS counts every mapping of a page: eight
threads' readers made the resident size grow towards eight times the index as searches
touched its pages, though the kernel holds one copy. `install()` therefore also has readers
of the same file share one read-only map (segment files never change once written), and a
storage's close() drops its reference instead of unmapping what other readers still use;
the map goes when the last reader and view of it go.
"""

from __future__ import annotations

import mmap as _mmap
import os
import threading
import weakref

from whoosh.filedb import compound, structfile


class MappedView:
    """A read-only, seekable file over a buffer (memoryview or bytes), without copying it."""

    def __init__(self, buf):
        self._buf = memoryview(buf)
        self._pos = 0
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), start + size)
        self._pos = max(start, end)
        return self._buf[start:end].tobytes()

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        start = self._pos
        limit = len(self._buf) if size is None or size < 0 else min(len(self._buf), start + size)
        end = start
        while end < limit:
            end += 1
            if self._buf[end - 1] == 0x0A:  # b"\n"
                break
        self._pos = end
        return self._buf[start:end].tobytes()

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += len(self._buf)
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._pos = offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True
        self._buf = memoryview(b"")  # release the map, so Whoosh can close it

    def flush(self) -> None:
        pass


def _buffer_file_init(self, buf, name=None, onclose=None):
    # whoosh.filedb.structfile.BufferFile.__init__, with MappedView in place of BytesIO(buf).
    self._buf = buf
    self._name = name
    self.file = MappedView(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


_MAPS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_MAPS_LOCK = threading.Lock()


class _SharedMaps:
    """Stands in for the mmap module inside whoosh.filedb.compound: one map per file."""

    error = _mmap.error
    ACCESS_READ = _mmap.ACCESS_READ

    @staticmethod
    def mmap(fileno: int, length: int, access: int = _mmap.ACCESS_READ):
        # Keyed by the file's identity. A key cannot meet another file's old map: while a map
        # is alive it holds its file open, so the inode cannot be reused by a new segment file
        # (even after an index run deleted the old one); once dead it leaves the dictionary.
        st = os.fstat(fileno)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, length, access)
        with _MAPS_LOCK:
            found = _MAPS.get(key)
            if found is None:
                found = _populated(fileno, length, access)
                _MAPS[key] = found
            return found


def _populated(fileno: int, length: int, access: int):
    """A map of the file whose pages are all in place from the start (Linux MAP_POPULATE):
    the searches that follow take no page faults, and the server's resident size is what it
    will stay, instead of growing as searches touch the index page by page (one read of the
    file per map; the pages are the kernel's page cache, shared by every process)."""
    populate = getattr(_mmap, "MAP_POPULATE", 0)
    if access != _mmap.ACCESS_READ or not populate:
        return _mmap.mmap(fileno, length, access=access)
    return _mmap.mmap(fileno, length, flags=_mmap.MAP_SHARED | populate, prot=_mmap.PROT_READ)


def _compound_close(self) -> None:
    # whoosh.filedb.compound.CompoundStorage.close, leaving a shared map to the garbage
    # collector (it is unmapped once no reader or view refers to it).
    if self.is_closed:
        raise Exception("Already closed")
    self.is_closed = True
    self._source = None
    if self._file:
        self._file.close()


def install() -> None:
    """Make every Whoosh BufferFile read from its buffer without copying it, and readers of
    one segment file share its map (idempotent)."""
    structfile.BufferFile.__init__ = _buffer_file_init
    compound.mmap = _SharedMaps
    compound.CompoundStorage.close = _compound_close


def installed() -> bool:
    return (
        structfile.BufferFile.__init__ is _buffer_file_init
        and compound.mmap is _SharedMaps
        and compound.CompoundStorage.close is _compound_close
    )
