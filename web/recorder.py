"""Writes access-log rows on a background thread, so logging never delays or breaks a page.

A request only puts a row on an in-memory queue (microseconds). One writer thread drains
the queue and inserts what has gathered in one transaction: under load that is one fsync
for many rows instead of one per request, and a database locked by a report or a backup
holds up the writer, not the citizens, and the writer waits it out (issue 12: a lock held
75 s used to lose a row). A failed write is reported through the app logger.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from kmsearch.store import accesslog
from kmsearch.store.accesslog import Access

_STOP = object()


class AccessRecorder:
    """Queue of pending access-log rows and the thread that writes them."""

    def __init__(
        self,
        engine: Engine,
        logger: logging.Logger,
        max_pending: int = 50_000,
        batch_size: int = 500,
        retry_for: float = 900.0,
    ):
        self.engine = engine
        self.retry_for = retry_for  # seconds a busy database is waited out before rows drop
        self.logger = logger
        self.batch_size = batch_size
        self._queue: queue.Queue = queue.Queue(max_pending)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.written = 0
        self.failed = 0

    def record(self, access: Access) -> None:
        """Queue one row; never raises, never blocks the request."""
        try:
            self._start()
            self._queue.put_nowait(access)
        except queue.Full:
            self.failed += 1
            self.logger.error("access log: queue full, dropped a %s row", access.action)
        except Exception:  # logging must not break the page, whatever went wrong
            self.failed += 1
            self.logger.exception("access log: could not queue a %s row", access.action)

    def _start(self) -> None:
        """Start the writer on first use: apps built for one CLI command never start a thread."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="kmsearch-access-log", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(item is _STOP for item in batch)
            rows = [item for item in batch if item is not _STOP]
            try:
                self._write(rows)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return

    def _write(self, rows: list[Access]) -> None:
        """Insert rows in one transaction.

        A busy or unreachable database (SQLite locked by a backup for minutes, PostgreSQL
        restarting) is waited out, retrying with growing pauses for up to `retry_for`
        seconds: the rows stay in memory meanwhile and none is lost. Any other error is
        retried once, then reported and the rows dropped (they would fail forever).
        """
        if not rows:
            return
        deadline = time.monotonic() + self.retry_for
        pause, attempt = 0.2, 0
        while True:
            attempt += 1
            try:
                with self.engine.begin() as conn:
                    accesslog.record(conn, rows)
                self.written += len(rows)
                if attempt > 1:
                    self.logger.warning(
                        "access log: wrote %d row(s) after %d attempts", len(rows), attempt
                    )
                return
            except Exception as exc:
                transient = isinstance(exc, OperationalError) or getattr(
                    exc, "connection_invalidated", False
                )
                if (transient and time.monotonic() < deadline) or attempt == 1:
                    if attempt == 1:
                        self.logger.warning("access log: database busy, will retry: %s", exc)
                    time.sleep(pause)
                    pause = min(pause * 2, 5.0)
                    continue
                self.failed += len(rows)
                self.logger.exception("access log: could not write %d row(s)", len(rows))
                return

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued row is written (or failed); True if the queue drained."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0 or not self._queue.all_tasks_done.wait(left):
                    return False
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Write what is pending and stop the thread (at server shutdown)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)
