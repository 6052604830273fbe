"""Runs in a separate environment with the published ``mnemora==0.1.2`` SDK installed.

Usage: python sdk012_state_script.py BASE_URL API_KEY. Prints one JSON line of results;
exits non-zero on the first broken promise.
"""

import asyncio
import json
import sys

import mnemora
from mnemora import MnemoraClient, MnemoraConflictError, MnemoraNotFoundError, MnemoraSync

assert mnemora.__version__ == "0.1.2", mnemora.__version__
base_url, api_key = sys.argv[1], sys.argv[2]
results = {}

with MnemoraSync(api_key=api_key, base_url=base_url) as client:
    stored = client.store_state("compat-agent", {"step": 1}, session_id="s1", ttl_hours=1)
    assert stored.version == 1, stored
    assert stored.expires_at, stored
    default = client.store_state("compat-agent", {"d": True})
    assert default.session_id == "default"
    got = client.get_state("compat-agent", session_id="s1")
    assert got.data == {"step": 1}
    assert client.get_state("compat-agent").data == {"d": True}
    updated = client.update_state("compat-agent", {"step": 2}, version=1, session_id="s1")
    assert updated.version == 2
    try:
        client.update_state("compat-agent", {"step": 3}, version=1, session_id="s1")
        raise AssertionError("stale update accepted")
    except MnemoraConflictError:
        results["conflict"] = True
    sessions = client.list_sessions("compat-agent")
    assert sorted(sessions) == ["default", "s1"], sessions
    assert client.delete_state("compat-agent", "s1") is None
    try:
        client.get_state("compat-agent", session_id="s1")
        raise AssertionError("deleted state still readable")
    except MnemoraNotFoundError:
        results["deleted"] = True
    usage = client.get_usage()
    assert usage.api_calls_month > 0
    assert usage.billing_period
    results["usage_calls"] = usage.api_calls_month
    purged = client.purge_agent("compat-agent")
    assert purged.agent_id == "compat-agent", purged
    assert purged.deleted["state"] == 1, purged
    results["purged"] = purged.deleted["state"]


async def async_part() -> None:
    async with MnemoraClient(api_key=api_key, base_url=base_url) as client:
        state = await client.store_state("compat-async", {"a": 1})
        assert (await client.get_state("compat-async")).version == state.version
        await client.update_state("compat-async", {"a": 2}, version=state.version)
        assert await client.list_sessions("compat-async") == ["default"]


asyncio.run(async_part())
results["async"] = True
print(json.dumps(results))
