"""Running one step of a request beside another, on a small thread pool shared by the
process: the keyword leg of a hybrid search runs while the request's thread embeds the query,
and the in-process vector index screens a large partition in parts at once (onnxruntime,
SQLite, psycopg and numkong release the GIL while they work), so a request costs the longer
of its steps instead of their sum."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_WORKERS = 8
_PREFIX = "mnemora-beside"
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def beside(fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """Start ``fn(*args, **kwargs)`` on the shared pool; ``.result()`` waits for it and
    raises what it raised.

    The pool is made on first use in each process (a forked server worker gets its own:
    threads do not survive ``fork``). Called from one of the pool's own threads, ``fn`` runs
    at once in that thread: a step that waited for work queued behind itself could wait
    forever once every thread of the pool did the same.
    """
    global _pool, _pool_pid
    if threading.current_thread().name.startswith(_PREFIX):
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to .result(), as the pool would
            done.set_exception(error)
        return done
    pid = os.getpid()
    with _lock:
        if _pool is None or _pool_pid != pid:
            _pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix=_PREFIX)
            _pool_pid = pid
        pool = _pool
    return pool.submit(fn, *args, **kwargs)
