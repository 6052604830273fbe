"""Episodic memory through the real app: ordering, filters, replay, search, tiers, purge."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from mnemora_server.embeddings.base import Embedder
from mnemora_server.services.registry import Services
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from tests.backends import Backend
from tests.conftest import Api, Clock

DAY = 86400.0


@pytest.fixture
def key(api: Api) -> str:
    return api.tenant("acme", limits={"burst_per_second": 100_000})


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def add(
    api: Api,
    key: str,
    content: Any,
    *,
    agent: str = "bot",
    session: str = "s1",
    kind: str = "conversation",
    at: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "agent_id": agent,
        "session_id": session,
        "type": kind,
        "content": content,
        **extra,
    }
    if at is not None:
        body["timestamp"] = iso(at)
    r = api.call(key, "POST", "/v1/memory/episodic", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json["data"])


def listing(api: Api, key: str, agent: str = "bot", **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {k: str(v) for k, v in params.items()} | ({"cursor": cursor} if cursor else {})
        page = api.call(key, "GET", f"/v1/memory/episodic/{agent}", params=query).json["data"]
        items += page["episodes"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def replay(api: Api, key: str, session: str, agent: str = "bot") -> list[dict[str, Any]]:
    r = api.call(key, "GET", f"/v1/memory/episodic/{agent}/sessions/{session}")
    assert r.status_code == 200
    return list(r.json["data"]["episodes"])


def test_server_assigns_id_and_ingest_time_and_lists_newest_first(
    api: Api, key: str, clock: Clock
) -> None:
    first = add(api, key, "hello")
    clock.advance(1)
    second = add(api, key, {"role": "user", "message": "refund please"}, metadata={"k": 1})
    assert first["id"] != second["id"]
    assert second["ingested_at"] == second["timestamp"]
    assert [e["id"] for e in listing(api, key)] == [second["id"], first["id"]]
    assert listing(api, key)[0]["content"] == {"role": "user", "message": "refund please"}
    assert listing(api, key)[0]["metadata"] == {"k": 1}


def test_client_event_time_for_imports(api: Api, key: str, clock: Clock) -> None:
    old = add(api, key, "imported", at=clock.now - 10 * DAY)
    assert old["timestamp"].startswith(iso(clock.now - 10 * DAY)[:19])
    assert old["ingested_at"] != old["timestamp"]
    add(api, key, "live")
    assert [e["content"] for e in listing(api, key)] == ["live", "imported"]


def test_filters_apply_before_the_limit_and_cursors_page(api: Api, key: str, clock: Clock) -> None:
    start = clock.now - 100
    for i in range(30):
        add(
            api,
            key,
            f"event {i}",
            kind="action" if i % 3 == 0 else "observation",
            session="s1" if i % 2 == 0 else "s2",
            at=start + i,
        )
    actions = listing(api, key, type="action", limit=4)
    assert [e["content"] for e in actions] == [f"event {i}" for i in range(27, -1, -3)]
    windowed = listing(api, key, **{"from": iso(start + 10), "to": iso(start + 14)}, limit=2)
    assert [e["content"] for e in windowed] == [f"event {i}" for i in (14, 13, 12, 11, 10)]
    s2 = listing(api, key, session_id="s2", type="observation", limit=3)
    assert all(e["session_id"] == "s2" and e["type"] == "observation" for e in s2)
    assert len(s2) == len([i for i in range(30) if i % 2 and i % 3])


def test_session_replay_is_chronological_and_scoped_by_agent(
    api: Api, key: str, clock: Clock
) -> None:
    for i in range(5):
        add(api, key, f"bot turn {i}", at=clock.now + i)
        add(api, key, f"other agent {i}", agent="other", at=clock.now + i)
    turns = replay(api, key, "s1")
    assert [e["content"] for e in turns] == [f"bot turn {i}" for i in range(5)]
    assert replay(api, key, "unknown") == []


def test_keyword_search_over_content(api: Api, key: str) -> None:
    add(api, key, {"role": "user", "message": "My parcel never arrived"})
    add(api, key, "Customer asked about invoices")
    add(api, key, "Parcel tracking number sent", agent="other")
    r = api.call(key, "POST", "/v1/memory/episodic/search", json={"query": "parcel"})
    assert {e["agent_id"] for e in r.json["data"]["results"]} == {"bot", "other"}
    scoped = api.call(
        key, "POST", "/v1/memory/episodic/search", json={"query": "parcel", "agent_id": "bot"}
    ).json["data"]["results"]
    assert [e["content"]["message"] for e in scoped] == ["My parcel never arrived"]


@pytest.mark.parametrize(
    "body",
    [
        {"type": "dream"},
        {"session_id": "a/b"},
        {"agent_id": "search"},
        {"timestamp": "yesterday"},
        {"content": "x" * 300_000},
    ],
)
def test_bad_episodes_are_rejected(api: Api, key: str, body: dict[str, Any]) -> None:
    base = {"agent_id": "bot", "session_id": "s", "type": "action", "content": "x"}
    r = api.call(key, "POST", "/v1/memory/episodic", json=base | body)
    assert r.status_code in (400, 413)
    assert listing(api, key) == []


def test_summarize_without_an_llm_is_501(api: Api, key: str) -> None:
    r = api.call(key, "POST", "/v1/memory/episodic/bot/summarize", json={})
    assert r.status_code == 501
    assert r.json["error"]["code"] == "NOT_CONFIGURED"


# -- tiers ------------------------------------------------------------------------------------


@pytest.fixture
def services(settings: Settings, stores: Stores, embedder: Embedder, clock: Clock) -> Services:
    return Services.build(settings, stores, embedder, clock)


def test_tiering_moves_old_episodes_and_reads_span_both_tiers(
    api: Api, key: str, clock: Clock, services: Services, stores: Stores, backend: Backend
) -> None:
    now = clock.now
    old = [
        add(
            api,
            key,
            f"old parcel event {i}",
            at=now - 30 * DAY + i,
            session="s1" if i % 2 == 0 else "s2",
        )
        for i in range(25)
    ]
    recent = [add(api, key, f"recent parcel event {i}", at=now - 60 + i) for i in range(5)]
    report = services.episodic.tier()
    assert report.episodes == 25
    assert report.segments == 1
    assert hot_ids(stores, "bot") == {e["id"] for e in recent}
    (segment,) = backend.cold_objects()
    assert segment.startswith("acme/bot/")
    assert segment.endswith(".ndjson.gz")
    everything = listing(api, key, limit=7)
    expected = [e["id"] for e in reversed(old + recent)]
    assert [e["id"] for e in everything] == expected
    assert [e["content"] for e in replay(api, key, "s2")] == [
        f"old parcel event {i}" for i in range(1, 25, 2)
    ]
    found = api.call(
        key, "POST", "/v1/memory/episodic/search", json={"query": "old parcel event", "limit": 50}
    ).json["data"]["results"]
    assert {e["id"] for e in found} >= {e["id"] for e in old}
    assert services.episodic.tier().episodes == 0, "a second run has nothing to move"
    usage = api.call(key, "GET", "/v1/usage").json["data"]
    assert usage["episodes_stored"] == 30


def hot_ids(stores: Stores, agent: str) -> set[str]:
    """Ids of the agent's episodes in the hot tier, read from the hot store itself."""
    return {ep.id for ep in stores.episodes.old_hot("acme", agent, float("inf"), 10_000)}


