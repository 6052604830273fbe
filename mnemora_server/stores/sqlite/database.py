"""A SQLite database shared by threads and processes, with versioned migrations.

Each thread of each process gets its own connection, opened on first use (never in a
constructor, never inherited across ``fork``). Databases run in WAL mode so that readers
never wait for the writer; writes take the lock up front (``BEGIN IMMEDIATE``) so that
read-modify-write sequences are serialised across every process on the machine.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from mnemora_server.errors import UnavailableError

Synchronous = Literal["NORMAL", "FULL"]

_SYNCHRONOUS_PRAGMAS: dict[str, str] = {
    "NORMAL": "PRAGMA synchronous=NORMAL",
    "FULL": "PRAGMA synchronous=FULL",
}


def sqlite_path_from_url(url: str) -> Path:
    """The file path of a ``sqlite:///path`` URL.

    Raises:
        ValueError: If the URL is not a ``sqlite`` URL with a path.
    """
    parsed = urlparse(url)
    if parsed.scheme != "sqlite" or not parsed.path:
        raise ValueError(f"not a sqlite URL: {url!r}")
    return Path(parsed.path)


class SqliteDatabase:
    """One SQLite file and its migrations.

    Args:
        path: The database file; its directory is created by :meth:`setup`.
        migrations: SQL scripts; script ``i`` brings the schema to version ``i + 1``.
        synchronous: ``FULL`` syncs every commit to disk; ``NORMAL`` (WAL) survives any
            process crash and loses at most the last commits on power loss.
        busy_timeout: Seconds to wait for another writer before failing with 503.
    """

    def __init__(
        self,
        path: Path,
        migrations: Sequence[str],
        *,
        synchronous: Synchronous = "FULL",
        busy_timeout: float = 10.0,
    ) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._migrations = tuple(migrations)
        self._synchronous = synchronous
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []

    def _connection(self) -> sqlite3.Connection:
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == pid:
            return conn
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=self._busy_timeout
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SYNCHRONOUS_PRAGMAS[self._synchronous])
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise UnavailableError("the database cannot be opened") from exc
        self._local.conn = conn
        self._local.pid = pid
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads; statements run in autocommit mode."""
        conn = self._connection()
        try:
            yield conn
        except sqlite3.Error as exc:
            raise UnavailableError("the database failed") from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database lock; rolled back on any error."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise UnavailableError("the database is busy or failed") from exc
        try:
            yield conn
        except BaseException as exc:
            conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise UnavailableError("the database failed; nothing was written") from exc
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise UnavailableError("the database failed; nothing was written") from exc

    def setup(self) -> None:
        """Create the file and apply every migration not yet applied, in one transaction each."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
            current = int(row[0])
            for version, script in enumerate(self._migrations, start=1):
                if version <= current:
                    continue
                for statement in _split_statements(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, unixepoch())",
                    (version,),
                )

    def schema_version(self) -> int:
        """The highest migration applied (0 for a new database)."""
        with self.read() as conn:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            ).fetchone()
            if not exists:
                return 0
            return int(conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0])

    def check_health(self) -> None:
        """Raise ``UnavailableError`` unless the database is migrated and takes writes."""
        if self.schema_version() < len(self._migrations):
            raise UnavailableError(
                f"{self.path.name} is not migrated; run 'mnemora-server migrate'"
            )
        with self.write():
            pass  # readers never block in WAL mode: only taking the write lock proves writes work

    def close(self) -> None:
        """Close every connection this process opened."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


def _split_statements(script: str) -> list[str]:
    """The complete SQL statements of a script (trigger bodies stay whole)."""
    statements: list[str] = []
    pending = ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    return statements
