"""The embedder protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension.

    Attributes:
        name: Identifies the model (stored beside vectors, so a change of model is detected).
        dimension: Length of every vector.
    """

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` in batches; returns an array of shape ``(len(texts), dimension)``."""

    def load(self) -> None:
        """Make the model ready now, at start-up rather than on the first request (a
        no-op for a remote service, which is reached on use); idempotent.

        Raises:
            UnavailableError: The model cannot be loaded; the message names what to set.
        """

    def describe(self) -> str:
        """Which model, from where, for the start-up log and ``/v1/health`` (no secrets)."""


def normalise(vectors: npt.NDArray[np.floating]) -> Vectors:
    """Scale each row to unit length (zero rows stay zero)."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Vectors = (array / norms).astype(np.float32)
    return normalised
