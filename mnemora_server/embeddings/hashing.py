"""A deterministic embedder for tests and demos without a model (``MNEMORA_EMBEDDER=hash``).

Words and word pairs are hashed into a fixed number of buckets (feature hashing), so texts
sharing words are close. It knows no meaning: use it only where that is acceptable.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

from mnemora_server.embeddings.base import Vectors, normalise

_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    """Feature-hashing embedder with a fixed dimension."""

    def __init__(self, dimension: int = 384) -> None:
        self.name = f"hash-{dimension}"
        self.dimension = dimension

    def load(self) -> None:
        """Nothing to load."""

    def describe(self) -> str:
        """The embedder, for logs."""
        return f"{self.name} (feature hashing, for tests)"

    def _bucket(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dimension, 1.0 if value >> 63 else -1.0

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` deterministically."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w.lower() for w in _WORD.findall(text)]
            for token in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                index, sign = self._bucket(token)
                out[row, index] += sign
        return normalise(out)
