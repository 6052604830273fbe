"""The embedder of a server started without its model (``MNEMORA_EMBEDDER_REQUIRED=false``)."""

from __future__ import annotations

from collections.abc import Sequence

from mnemora_server.embeddings.base import Vectors
from mnemora_server.errors import UnavailableError


class UnavailableEmbedder:
    """Stands in for an embedder that failed to load: every use answers 503 at once with
    the reason (which names the setting that fixes it), and ``/v1/health`` says so.

    Args:
        name: The model that failed.
        dimension: Its dimension (the semantic store's schema keeps it).
        reason: Why it failed, and what to set.
    """

    def __init__(self, name: str, dimension: int, reason: str) -> None:
        self.name = name
        self.dimension = dimension
        self.reason = reason

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Refuse at once.

        Raises:
            UnavailableError: Always.
        """
        raise UnavailableError(self.reason)

    def load(self) -> None:
        """Refuse at once.

        Raises:
            UnavailableError: Always.
        """
        raise UnavailableError(self.reason)

    def describe(self) -> str:
        """Why there is no model."""
        return f"{self.name}: unavailable ({self.reason})"
