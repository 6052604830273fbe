"""Tenant B attacks tenant A's episodes: listings, replays, search, purge, cold objects."""

from __future__ import annotations

from mnemora_server.embeddings.base import Embedder
from mnemora_server.services.registry import Services
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from tests.backends import Backend
from tests.conftest import Api, Clock


def test_b_reaches_nothing_of_a_in_either_tier(
    api: Api,
    settings: Settings,
    stores: Stores,
    embedder: Embedder,
    clock: Clock,
    backend: Backend,
) -> None:
    a = api.tenant("tenant-a")
    b = api.tenant("tenant-b")
    for i in range(6):
        body = {
            "agent_id": "bot",
            "session_id": "s1",
            "type": "conversation",
            "content": f"Initech merger detail {i}",
        }
        if i < 3:
            body["timestamp"] = "2020-01-01T00:00:00Z"
        api.call(a, "POST", "/v1/memory/episodic", json=body)
    Services.build(settings, stores, embedder, clock).episodic.tier()
    assert [k for k in backend.cold_objects() if k.startswith("tenant-a/bot/")] != []

    probes = [
        ("GET", "/v1/memory/episodic/bot", None, {}),
        ("GET", "/v1/memory/episodic/bot", None, {"tenant_id": "tenant-a", "from": "2019-01-01"}),
        ("GET", "/v1/memory/episodic/bot/sessions/s1", None, {}),
        ("POST", "/v1/memory/episodic/search", {"query": "Initech merger"}, {}),
        ("POST", "/v1/memory/episodic/search", {"query": "Initech", "agent_id": "bot"}, {}),
        ("POST", "/v1/memory/episodic/search", {"query": "Initech", "tenant_id": "tenant-a"}, {}),
    ]
    for method, path, body, params in probes:
        r = api.call(b, method, path, json=body, params=params, headers={"X-Tenant-ID": "tenant-a"})
        assert r.status_code in (200, 400), (path, r.status_code)
        assert "Initech" not in r.text, (method, path, body, params)

    purge = api.call(b, "DELETE", "/v1/memory/bot").json["data"]
    assert purge["episodes_deleted"] == 0
    assert purge["deleted"]["cold_objects"] == 0
    assert [k for k in backend.cold_objects() if k.startswith("tenant-a/bot/")] != []
    listed = api.call(a, "GET", "/v1/memory/episodic/bot", params={"limit": "100"})
    assert listed.json["data"]["count"] == 6


def test_cold_keys_cannot_escape_their_prefix() -> None:
    import pytest

    from mnemora_server.errors import ValidationError
    from mnemora_server.stores.base.episodes import cold_prefix, segment_key

    assert cold_prefix("acme", "bot") == "acme/bot/"
    for tenant, agent in (("acme/..", "bot"), ("acme", "../globex"), ("..", "x"), ("a", "")):
        with pytest.raises(ValidationError):
            segment_key(tenant, agent, "2026-01-01", "seg_1")
