"""`kmsearch serve` with several processes: one waitress per CPU core, one listening socket.

A search is CPU work in Python. Whatever its thread count, one process answers with one core
at a time (the GIL): eight clients on a two-core machine queued behind one another while the
second core idled. So the listening socket is opened once and each serving process accepts
from it. The processes are forked before the app is built, so none shares a database
connection, an index reader or an access-log thread with another (the database, the index
and the session key are shared through the home, as two servers on one home already do).

The first process only supervises. SIGTERM or Ctrl-C is passed on; each serving process
finishes the requests in flight and writes its queued access-log rows before it ends. A
serving process that dies is started again, unless it died at once (a setup that cannot
work: everything stops with its message). If the supervisor itself is killed, the serving
processes are sent SIGTERM by the kernel and end the same clean way.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable

from kmsearch.web import heap

from kmsearch.home import Home

PR_SET_PDEATHSIG = 1
QUICK_DEATH = 5.0  # seconds: a process that ends sooner after its start is not restarted


class Shares:
    """How many connections each serving process holds, in memory shared by all of them.

    The kernel hands a new connection to whichever process accepts first, so eight
    keep-alive clients ended up six on one process and two on the other: the first queued
    three times as deep (every search waits for those ahead of it, web/turns.py). A process
    now accepts only while it holds no more connections than every other one. A slot not
    refreshed for STALE seconds (its process hung or gone) does not count.
    """

    STALE = 3.0

    def __init__(self, processes: int):
        import multiprocessing

        # Anonymous shared memory made before the processes are forked: each writes its slot.
        self.counts = multiprocessing.RawArray("l", processes)
        self.seen = multiprocessing.RawArray("d", processes)
        # A pipe per process to wake its loop: one that stops listening sleeps in its poll
        # (up to a second) until one of its connections has something to say, so the one
        # that holds more connections and stops accepting wakes it.
        self.wakers = [os.pipe() for _ in range(processes)]
        for pipe in self.wakers:
            for fd in pipe:
                os.set_blocking(fd, False)

    def slot(self, i: int) -> Slot:
        self.counts[i] = 0
        self.seen[i] = 0.0
        return Slot(self, i)


class Slot:
    """One serving process's place in Shares."""

    def __init__(self, shares: Shares, i: int):
        self.shares, self.i = shares, i
        self.deferring = False

    def may_accept(self, open_now: int) -> bool:
        counts, seen = self.shares.counts, self.shares.seen
        now = time.monotonic()
        counts[self.i], seen[self.i] = open_now, now
        others = [j for j in range(len(counts)) if j != self.i and now - seen[j] < Shares.STALE]
        fewer = [j for j in others if counts[j] < open_now]
        if fewer and not self.deferring:
            self.wake(min(fewer, key=lambda j: counts[j]))
        self.deferring = bool(fewer)
        return not fewer

    def wake(self, j: int) -> None:
        try:
            os.write(self.shares.wakers[j][1], b"!")
        except (BlockingIOError, OSError):
            pass  # a full pipe wakes it anyway

    def listen_for_wakeups(self, map_: dict) -> None:
        """Add this process's end of its pipe to its loop (make_server calls it)."""
        from waitress import wasyncore

        class Wakeup(wasyncore.file_dispatcher):
            def readable(self):
                return True

            def writable(self):
                return False

            def handle_read(self):
                try:
                    self.recv(4096)
                except (BlockingIOError, OSError):
                    pass

        Wakeup(self.shares.wakers[self.i][0], map_)


def serve(home: Home, host: str, port: int, build_app: Callable, processes: int, announce=print) -> int:
    """Serve until stopped; return the exit status. build_app() makes the Flask app (called
    in each serving process)."""
    from kmsearch.web.server import make_server

    heap.few_arenas()  # before any thread or fork: the serving processes inherit it
    if processes <= 1:
        app = build_app()
        server = make_server(app, home, host, port)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        announce(f"kmsearch: serving {home.path} on http://{host}:{port}/")
        _run(app, server)
        return 0
    listener = _listen(host, port)
    shares = Shares(processes)
    children: dict[int, tuple[float, int]] = {}  # pid -> (when it started, its slot)
    state = {"stopping": False, "status": 0}

    def start(i: int) -> None:
        share = shares.slot(i)
        pid = os.fork()
        if pid == 0:
            os._exit(_child(home, host, port, build_app, listener, make_server, share))
        children[pid] = (time.monotonic(), i)

    def stop(_signum=None, _frame=None) -> None:
        state["stopping"] = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for i in range(processes):
        start(i)
    announce(f"kmsearch: serving {home.path} on http://{host}:{port}/ with {processes} processes")
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        child = children.pop(pid, None)
        if child is None or state["stopping"]:
            continue
        started, slot = child
        if time.monotonic() - started < QUICK_DEATH:
            announce(f"kmsearch: a serving process ended at start (status {status}); stopping")
            state["status"] = 1
            stop()
        else:
            announce(f"kmsearch: a serving process ended (status {status}); starting another")
            start(slot)
    listener.close()
    return state["status"]


def _child(home, host, port, build_app, listener, make_server, share) -> int:
    """A serving process: build the app, serve from the shared socket, end cleanly."""
    try:
        _end_with_parent()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, signal.default_int_handler)
        app = build_app()
        server = make_server(app, home, host, port, sockets=[listener], share=share)
        _run(app, server)
    except (SystemExit, KeyboardInterrupt):
        pass
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def _run(app, server) -> None:
    try:
        server.run()
    finally:
        app.extensions["kmsearch"].close()  # the access-log rows still queued are written


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket all serving processes accept from (as waitress would open it)."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(info[4])
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _end_with_parent() -> None:
    """Ask Linux to send SIGTERM (a clean end) to this process when the supervisor dies."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
