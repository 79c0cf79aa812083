"""Reading an index's files straight from the memory map, without a private copy per reader.

Whoosh maps each segment's compound file (mmap) and opens its parts as BufferFile objects,
whose constructor wraps the mapped bytes in io.BytesIO -- and BytesIO copies what it is
given. Any part that is ever read with seek()/read() (the postings and terms files: their
headers) thus became a heap copy of the whole part for every open reader: 32 MB per reader
at 2,000 documents, about five times that at 10,000, and the web server keeps one reader
per thread. `install()` gives BufferFile a file object that reads from the mapped bytes
themselves, copying only what each read() returns; nothing else about Whoosh's reading
changes (the same bytes, the same positions; one position per BufferFile, as before).
"""

from __future__ import annotations

from whoosh.filedb import structfile


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


def install() -> None:
    """Make every Whoosh BufferFile read from its buffer without copying it (idempotent)."""
    structfile.BufferFile.__init__ = _buffer_file_init


def installed() -> bool:
    return structfile.BufferFile.__init__ is _buffer_file_init
