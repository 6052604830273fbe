"""MnemoraStore beyond the differential test: search by meaning with the server's model,
index paths, TTL, async, two customers apart, loud failures."""

from __future__ import annotations

import uuid

import pytest

from mnemora import MnemoraAuthError, MnemoraForbiddenError, MnemoraValidationError
from mnemora_integrations.langgraph import MnemoraStore
from tests.conftest import LiveServer


def test_search_by_meaning_out_of_the_box_and_by_index_paths(
    live: LiveServer, key: str, agent_id: str
) -> None:
    with MnemoraStore(agent_id=agent_id, api_key=key, base_url=live.url) as store:
        store.put(("user", "prefs"), "food", {"text": "Loves spicy Thai curries", "n": 1})
        store.put(("user", "prefs"), "sport", {"text": "Runs marathons every spring", "n": 2})
        store.put(("user", "prefs"), "secret", {"text": "Spicy ramen lover"}, index=False)
        hits = store.search(("user",), query="what cuisine does the user enjoy?", limit=3)
        assert [h.key for h in hits][:2] == ["food", "sport"]
        assert hits[0].score is not None
        assert hits[0].score > hits[1].score
        assert hits[-1].key == "secret"
        assert hits[-1].score is None
        filtered = store.search(("user",), query="cuisine", filter={"n": {"$gt": 1}})
        assert [h.key for h in filtered] == ["sport"]
    with MnemoraStore(
        agent_id=agent_id + "x", api_key=key, base_url=live.url, index={"fields": ["tags[*]"]}
    ) as tagged:
        tagged.put(("docs",), "a", {"title": "Quarterly report", "tags": ["finance", "revenue"]})
        tagged.put(("docs",), "b", {"title": "Team offsite", "tags": ["travel", "hotel"]})
        assert tagged.search(("docs",), query="money earned", limit=1)[0].key == "a"
        assert tagged.search(("docs",), query="booking a room", limit=1)[0].key == "b"


def test_ttl_is_supported(live: LiveServer, key: str, agent_id: str) -> None:
    store = MnemoraStore(
        agent_id=agent_id,
        api_key=key,
        base_url=live.url,
        ttl={"default_ttl": 5.0, "refresh_on_read": True},
    )
    assert store.supports_ttl
    store.put(("s",), "k", {"v": 1})
    store.put(("s",), "forever", {"v": 2}, ttl=None)
    assert store.get(("s",), "k").value == {"v": 1}
    raw = store._clients.sync.get_item(agent_id, ["s"], "k")
    assert raw is not None
    assert raw.expires_at is not None
    assert store._clients.sync.get_item(agent_id, ["s"], "forever").expires_at is None
    store.close()


async def test_async_methods_and_two_customers_apart(live: LiveServer, agent_id: str) -> None:
    alice = live.tenant(f"alice-{uuid.uuid4().hex[:6]}")
    bob = live.tenant(f"bob-{uuid.uuid4().hex[:6]}")
    async with MnemoraStore(agent_id=agent_id, api_key=alice, base_url=live.url) as a_store:
        await a_store.aput(("users", "alice"), "card", {"text": "Visa ending 4242"})
        async with MnemoraStore(agent_id=agent_id, api_key=bob, base_url=live.url) as b_store:
            assert await b_store.aget(("users", "alice"), "card") is None
            assert await b_store.asearch((), query="visa card") == []
            assert await b_store.alist_namespaces() == []
            await b_store.adelete(("users", "alice"), "card")
        assert (await a_store.aget(("users", "alice"), "card")).value == {
            "text": "Visa ending 4242"
        }
        assert await a_store.alist_namespaces() == [("users", "alice")]


def test_failures_are_loud(live: LiveServer, key: str, agent_id: str) -> None:
    wrong = MnemoraStore(agent_id=agent_id, api_key="mnm_" + "y" * 43, base_url=live.url)
    with pytest.raises(MnemoraAuthError):
        wrong.get(("a",), "k")
    store = MnemoraStore(agent_id=agent_id, api_key=key, base_url=live.url)
    with pytest.raises(MnemoraValidationError, match=r"\$regex"):
        store.search(("a",), filter={"x": {"$regex": "."}})
    with pytest.raises(ValueError, match="periods"):
        store.put(("a.b",), "k", {})
    reader_key = live.admin(
        "POST", f"/v1/admin/tenants/{_tenant(live, key)}/keys", json={"scope": "read_only"}
    ).json()["data"]["api_key"]
    reader = MnemoraStore(agent_id=agent_id, api_key=reader_key, base_url=live.url)
    assert reader.search(("a",)) == []  # reads work with a read-only key
    with pytest.raises(MnemoraForbiddenError):
        reader.put(("a",), "k", {"v": 1})
    with pytest.raises(ValueError, match="server's model"):
        MnemoraStore(agent_id=agent_id, api_key=key, index={"dims": 3, "embed": "openai:x"})


def _tenant(live: LiveServer, key: str) -> str:
    import httpx

    usage = httpx.get(live.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"})
    return str(usage.json()["data"]["tenant_id"])
