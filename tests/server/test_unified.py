"""Cross-memory routes: writes by shape, the agent view, fused search, summaries, quotas,
and a purge interrupted by a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from mnemora_server.app import create_app
from mnemora_server.embeddings.base import Embedder
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from tests.backends import Backend
from tests.conftest import ADMIN_TOKEN, Api, Clock


@pytest.fixture
def key(api: Api) -> str:
    return api.tenant("acme")


def test_post_memory_routes_by_payload_shape(api: Api, key: str) -> None:
    bodies = {
        "state": {"agent_id": "bot", "data": {"step": 1}},
        "semantic": {"agent_id": "bot", "content": "Refunds take 5 days"},
        "episodic": {"agent_id": "bot", "session_id": "t", "type": "action", "content": "x"},
        "procedural": {"agent_id": "bot", "name": "refund", "type": "tool", "definition": {"a": 1}},
    }
    for kind, body in bodies.items():
        r = api.call(key, "POST", "/v1/memory", json=body)
        assert r.status_code == 201, (kind, r.text)
        assert r.json["data"]["memory_type"] == kind
    unknown = api.call(key, "POST", "/v1/memory", json={"agent_id": "bot", "nothing": 1})
    assert unknown.status_code == 400
    bad = api.call(key, "POST", "/v1/memory", json={"agent_id": "bot", "data": "not a dict"})
    assert bad.status_code == 400
    view = api.call(key, "GET", "/v1/memory/bot").json["data"]
    assert [len(view[k]) for k in ("state", "semantic", "episodic", "procedural")] == [1, 1, 1, 1]


def test_unified_search_fuses_semantic_and_episodic(api: Api, key: str) -> None:
    api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "content": "Parcels are shipped from the Leeds depot"},
    )
    api.call(
        key,
        "POST",
        "/v1/memory/episodic",
        json={
            "agent_id": "bot",
            "session_id": "t",
            "type": "conversation",
            "content": "Customer says the parcel never arrived",
        },
    )
    results = api.call(
        key, "POST", "/v1/memory/search", json={"query": "parcel", "agent_id": "bot"}
    ).json["data"]["results"]
    assert {r["memory_type"] for r in results} == {"semantic", "episodic"}
    assert all(r["score"] > 0 for r in results)


def test_unified_search_takes_the_semantic_filter_language(api: Api, key: str) -> None:
    for content, source in (("Parcels leave from Leeds", "faq"), ("Parcel rules for Oslo", "wiki")):
        body = {"agent_id": "bot", "content": content, "metadata": {"source": source}}
        api.call(key, "POST", "/v1/memory/semantic", json=body)
    for text, source in (("The parcel is late", "chat"), ("Parcel arrived broken", "email")):
        body = {
            "agent_id": "bot",
            "session_id": "t",
            "type": "conversation",
            "content": text,
            "metadata": {"source": source},
        }
        api.call(key, "POST", "/v1/memory/episodic", json=body)
    spec = {"source": {"$in": ["faq", "email"]}}
    found = api.call(
        key,
        "POST",
        "/v1/memory/search",
        json={"query": "parcel", "agent_id": "bot", "metadata_filter": spec},
    ).json["data"]["results"]
    assert sorted(str(r["content"]) for r in found) == [
        "Parcel arrived broken",
        "Parcels leave from Leeds",
    ]
    bad = {"query": "parcel", "metadata_filter": {"source": {"$like": "f%"}}}
    refused = api.call(key, "POST", "/v1/memory/search", json=bad)
    assert refused.status_code == 400


def test_unified_routes_never_cross_tenants(api: Api, key: str) -> None:
    other = api.tenant("globex")
    api.call(key, "POST", "/v1/memory", json={"agent_id": "bot", "content": "Initech secret"})
    api.call(
        key,
        "POST",
        "/v1/memory",
        json={"agent_id": "bot", "session_id": "t", "type": "action", "content": "Initech call"},
    )
    view = api.call(other, "GET", "/v1/memory/bot")
    assert "Initech" not in view.text
    found = api.call(other, "POST", "/v1/memory/search", json={"query": "Initech"})
    assert found.json["data"]["results"] == []
    planted = api.call(
        other,
        "POST",
        "/v1/memory",
        json={"agent_id": "bot", "content": "mine", "tenant_id": "acme"},
    )
    assert planted.status_code == 201
    assert "mine" not in api.call(key, "GET", "/v1/memory/bot").text


class _ChatHandler(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint on loopback that answers deterministically."""

    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        transcript = body["messages"][1]["content"]
        answer = {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": f"{len(transcript.splitlines())} events",
                    }
                }
            ]
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def chat_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_summaries_use_the_configured_model(
    data_dir: Path, stores: Stores, embedder: Embedder, clock: Clock, chat_url: str
) -> None:
    settings = Settings(
        data_dir=data_dir,
        admin_token=ADMIN_TOKEN,
        llm_url=chat_url,
        llm_model="tiny-chat",
        llm_api_key="sk-test",
    )
    api = Api(
        falcon.testing.TestClient(create_app(settings, stores, clock=clock, embedder=embedder))
    )
    key = api.tenant("acme")
    for i in range(3):
        api.call(
            key,
            "POST",
            "/v1/memory/episodic",
            json={
                "agent_id": "bot",
                "session_id": "t1",
                "type": "conversation",
                "content": {"role": "user", "message": f"message {i}"},
            },
        )
    r = api.call(key, "POST", "/v1/memory/episodic/bot/summarize", json={"session_id": "t1"})
    assert r.status_code == 200, r.text
    assert r.json["data"] == {
        "agent_id": "bot",
        "session_id": "t1",
        "summary": "3 events",
        "episodes": 3,
        "model": "tiny-chat",
    }
    request = _ChatHandler.seen[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "tiny-chat"
    assert "message 2" in request["body"]["messages"][1]["content"]


def test_storage_quota_refuses_writes_but_not_reads_or_deletes(api: Api) -> None:
    key = api.tenant("small", limits={"max_storage_bytes": 2_000})
    ok = api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"x": "y" * 1500}})
    assert ok.status_code == 201
    for path, body in [
        ("/v1/state", {"agent_id": "bot", "session_id": "s2", "data": {"x": "y" * 600}}),
        ("/v1/memory/semantic", {"agent_id": "bot", "content": "z" * 600}),
        (
            "/v1/memory/episodic",
            {"agent_id": "bot", "session_id": "t", "type": "action", "content": "z" * 600},
        ),
    ]:
        r = api.call(key, "POST", path, json=body)
        assert r.status_code == 507, path
        assert r.json["error"]["code"] == "QUOTA_EXCEEDED"
    assert api.call(key, "GET", "/v1/state/bot").status_code == 200
    assert api.call(key, "DELETE", "/v1/state/bot/default").status_code == 204


