"""The OpenAI-compatible embedder against an endpoint on loopback that speaks the protocol."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from mnemora_server.embeddings.remote import OpenAICompatibleEmbedder
from mnemora_server.errors import UnavailableError


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    """Answers ``/v1/embeddings`` with vectors derived from each text's length; can be told
    to fail a number of times first."""

    requests: list[dict[str, Any]] = []
    failures_left = 0
    dimension = 4

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"body": body, "auth": self.headers.get("Authorization")})
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        data = [
            {"index": i, "embedding": [float(len(text)), 1.0] + [0.0] * (self.dimension - 2)}
            for i, text in enumerate(body["input"])
        ]
        payload = json.dumps({"data": list(reversed(data)), "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def endpoint() -> Iterator[str]:
    _EmbeddingsHandler.requests = []
    _EmbeddingsHandler.failures_left = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_embeds_in_order_in_batches_with_the_key(endpoint: str) -> None:
    embedder = OpenAICompatibleEmbedder(endpoint, "tiny-embed", 4, api_key="sk-x")
    texts = ["a" * (i + 1) for i in range(300)]
    vectors = embedder.embed(texts)
    assert vectors.shape == (300, 4)
    expected = np.array([[len(t), 1.0, 0, 0] for t in texts], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-6), "input order, unit length"
    assert [len(r["body"]["input"]) for r in _EmbeddingsHandler.requests] == [128, 128, 44]
    assert {r["auth"] for r in _EmbeddingsHandler.requests} == {"Bearer sk-x"}


def test_retries_transient_failures(endpoint: str) -> None:
    _EmbeddingsHandler.failures_left = 2
    embedder = OpenAICompatibleEmbedder(endpoint, "tiny-embed", 4)
    assert embedder.embed(["hello"]).shape == (1, 4)
    assert len(_EmbeddingsHandler.requests) == 3


def test_a_wrong_dimension_or_a_dead_endpoint_is_unavailable(endpoint: str) -> None:
    with pytest.raises(UnavailableError, match="expected"):
        OpenAICompatibleEmbedder(endpoint, "tiny-embed", 8).embed(["x"])
    dead = OpenAICompatibleEmbedder("http://127.0.0.1:9/v1", "m", 4, attempts=2)
    with pytest.raises(UnavailableError, match="cannot be reached"):
        dead.embed(["x"])
