"""The cold tier of the embedded default: files under a directory (``file:///path``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from mnemora_server.errors import UnavailableError
from mnemora_server.stores.base import StoreOptions


def file_root_from_url(url: str) -> Path:
    """The directory of a ``file:///path`` URL."""
    parsed = urlparse(url)
    if parsed.scheme != "file" or not parsed.path:
        raise ValueError(f"not a file URL: {url!r}")
    return Path(parsed.path)


class FileColdStore:
    """Objects as files; each write lands complete (temporary file, fsync, rename) or not at all.

    Args:
        root: The directory holding every object.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> FileColdStore:
        """The store of a ``file:///directory`` URL."""
        return cls(file_root_from_url(url))

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"object key escapes the cold store: {key!r}")
        return path

    def setup(self) -> None:
        """Create the directory."""
        self.root.mkdir(parents=True, exist_ok=True)

    def check_health(self) -> None:
        """Raise ``UnavailableError`` unless the directory is writable."""
        if not os.access(self.root, os.W_OK):
            raise UnavailableError(f"the cold store {self.root} is not writable")

    def close(self) -> None:
        """Nothing to release."""

    def put(self, key: str, data: bytes) -> None:
        """Write an object durably."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            raise UnavailableError("the cold store failed; nothing was written") from exc

    def get(self, key: str) -> bytes | None:
        """An object's bytes, or ``None``."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UnavailableError("the cold store failed") from exc

    def keys(self, prefix: str) -> list[str]:
        """Every object key under ``prefix`` (temporary files included: they are objects too)."""
        base = self._path(prefix) if prefix else self.root
        if not base.exists():
            return []
        root = self.root.resolve()
        return sorted(str(p.relative_to(root)) for p in base.rglob("*") if p.is_file())

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix`` and the directories that held them."""
        base = self._path(prefix)
        if not base.exists():
            return 0
        removed = len(self.keys(prefix)) if base.is_dir() else 1
        try:
            if base.is_dir():
                shutil.rmtree(base)
            else:
                base.unlink()
        except OSError as exc:
            raise UnavailableError("the cold store failed while deleting") from exc
        return removed
