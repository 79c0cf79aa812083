"""Searches take turns in a serving process (kmsearch.web.turns): one at a time, in the
order they arrived."""

from __future__ import annotations

import threading
import time

from kmsearch.web.turns import Turns


def _wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_turns_are_taken_one_at_a_time_in_order_of_arrival():
    turns = Turns()
    entered, inside, most = [], [0], [0]
    lock = threading.Lock()
    release = threading.Event()

    def search(n):
        with turns.turn():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                entered.append(n)
            if n == 0:
                release.wait(10)  # the first holds its turn until all others queue behind it
            with lock:
                inside[0] -= 1

    threads = []
    for n in range(12):
        t = threading.Thread(target=search, args=(n,))
        t.start()
        threads.append(t)
        if n == 0:
            _wait_until(lambda: entered == [0])
        else:
            _wait_until(lambda n=n: len(turns._queue) == n)  # queued in this order
    release.set()
    for t in threads:
        t.join(10)
    assert entered == list(range(12))
    assert most[0] == 1
    assert not turns._busy and not turns._queue


def test_a_search_that_fails_hands_its_turn_on():
    turns = Turns()
    try:
        with turns.turn():
            raise ValueError("a search that raised")
    except ValueError:
        pass
    done = []

    def search():
        with turns.turn():
            done.append(True)

    t = threading.Thread(target=search)
    t.start()
    t.join(5)
    assert done == [True]
