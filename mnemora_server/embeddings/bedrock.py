"""Embeddings from Amazon Bedrock: Titan Text Embeddings v2 (``amazon.titan-embed-text-v2:0``).

Titan takes one text per ``InvokeModel`` call, so a batch is embedded by a few concurrent
calls. botocore retries throttling and 5xx answers (standard mode, with back-off); what still
fails becomes ``UnavailableError`` (503), and nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from botocore.exceptions import BotoCoreError, ClientError

from mnemora_server.aws import AwsLocation, LazyClient
from mnemora_server.embeddings.base import Vectors, normalise
from mnemora_server.errors import UnavailableError

TITAN_V2 = "amazon.titan-embed-text-v2:0"
TITAN_V2_DIMENSIONS = (256, 512, 1024)


class BedrockEmbedder:
    """Titan v2 embeddings through the Bedrock runtime.

    Args:
        model: The Bedrock model id.
        dimension: 1024 (default), 512 or 256 for Titan v2.
        region: AWS region (default: us-east-1; the server passes ``Settings.aws_region``).
        endpoint_url: A non-default endpoint (a VPC endpoint, or a local one in tests).
        concurrency: Calls in flight while embedding a batch.
    """

    def __init__(
        self,
        model: str = TITAN_V2,
        dimension: int = 1024,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        concurrency: int = 8,
    ) -> None:
        if model == TITAN_V2 and dimension not in TITAN_V2_DIMENSIONS:
            raise ValueError(
                f"Titan v2 embeds in {TITAN_V2_DIMENSIONS} dimensions, not {dimension}"
            )
        self.name = model
        self.dimension = dimension
        self._client = LazyClient(
            "bedrock-runtime", AwsLocation(model, "", region or "us-east-1", endpoint_url)
        )
        self._concurrency = concurrency
        self._region = region or "us-east-1"

    def load(self) -> None:
        """Nothing to load: Bedrock is reached on use."""

    def describe(self) -> str:
        """The model and region, for logs."""
        return f"{self.name} ({self.dimension}-d) on Amazon Bedrock in {self._region}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``; rows come back in input order, unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) == 1:
            rows = [self._embed_one(texts[0])]
        else:
            with ThreadPoolExecutor(min(self._concurrency, len(texts))) as pool:
                rows = list(pool.map(self._embed_one, texts))
        return normalise(np.asarray(rows, dtype=np.float32))

    def _embed_one(self, text: str) -> list[float]:
        body = {"inputText": text, "dimensions": self.dimension, "normalize": True}
        try:
            answer = self._client().invoke_model(
                modelId=self.name,
                body=json.dumps(body),
                contentType="application/json",
                accept="application/json",
            )
            vector: Any = json.loads(answer["body"].read())["embedding"]
        except (KeyError, TypeError, ValueError) as exc:
            raise UnavailableError("Bedrock answered without an embedding") from exc
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError(f"Bedrock failed to embed: {_reason(exc)}") from exc
        if not isinstance(vector, list) or len(vector) != self.dimension:
            raise UnavailableError(
                f"Bedrock returned a vector of {len(vector) if isinstance(vector, list) else 0}"
                f" dimensions, expected {self.dimension}: check MNEMORA_EMBEDDING_DIMENSION"
            )
        return vector


def _reason(exc: BotoCoreError | ClientError) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return type(exc).__name__
