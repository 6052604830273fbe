"""Runs in a separate environment with the published ``mnemora==0.1.2`` SDK installed.

Usage: python sdk012_script.py BASE_URL API_KEY. Calls all 16 methods of the published
``MnemoraSync`` (and the state methods of ``MnemoraClient``) and prints one JSON line of
results; exits non-zero on the first broken promise.
"""

import asyncio
import json
import sys

import mnemora
from mnemora import MnemoraClient, MnemoraConflictError, MnemoraNotFoundError, MnemoraSync

assert mnemora.__version__ == "0.1.2", mnemora.__version__
base_url, api_key = sys.argv[1], sys.argv[2]
results = {}
called = set()

with MnemoraSync(api_key=api_key, base_url=base_url) as client:
    # working memory
    stored = client.store_state("compat-agent", {"step": 1}, session_id="s1", ttl_hours=1)
    called.add("store_state")
    assert stored.version == 1, stored
    assert stored.expires_at, stored
    default = client.store_state("compat-agent", {"d": True})
    assert default.session_id == "default"
    assert client.get_state("compat-agent", session_id="s1").data == {"step": 1}
    assert client.get_state("compat-agent").data == {"d": True}
    called.add("get_state")
    updated = client.update_state("compat-agent", {"step": 2}, version=1, session_id="s1")
    called.add("update_state")
    assert updated.version == 2
    try:
        client.update_state("compat-agent", {"step": 3}, version=1, session_id="s1")
        raise AssertionError("stale update accepted")
    except MnemoraConflictError:
        results["conflict"] = True
    assert sorted(client.list_sessions("compat-agent")) == ["default", "s1"]
    called.add("list_sessions")
    assert client.delete_state("compat-agent", "s1") is None
    called.add("delete_state")
    try:
        client.get_state("compat-agent", session_id="s1")
        raise AssertionError("deleted state still readable")
    except MnemoraNotFoundError:
        results["deleted"] = True

    # semantic memory
    notes = [
        "Password resets are done from Settings > Security",
        "Our office is closed on public holidays",
        "Refunds take 5 days to reach the card",
    ]
    memories = [
        client.store_memory("compat-agent", n, metadata={"i": i}) for i, n in enumerate(notes)
    ]
    called.add("store_memory")
    again = client.store_memory("compat-agent", notes[2], metadata={"again": True})
    assert again.deduplicated is True, again
    assert again.id == memories[2].id
    found = client.search_memory("How do I reset my password?", agent_id="compat-agent", top_k=3)
    called.add("search_memory")
    assert found[0].content == notes[0], found
    assert (found[0].similarity_score or 0) > 0.5
    filtered = client.search_memory("office", metadata_filter={"i": 1})
    assert [m.id for m in filtered] == [memories[1].id], filtered
    assert client.get_memory(memories[0].id).metadata == {"i": 0}
    called.add("get_memory")
    assert client.delete_memory(memories[1].id) is None
    called.add("delete_memory")
    try:
        client.get_memory(memories[1].id)
        raise AssertionError("deleted memory still readable")
    except MnemoraNotFoundError:
        results["memory_deleted"] = True

    # episodic memory
    for i in range(3):
        episode = client.store_episode(
            "compat-agent",
            "ticket-42",
            "conversation",
            {"role": "user", "message": f"parcel lost {i}"},
            metadata={"i": i},
        )
    called.add("store_episode")
    assert episode.session_id == "ticket-42"
    listed = client.get_episodes("compat-agent", session_id="ticket-42", limit=2)
    called.add("get_episodes")
    assert len(listed) == 2, listed
    assert all(e.type == "conversation" for e in listed)
    replay = client.get_session_episodes("compat-agent", "ticket-42")
    called.add("get_session_episodes")
    assert [e.content["message"] for e in replay] == [f"parcel lost {i}" for i in range(3)]

    # across memory types
    everything = client.search_all("parcel refunds", agent_id="compat-agent")
    called.add("search_all")
    assert {r.memory_type for r in everything} == {"semantic", "episodic"}, everything
    view = client.get_all_memory("compat-agent")
    called.add("get_all_memory")
    assert {"state", "semantic", "episodic"} <= set(view), view.keys()
    usage = client.get_usage()
    called.add("get_usage")
    assert usage.api_calls_month > 0
    assert usage.billing_period
    results["usage_calls"] = usage.api_calls_month
    purged = client.purge_agent("compat-agent")
    called.add("purge_agent")
    assert purged.agent_id == "compat-agent", purged
    assert purged.deleted["state"] == 1, purged
    assert purged.deleted["semantic"] == 3, purged
    assert purged.deleted["episodic"] == 3, purged
    results["purged"] = purged.deleted


async def async_part() -> None:
    async with MnemoraClient(api_key=api_key, base_url=base_url) as client:
        state = await client.store_state("compat-async", {"a": 1})
        assert (await client.get_state("compat-async")).version == state.version
        await client.update_state("compat-async", {"a": 2}, version=state.version)
        assert await client.list_sessions("compat-async") == ["default"]
        await client.store_memory("compat-async", "async memories work too")
        assert (await client.search_memory("async memories"))[0].agent_id == "compat-async"


asyncio.run(async_part())
results["async"] = True
public = {n for n in dir(MnemoraSync) if not n.startswith("_") and n != "close"}
assert called == public, sorted(public - called)
results["methods"] = len(called)
print(json.dumps(results))