def test_a_purge_interrupted_by_a_crash_completes_when_run_again(
    api: Api, key: str, backend: Backend
) -> None:
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"a": 1}})
    api.call(key, "POST", "/v1/memory/semantic", json={"agent_id": "bot", "content": "fact"})
    for i in range(3):
        api.call(
            key,
            "POST",
            "/v1/memory/episodic",
            json={
                "agent_id": "bot",
                "session_id": "t",
                "type": "action",
                "content": i,
                "timestamp": "2020-01-01T00:00:00Z",
            },
        )
    api.call(
        key,
        "POST",
        "/v1/memory/procedural",
        json={"agent_id": "bot", "name": "p", "type": "rule", "definition": {}},
    )
    env = {**os.environ, **backend.env()}
    subprocess.run(
        [sys.executable, "-m", "mnemora_server.cli", "tier-episodes"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert len(backend.cold_objects()) == 1, "the episodes went to the cold tier"
    script = (
        "import sys\nfrom mnemora_server.cli import _services\n"
        "print(_services().erasure.purge_agent('acme', 'bot'))\n"
    )
    crashed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        timeout=120,
        env={**env, "MNEMORA_FAILPOINTS": "purge.after_semantic"},
        check=False,
    )
    assert crashed.returncode == 70
    assert api.call(key, "GET", "/v1/state/bot").status_code == 404, "state went first"
    finished = api.call(key, "DELETE", "/v1/memory/bot").json["data"]
    assert finished["episodes_deleted"] == 3
    assert finished["procedural_deleted"] == 1
    view = api.call(key, "GET", "/v1/memory/bot").json["data"]
    assert [len(view[k]) for k in ("state", "semantic", "episodic", "procedural")] == [0, 0, 0, 0]
    assert backend.cold_objects() == []
