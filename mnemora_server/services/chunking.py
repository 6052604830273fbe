"""Splitting long text into overlapping chunks for embedding."""

from __future__ import annotations

import re

_BREAK = re.compile(r"(?<=[.!?\n])\s+|\s+")


def chunk_text(text: str, *, size: int = 1000, overlap: int = 200) -> list[str]:
    """Cut ``text`` into pieces of at most about ``size`` characters, each sharing about
    ``overlap`` characters with the previous one, breaking at whitespace where possible.

    Text no longer than ``size`` comes back as one piece.
    """
    if size <= overlap:
        raise ValueError("size must exceed overlap")
    if len(text) <= size:
        return [text]
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            # Prefer to end at a sentence or word boundary in the last third of the window.
            window = text[start + size * 2 // 3 : end]
            breaks = [m.end() for m in _BREAK.finditer(window)]
            if breaks:
                end = start + size * 2 // 3 + breaks[-1]
        chunks.append(text[start:end].strip())
        if end >= len(text):
            break
        next_start = end - overlap
        space = text.find(" ", next_start, end)
        start = space + 1 if space != -1 else next_start
    return [c for c in chunks if c]
