"""The Bedrock (Titan v2) embedder through boto3: against an endpoint on loopback that speaks
the Bedrock runtime's InvokeModel protocol, and against moto's bedrock-runtime (which answers
without an embedding)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import falcon.testing
import numpy as np
import pytest

from mnemora_server.app import create_app
from mnemora_server.embeddings.bedrock import TITAN_V2, BedrockEmbedder
from mnemora_server.embeddings.registry import build_embedder
from mnemora_server.errors import UnavailableError
from mnemora_server.settings import Settings
from mnemora_server.stores.registry import open_stores
from tests.conftest import ADMIN_TOKEN, Api, Clock

DIMENSION = 256


class _InvokeModelHandler(BaseHTTPRequestHandler):
    """``POST /model/<id>/invoke`` answers ``{"embedding": [...]}`` derived from the text's
    length; it can be told to throttle or fail a number of times first."""

    requests: list[dict[str, Any]] = []
    throttles_left = 0
    failing = False
    dimension = DIMENSION

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        cls.requests.append({"path": unquote(self.path), "body": body})
        if cls.throttles_left > 0 or cls.failing:
            throttled = cls.throttles_left > 0
            cls.throttles_left -= 1
            self._answer(
                429 if throttled else 500,
                {"message": "slow down" if throttled else "internal failure"},
                "ThrottlingException" if throttled else "InternalServerException",
            )
            return
        vector = [float(len(body["inputText"])), 1.0] + [0.0] * (self.dimension - 2)
        self._answer(200, {"embedding": vector, "inputTextTokenCount": 3})

    def _answer(self, status: int, payload: dict[str, Any], error: str | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def bedrock_url() -> Iterator[str]:
    _InvokeModelHandler.requests = []
    _InvokeModelHandler.throttles_left = 0
    _InvokeModelHandler.failing = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _InvokeModelHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_embeds_every_text_in_order_at_the_requested_dimension(bedrock_url: str) -> None:
    embedder = BedrockEmbedder(dimension=DIMENSION, endpoint_url=bedrock_url)
    texts = ["a" * (i + 1) for i in range(20)]
    vectors = embedder.embed(texts)
    expected = np.zeros((20, DIMENSION), dtype=np.float32)
    expected[:, 0] = [len(t) for t in texts]
    expected[:, 1] = 1.0
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-6), "input order, unit length"
    assert len(_InvokeModelHandler.requests) == 20, "Titan takes one text per call"
    first = _InvokeModelHandler.requests[0]
    assert first["path"] == f"/model/{TITAN_V2}/invoke"
    assert first["body"]["dimensions"] == DIMENSION
    assert first["body"]["normalize"] is True
    assert sorted(r["body"]["inputText"] for r in _InvokeModelHandler.requests) == sorted(texts)


def test_throttling_is_retried(bedrock_url: str) -> None:
    _InvokeModelHandler.throttles_left = 2
    embedder = BedrockEmbedder(dimension=DIMENSION, endpoint_url=bedrock_url)
    assert embedder.embed(["hello"]).shape == (1, DIMENSION)
    assert len(_InvokeModelHandler.requests) == 3


def test_failures_and_wrong_dimensions_are_unavailable(bedrock_url: str) -> None:
    with pytest.raises(UnavailableError, match="expected 512"):
        BedrockEmbedder(dimension=512, endpoint_url=bedrock_url).embed(["x"])
    _InvokeModelHandler.failing = True
    with pytest.raises(UnavailableError, match="InternalServerException"):
        BedrockEmbedder(dimension=DIMENSION, endpoint_url=bedrock_url).embed(["x"])
    with pytest.raises(ValueError, match="1024"):
        BedrockEmbedder(dimension=384)


def test_an_answer_without_an_embedding_is_unavailable(moto_url: str) -> None:
    # moto's bedrock-runtime accepts InvokeModel over HTTP and answers an empty document.
    with pytest.raises(UnavailableError, match="without an embedding"):
        BedrockEmbedder(endpoint_url=moto_url).embed(["hello"])


def test_the_api_stores_and_searches_with_bedrock_and_a_failure_writes_nothing(
    bedrock_url: str, tmp_path: Path, clock: Clock
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        embedder="bedrock",
        embedding_dimension=DIMENSION,
        embedding_url=bedrock_url,
    )
    embedder = build_embedder(settings)
    assert isinstance(embedder, BedrockEmbedder)
    assert (embedder.name, embedder.dimension) == (TITAN_V2, DIMENSION)
    stores = open_stores(settings, dimension=embedder.dimension)
    stores.setup()
    api = Api(falcon.testing.TestClient(create_app(settings, stores, clock=clock)))
    key = api.tenant("acme")
    stored = api.call(
        key, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": "hello there"}
    )
    assert stored.status_code == 201, stored.text
    found = api.call(
        key, "POST", "/v1/memory/semantic/search", json={"query": "hello", "mode": "vector"}
    )
    assert [h["content"] for h in found.json["data"]["results"]] == ["hello there"]
    _InvokeModelHandler.failing = True
    failed = api.call(
        key, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": "lost?"}
    )
    assert failed.status_code == 503
    assert failed.json["error"]["code"] == "UNAVAILABLE"
    listed = api.call(key, "GET", "/v1/memory/semantic", params={"agent_id": "bot"})
    assert [m["content"] for m in listed.json["data"]["memories"]] == ["hello there"]
    stores.close()
