"""Running the WSGI app under a production server: gunicorn (POSIX) or waitress."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

WSGIApp = Callable[..., Any]


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
        server = "gunicorn" if importlib.util.find_spec("gunicorn") else "waitress"
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

    class _Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            return app_factory()

    _Application().run()
