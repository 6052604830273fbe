"""Running the WSGI app under a production server: gunicorn (POSIX) or waitress."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

WSGIApp = Callable[..., Any]


def uses_gunicorn(server: str) -> bool:
    """Whether ``server`` (``auto``, ``gunicorn``, ``waitress``) means gunicorn here."""
    return server == "gunicorn" or (server == "auto" and bool(importlib.util.find_spec("gunicorn")))


def prepare_metrics(server: str) -> None:
    """Give gunicorn's workers a shared directory for their metrics (prometheus-client's
    multiprocess mode). Must run before the app's modules are imported."""
    if uses_gunicorn(server) and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:  # noqa: TID251
        # Not configuration: prometheus-client reads this variable in every worker.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="mnemora-metrics-")  # noqa: TID251


def serve(
    app_factory: Callable[[], WSGIApp],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    server: str = "auto",
    graceful_timeout: int = 30,
) -> None:
    """Serve until stopped.

    Under gunicorn, SIGTERM stops accepting connections and lets in-flight requests finish
    (up to ``graceful_timeout`` seconds); waitress stops on SIGINT/SIGTERM.

    Args:
        app_factory: Builds the app; called once per worker process.
        host: Address to bind.
        port: Port to bind.
        workers: Processes (gunicorn); waitress always runs one process.
        threads: Threads per process.
        server: ``gunicorn``, ``waitress`` or ``auto`` (gunicorn when installed).
        graceful_timeout: Seconds in-flight requests get to finish on shutdown.
    """
    if server == "auto":
        server = "gunicorn" if uses_gunicorn(server) else "waitress"
    if server == "gunicorn":
        _serve_gunicorn(app_factory, host, port, workers, threads, graceful_timeout)
    elif server == "waitress":
        import waitress

        waitress.serve(app_factory(), host=host, port=port, threads=threads)
    else:
        raise ValueError(f"unknown server {server!r}")


def _serve_gunicorn(
    app_factory: Callable[[], WSGIApp],
    host: str,
    port: int,
    workers: int,
    threads: int,
    graceful_timeout: int,
) -> None:
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "keepalive": 75,
        "graceful_timeout": graceful_timeout,
        "timeout": 60,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
    }

    def child_exit(server: Any, worker: Any) -> None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # noqa: TID251
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]

    class _Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            self.cfg.set("child_exit", child_exit)

        def load(self) -> WSGIApp:
            return app_factory()

    try:
        _Application().run()
    finally:
        metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")  # noqa: TID251
        if metrics_dir.startswith(tempfile.gettempdir()):
            shutil.rmtree(metrics_dir, ignore_errors=True)
