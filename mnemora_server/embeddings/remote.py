"""Embeddings from any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, vLLM, Ollama,
LiteLLM, text-embeddings-inference), with retries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mnemora_server.embeddings.base import Vectors, normalise
from mnemora_server.errors import UnavailableError
from mnemora_server.outbound import JsonEndpoint

_BATCH = 128


class OpenAICompatibleEmbedder:
    """Remote embeddings.

    Args:
        base_url: The API root, e.g. ``https://api.openai.com/v1``.
        model: The embedding model.
        dimension: The model's output dimension (checked on every answer).
        api_key: Sent as a bearer token, if given.
        timeout: Seconds per attempt.
        attempts: Tries for connection errors, 429 and 5xx (with back-off).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        dimension: int,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        attempts: int = 4,
    ) -> None:
        self.name = model
        self.dimension = dimension
        self._where = base_url
        self._endpoint = JsonEndpoint(
            base_url,
            "/embeddings",
            service="the embedding service",
            api_key=api_key,
            timeout=timeout,
            attempts=attempts,
        )

    def load(self) -> None:
        """Nothing to load: the service is reached on use."""

    def describe(self) -> str:
        """The model and the service, for logs."""
        return f"{self.name} ({self.dimension}-d) at the OpenAI-compatible {self._where}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` in batches; rows come back in input order, unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            self._embed_batch(list(texts[i : i + _BATCH])) for i in range(0, len(texts), _BATCH)
        ]
        return normalise(np.concatenate(parts))

    def _embed_batch(self, batch: list[str]) -> Vectors:
        answer = self._endpoint.post({"model": self.name, "input": batch})
        return self._vectors(answer, len(batch))

    def _vectors(self, answer: Any, expected: int) -> Vectors:
        try:
            data = sorted(answer["data"], key=lambda item: item["index"])
            vectors = np.asarray([item["embedding"] for item in data], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise UnavailableError("the embedding service answered nonsense") from exc
        if vectors.shape != (expected, self.dimension):
            raise UnavailableError(
                f"the embedding service returned {vectors.shape}, expected "
                f"({expected}, {self.dimension}): check MNEMORA_EMBEDDING_DIMENSION"
            )
        return vectors
