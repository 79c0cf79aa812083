"""Part of a computation in a forked copy of this process, while this process does the rest.

The index run's last step (writing every term's postings, indexer/segment_writer.py) runs
after the extraction workers have ended, on one core. A forked child sees the postings in
memory as they are, without a copy or a pickle of them, encodes part of the terms on the
other core and hands back only bytes.

Used only where forking is safe: on POSIX, with no other thread running (a thread holding a
lock at the fork would leave that lock held forever in the child). The child never unwinds
into the caller's code: it sends its result through a pipe and ends with os._exit, so none of
the parent's open files are flushed or closed twice. Anything that goes wrong in the child
(an exception, a kill, a result that does not arrive whole) makes result() None, and the
caller does that part itself.
"""

from __future__ import annotations

import gc
import os
import pickle
import threading
from collections.abc import Callable

from kmsearch.indexer.pool import kill_with_parent


class Child:
    """fn(*args) computed in a forked child; result() waits for it."""

    def __init__(self, pid: int, fd: int):
        self.pid = pid
        self.fd = fd

    def result(self):
        """The child's return value, or None if it failed."""
        chunks = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self.fd)
            _, status = os.waitpid(self.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - a result cut short is a failed child
            return None

    def stop(self) -> None:
        """End the child without its result (the caller failed)."""
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.close(self.fd)
        os.waitpid(self.pid, 0)


def start(fn: Callable, *args) -> Child | None:
    """Start fn(*args) in a forked child, or None where forking is not safe here."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # e.g. no memory to copy the process's page tables into
        os.close(read_end)
        os.close(write_end)
        return None
    if pid:
        os.close(write_end)
        return Child(pid, read_end)
    # The child. No cyclic garbage collection: it could finalise an object the parent still
    # uses (a file with buffered writes), as the parent's copy of the heap is shared here.
    gc.disable()
    code = 1
    try:
        kill_with_parent()  # an index run killed outright does not leave its child working
        os.close(read_end)
        data = pickle.dumps(fn(*args), pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view):]
        code = 0
    finally:
        os._exit(code)
