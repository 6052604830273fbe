"""Requests of at most 500 items: the server's limit for every batch route."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

BATCH_SIZE = 500
"""The most items (memories, ids, episodes) one request carries."""


def batches(items: Sequence[T], size: int = BATCH_SIZE) -> list[list[T]]:
    """``items`` cut into consecutive lists of at most ``size``."""
    return [list(items[start : start + size]) for start in range(0, len(items), size)]
