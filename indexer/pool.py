"""Worker processes for extraction that neither stop the run when one dies nor outlive it.

A worker can die without an exception: the out-of-memory killer sends SIGKILL, and
ProcessPoolExecutor then fails every job still in flight with BrokenProcessPool. Only one
of those files killed it, so each is tried again alone in a one-worker pool; the file that
kills that worker too is reported as failed, the others are read, and a fresh pool goes on
with the rest.

Workers are started with "spawn" (the parent holds an index writer and may run threads).
A spawned worker holds both ends of the pool's job pipe, so it never sees the parent go
away: after `kill -9` of an index run the workers (and multiprocessing's resource tracker,
which lives as long as any of them holds its pipe) would wait forever. Each worker
therefore asks Linux to SIGKILL it when its parent dies (prctl PR_SET_PDEATHSIG), checks
that the parent had not already died before that took effect, and on other systems polls
the parent's pid.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# Test hook: a worker given a job whose text contains this value SIGKILLs itself, as the
# out-of-memory killer would (tests/test_indexer_faults.py). Never set in production.
KILL_WORKER_ENV = "KMSEARCH_TEST_KILL_WORKER_ON"

WORKER_DIED = (
    "the extraction worker died while reading this file (killed by the system, "
    "e.g. for using too much memory)"
)


def kill_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (nothing elsewhere). Also the
    preexec_fn of the tools a worker runs (ocr.py), so that they die with the worker."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: a worker's watcher thread below still ends it


def _die_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this worker when the index run that started it ends."""
    kill_with_parent()
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)
    if not sys.platform.startswith("linux"):
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)


def _worker_call(fn: Callable, job):
    target = os.environ.get(KILL_WORKER_ENV)
    if target and target in repr(job):
        os.kill(os.getpid(), signal.SIGKILL)
    return fn(job)


def _start(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


def imap_ordered(
    fn: Callable, jobs: Sequence, workers: int, if_died: Callable[[object], object], ahead: int = 2,
    here: Callable[[object], bool] | None = None,
) -> Iterator:
    """fn(job) for each job, in order, computed in worker processes.

    fn must be a module-level function returning a value rather than raising. A job whose
    worker dies even when it runs alone gives if_died(job) instead. ahead: jobs submitted
    per worker before their results are taken (more keeps short jobs flowing while this
    process is busy; all those in flight are tried again alone when a worker dies).
    here: which jobs this process may run itself. When the next result is not ready, the next
    job not yet submitted is run here if here(job) says so, instead of waiting: this process
    then does whatever share of the work it has time for, from the workers' start-up on.
    """
    jobs = list(jobs)
    window = ahead * workers  # jobs submitted ahead: at most these are lost with a dead worker
    pool = _start(workers)
    queue: deque[Future] = deque()
    ran_here: set[Future] = set()  # finished futures of queue computed here (not in the window)
    submitted = 0
    try:
        for i in range(len(jobs)):
            while True:
                while submitted < len(jobs) and len(queue) - len(ran_here) < window:
                    queue.append(pool.submit(_worker_call, fn, jobs[submitted]))
                    submitted += 1
                if (queue[0].done() or here is None or submitted == len(jobs)
                        or len(ran_here) >= HERE_AHEAD * window or not here(jobs[submitted])):
                    break
                done = _finished(fn(jobs[submitted]))
                submitted += 1
                queue.append(done)
                ran_here.add(done)
            future = queue.popleft()
            ran_here.discard(future)
            try:
                yield future.result()
                continue
            except BrokenProcessPool:
                pass
            # The pool is broken: every job not finished in it is tried again alone.
            lost = [(i, future), *((i + 1 + k, f) for k, f in enumerate(queue))]
            queue.clear()
            ran_here.clear()
            pool.shutdown(wait=True, cancel_futures=True)
            results = _retry_alone(fn, [(jobs[n], f) for n, f in lost], if_died)
            # Results of jobs after i are handed out as already finished futures.
            yield results[0]
            queue.extend(map(_finished, results[1:]))
            pool = _start(workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# Results computed here that may wait for the workers' earlier ones: while a worker starts
# (~0.3 s), this process goes on this many windows ahead.
HERE_AHEAD = 4


def _finished(value) -> Future:
    done: Future = Future()
    done.set_result(value)
    return done


def _retry_alone(fn: Callable, lost: list[tuple[object, Future]], if_died) -> list:
    """Results of the jobs of a broken pool: kept if they had finished, else run one by one."""
    results = []
    pool = None
    try:
        for job, future in lost:
            if future.done() and not future.cancelled() and future.exception() is None:
                results.append(future.result())
                continue
            if pool is None:
                pool = _start(1)
            try:
                results.append(pool.submit(_worker_call, fn, job).result())
            except BrokenProcessPool:
                results.append(if_died(job))
                pool.shutdown(wait=True)
                pool = None
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return results
