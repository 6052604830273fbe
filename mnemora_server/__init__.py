"""Mnemora server: multi-tenant memory for AI agents over pluggable stores."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mnemora")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
