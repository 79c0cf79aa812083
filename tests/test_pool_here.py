"""indexer/pool.imap_ordered with `here`: this process takes jobs while the workers are busy.

A mostly-text index run has one worker on 2 cores; the run process reads text files itself
whenever the worker's next result is not ready (indexer/run.py). Results keep job order
whoever computed them, and a job `here` refuses is never run in this process.
"""

from __future__ import annotations

import os
import time

from kmsearch.indexer.pool import imap_ordered


def _slow_in_a_worker(job):
    """(n, pid that computed it); a worker takes 20 ms a job, this process no time."""
    n, parent = job
    if os.getpid() != parent:
        time.sleep(0.02)
    return n, os.getpid()


def _died(job):
    return job[0], None


def _run(count: int, here=None):
    jobs = [(n, os.getpid()) for n in range(count)]
    return list(imap_ordered(_slow_in_a_worker, jobs, 1, _died, ahead=4, here=here))


def test_this_process_takes_jobs_while_the_worker_is_busy_and_order_is_kept():
    out = _run(60, here=lambda job: True)
    assert [n for n, _pid in out] == list(range(60))
    mine = [n for n, pid in out if pid == os.getpid()]
    assert mine, "this process took no job"
    assert len(mine) < 60 and out[0][1] != os.getpid()  # the first job went to the worker


def test_without_here_every_job_goes_to_the_workers():
    out = _run(12)
    assert [n for n, _pid in out] == list(range(12))
    assert all(pid != os.getpid() for _n, pid in out)


def test_jobs_here_refuses_stay_with_the_workers():
    out = _run(40, here=lambda job: job[0] % 2 == 0)
    assert [n for n, _pid in out] == list(range(40))
    assert all(pid != os.getpid() for n, pid in out if n % 2)
    assert any(pid == os.getpid() for n, pid in out if n % 2 == 0)