def mentions_bot(text: str) -> bool:
    """Whether a stored row or item belongs to agent "bot" of tenant "acme"."""
    return "acme#bot" in text or ("'acme'" in text and "'bot'" in text)


def _tier_in_subprocess(backend: Backend, failpoint: str | None) -> int:
    env = {**os.environ, **backend.env()}
    if failpoint:
        env["MNEMORA_FAILPOINTS"] = failpoint
    done = subprocess.run(
        [sys.executable, "-m", "mnemora_server.cli", "tier-episodes"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, 70):
        print(done.stdout.decode(), done.stderr.decode())
    return done.returncode


@pytest.mark.parametrize("failpoint", ["tier.after_segment_write", "tier.after_commit"])
def test_a_crash_during_tiering_loses_and_duplicates_nothing(
    api: Api, key: str, stores: Stores, backend: Backend, failpoint: str
) -> None:
    now = datetime.now(UTC).timestamp()
    ids = [add(api, key, f"event {i}", at=now - 30 * DAY + i)["id"] for i in range(40)]
    assert _tier_in_subprocess(backend, failpoint) == 70, "the process died at the failpoint"
    after_crash = [e["id"] for e in listing(api, key, limit=13)]
    assert after_crash == list(reversed(ids)), "nothing lost, nothing twice"
    assert _tier_in_subprocess(backend, None) == 0
    after_retry = [e["id"] for e in listing(api, key, limit=13)]
    assert after_retry == list(reversed(ids))
    assert hot_ids(stores, "bot") == set()
    assert sum(s.count for s in stores.episodes.segments("acme", "bot")) == 40
    assert len(backend.cold_objects()) == 1, "the orphan was swept"


def test_purge_removes_hot_cold_and_search_rows(
    api: Api, key: str, clock: Clock, services: Services, backend: Backend
) -> None:
    for i in range(10):
        add(api, key, f"secret {i}", at=clock.now - 30 * DAY + i)
        add(api, key, f"kept {i}", agent="other", at=clock.now - 30 * DAY + i)
    add(api, key, "secret hot one")
    services.episodic.tier()
    assert any("secret" in text for text in backend.stored())
    purged = api.call(key, "DELETE", "/v1/memory/bot").json["data"]
    assert purged["episodes_deleted"] == 11
    assert purged["deleted"]["cold_objects"] == 1
    assert [k for k in backend.cold_objects() if k.startswith("acme/bot/")] == []
    left = [text for text in backend.stored() if "secret" in text or mentions_bot(text)]
    assert left == [], "no episode, term entry, segment record or object of the agent remains"
    assert len(listing(api, key, agent="other")) == 10
    again = api.call(key, "DELETE", "/v1/memory/bot").json["data"]
    assert again["episodes_deleted"] == 0


def test_deleting_a_session_removes_it_from_both_tiers_and_keeps_the_others(
    api: Api, key: str, clock: Clock, settings: Settings, stores: Stores, embedder: Embedder
) -> None:
    old = clock.now - 10 * DAY
    for i in range(3):
        add(api, key, f"old chat about invoices {i}", session="gone", at=old + i)
        add(api, key, f"old chat about refunds {i}", session="kept", at=old + i)
    add(api, key, "new chat about invoices", session="gone")
    add(api, key, "new chat about refunds", session="kept")
    services = Services.build(settings, stores, embedder, clock)
    assert services.episodic.tier().episodes == 6
    before = api.call(key, "GET", "/v1/usage").json["data"]["episodes_stored"]
    r = api.call(key, "DELETE", "/v1/memory/episodic/bot/sessions/gone")
    assert r.status_code == 200, r.text
    assert r.json["data"]["deleted"] == 4
    assert (
        api.call(key, "GET", "/v1/memory/episodic/bot/sessions/gone").json["data"]["episodes"] == []
    )
    kept = api.call(key, "GET", "/v1/memory/episodic/bot/sessions/kept").json["data"]["episodes"]
    assert [e["content"] for e in kept][-1] == "new chat about refunds"
    assert len(kept) == 4, "the rewritten segment keeps the other session's episodes"
    found = api.call(key, "POST", "/v1/memory/episodic/search", json={"query": "invoices"})
    assert found.json["data"]["results"] == []
    assert (
        len(
            api.call(key, "POST", "/v1/memory/episodic/search", json={"query": "refunds"}).json[
                "data"
            ]["results"]
        )
        == 4
    )
    after = api.call(key, "GET", "/v1/usage").json["data"]["episodes_stored"]
    assert after == before - 4
    again = api.call(key, "DELETE", "/v1/memory/episodic/bot/sessions/gone")
    assert again.json["data"]["deleted"] == 0
    other = api.tenant("other")
    add(api, other, "their chat", session="kept")
    assert (
        api.call(other, "DELETE", "/v1/memory/episodic/bot/sessions/kept").json["data"]["deleted"]
        == 1
    )
    assert (
        len(api.call(key, "GET", "/v1/memory/episodic/bot/sessions/kept").json["data"]["episodes"])
        == 4
    )


def test_a_session_append_keeps_the_order_of_its_episodes(api: Api, key: str) -> None:
    messages = [
        {"type": "conversation", "content": {"role": r, "text": f"m{i}"}}
        for i, r in enumerate(["user", "ai"] * 30)
    ]
    r = api.call(
        key, "POST", "/v1/memory/episodic/bot/sessions/chat-1", json={"episodes": messages}
    )
    assert r.status_code == 201, r.text
    assert r.json["data"]["count"] == 60
    replayed = api.call(key, "GET", "/v1/memory/episodic/bot/sessions/chat-1").json["data"][
        "episodes"
    ]
    assert [e["content"]["text"] for e in replayed] == [f"m{i}" for i in range(60)]
    bad = api.call(
        key,
        "POST",
        "/v1/memory/episodic/bot/sessions/chat-1",
        json={"episodes": [{"type": "nonsense", "content": "x"}]},
    )
    assert bad.status_code == 400
    assert (
        len(
            api.call(key, "GET", "/v1/memory/episodic/bot/sessions/chat-1").json["data"]["episodes"]
        )
        == 60
    )


def test_a_session_append_refuses_a_bad_timestamp(api: Api, key: str) -> None:
    path = "/v1/memory/episodic/bot/sessions/s1"
    for stamp in ("", "yesterday", "2026-13-01T00:00:00Z"):
        body = {"episodes": [{"type": "conversation", "content": "hi", "timestamp": stamp}]}
        r = api.call(key, "POST", path, json=body)
        assert r.status_code == 400, (stamp, r.text)
        assert r.json["error"]["code"] == "VALIDATION_ERROR"
    assert api.call(key, "GET", path).json["data"]["episodes"] == []
