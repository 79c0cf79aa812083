"""indexer/forked.py: part of a computation in a forked child, and every way it can fail."""

from __future__ import annotations

import os
import threading
import time

import pytest
from kmsearch.indexer import forked

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _pid_and(value):
    return os.getpid(), value


def test_the_child_computes_and_hands_back_its_result():
    child = forked.start(_pid_and, {"ภาษี": [1, 2, 3]})
    assert child is not None
    pid, value = child.result()
    assert pid != os.getpid() and pid == child.pid
    assert value == {"ภาษี": [1, 2, 3]}


def test_a_result_larger_than_the_pipe_arrives_whole():
    big = os.urandom(5 << 20)
    child = forked.start(_pid_and, big)
    assert child.result()[1] == big


def _raise():
    raise ValueError("broken")


def _die():
    os.kill(os.getpid(), 9)


@pytest.mark.parametrize("fn", [_raise, _die], ids=["exception", "killed"])
def test_a_failed_child_gives_none(fn):
    child = forked.start(fn)
    assert child is not None
    assert child.result() is None


def test_stop_ends_a_child_still_working():
    child = forked.start(time.sleep, 60)
    started = time.monotonic()
    child.stop()
    assert time.monotonic() - started < 30
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped: no zombie left


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert forked.start(_pid_and, 1) is None
    finally:
        stop.set()
        thread.join()
    assert forked.start(_pid_and, 1).result()[1] == 1


def test_no_child_when_the_system_refuses_to_fork(monkeypatch):
    def refuse():
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", refuse)
    before = len(os.listdir("/proc/self/fd"))
    assert forked.start(_pid_and, 1) is None
    assert len(os.listdir("/proc/self/fd")) == before  # the pipe was closed
