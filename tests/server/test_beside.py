"""The shared pool that runs a request's steps at once (``mnemora_server.beside``)."""

from __future__ import annotations

import threading
import time

import pytest

from mnemora_server.beside import beside


def test_a_step_beside_returns_its_result_or_its_error() -> None:
    assert beside(lambda a, b: a + b, 2, b=3).result(timeout=10) == 5

    def fails() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        beside(fails).result(timeout=10)


def test_steps_started_from_the_pool_itself_never_wait_for_each_other() -> None:
    """Twenty steps at once, more than the pool has threads, each waiting for a step of its
    own: each inner step runs in its caller's thread, so none waits for a free thread."""
    release = threading.Event()

    def outer(n: int) -> tuple[int, bool]:
        release.wait(10)
        inner = beside(lambda: (n * 2, threading.current_thread().name))
        doubled, where = inner.result(timeout=10)
        return doubled, where == threading.current_thread().name

    started = [beside(outer, n) for n in range(20)]
    time.sleep(0.05)  # let the pool's threads all block in outer
    release.set()
    assert [f.result(timeout=20) for f in started] == [(2 * n, True) for n in range(20)]
