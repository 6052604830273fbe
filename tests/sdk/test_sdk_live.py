"""The SDK against a real server on a socket: sync, async, errors, retries, idempotency."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from mnemora import (
    MnemoraAuthError,
    MnemoraClient,
    MnemoraConfigError,
    MnemoraConflictError,
    MnemoraConnectionError,
    MnemoraForbiddenError,
    MnemoraNotFoundError,
    MnemoraPayloadTooLargeError,
    MnemoraRateLimitError,
    MnemoraSync,
    MnemoraValidationError,
    PurgeResponse,
)
from tests.conftest import LiveServer, free_port


@pytest.fixture(scope="module")
def key(live_server: LiveServer) -> str:
    return live_server.tenant("sdk-tenant")


def test_sync_client_state_round_trip(live_server: LiveServer, key: str) -> None:
    with MnemoraSync(api_key=key, base_url=live_server.url) as client:
        stored = client.store_state("bot", {"plan": ["a"]}, session_id="s1", ttl_hours=2)
        assert stored.version == 1
        assert stored.expires_at is not None
        assert client.get_state("bot", session_id="s1").data == {"plan": ["a"]}
        updated = client.update_state("bot", {"plan": ["b"]}, version=1, session_id="s1")
        assert updated.version == 2
        with pytest.raises(MnemoraConflictError) as conflict:
            client.update_state("bot", {"plan": ["c"]}, version=1, session_id="s1")
        assert conflict.value.code == "VERSION_CONFLICT"
        assert conflict.value.details["current_version"] == 2
        patched = client.patch_state("bot", {"done": True}, session_id="s1")
        assert patched.data == {"plan": ["b"], "done": True}
        assert "s1" in client.list_sessions("bot")
        client.delete_state("bot", "s1")
        with pytest.raises(MnemoraNotFoundError):
            client.get_state("bot", session_id="s1")
        purged = client.purge_agent("bot")
        assert isinstance(purged, PurgeResponse)
        assert (
            repr(purged)
            == "PurgeResponse(state_deleted=0, semantic_deleted=0, episodes_deleted=0, "
            "procedural_deleted=0, checkpoints_deleted=0, items_deleted=0)"
        )
        assert client.get_usage().api_calls_today > 0
        week = client.get_usage_daily(7)
        assert len(week) == 7
        assert week[-1].calls > 0
        assert client.health().status == "ok"


def test_list_sessions_follows_every_cursor(live_server: LiveServer, key: str) -> None:
    with MnemoraSync(api_key=key, base_url=live_server.url) as client:
        for i in range(5):
            client.store_state("pager", {}, session_id=f"s{i}")
        page = client.list_sessions_page("pager", limit=2)
        assert page.sessions == ["s0", "s1"]
        assert page.next_cursor
        assert client.list_sessions("pager") == [f"s{i}" for i in range(5)]


def test_async_client_has_the_same_methods(live_server: LiveServer, key: str) -> None:
    async def scenario() -> list[str]:
        async with MnemoraClient(api_key=key, base_url=live_server.url) as client:
            await client.store_state("async-bot", {"n": 1})
            state = await client.get_state("async-bot")
            await client.update_state("async-bot", {"n": 2}, version=state.version)
            results = await asyncio.gather(
                *(client.store_state("async-bot", {"i": i}, session_id=f"p{i}") for i in range(10))
            )
            assert all(r.version == 1 for r in results)
            return await client.list_sessions("async-bot")

    assert len(asyncio.run(scenario())) == 11


def test_both_clients_expose_every_api_method_with_one_signature() -> None:
    import inspect

    from mnemora._api import MemoryApi, api_method

    names = [
        n
        for klass in MemoryApi.__mro__
        for n, v in vars(klass).items()
        if isinstance(v, api_method)
    ]
    assert {
        "store_state",
        "get_state",
        "update_state",
        "delete_state",
        "list_sessions",
        "purge_agent",
        "get_usage",
    } <= set(names)
    sync_client = MnemoraSync(api_key="mnm_x", base_url="http://127.0.0.1:9")
    async_client = MnemoraClient(api_key="mnm_x", base_url="http://127.0.0.1:9")
    for name in names:
        sync_method = getattr(sync_client, name)
        async_method = getattr(async_client, name)
        assert inspect.iscoroutinefunction(async_method), name
        assert not inspect.iscoroutinefunction(sync_method), name
        assert inspect.signature(sync_method) == inspect.signature(async_method), name
        assert "self" not in inspect.signature(sync_method).parameters
        assert sync_method.__doc__
        assert sync_method.__doc__ == async_method.__doc__
    sync_client.close()
    asyncio.run(async_client.close())


def test_sync_client_works_inside_a_running_event_loop(live_server: LiveServer, key: str) -> None:
    async def inside_loop() -> int:
        with MnemoraSync(api_key=key, base_url=live_server.url) as client:
            return client.store_state("loop-bot", {"x": 1}).version

    assert asyncio.run(inside_loop()) >= 1


def test_typed_errors(live_server: LiveServer, key: str) -> None:
    with MnemoraSync(api_key="mnm_" + "x" * 43, base_url=live_server.url) as bad:
        with pytest.raises(MnemoraAuthError) as auth:
            bad.get_state("bot")
        assert auth.value.status_code == 401
    with MnemoraSync(api_key=key, base_url=live_server.url) as client:
        with pytest.raises(MnemoraValidationError):
            client.store_state("bad id", {})
        with pytest.raises(MnemoraPayloadTooLargeError):
            client.store_state("bot", {"x": "y" * 500_000})
    reader_key = live_server.admin(
        "POST", "/v1/admin/tenants/sdk-tenant/keys", json={"scope": "read_only"}
    ).json()["data"]["api_key"]
    with (
        MnemoraSync(api_key=reader_key, base_url=live_server.url) as reader,
        pytest.raises(MnemoraForbiddenError),
    ):
        reader.store_state("bot", {})


def test_ids_cannot_escape_their_path_segment(live_server: LiveServer, key: str) -> None:
    with MnemoraSync(api_key=key, base_url=live_server.url) as client:
        client.store_state("victim", {"v": 1})
        with pytest.raises((MnemoraValidationError, MnemoraNotFoundError)):
            client.delete_state("victim/../victim", "default")
        assert client.get_state("victim").data == {"v": 1}


def test_no_api_key_is_a_config_error_and_constructors_do_no_io(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MNEMORA_API_KEY", raising=False)
    with pytest.raises(MnemoraConfigError):
        MnemoraSync()
    monkeypatch.setenv("MNEMORA_API_KEY", "mnm_fromenv")
    monkeypatch.setenv("MNEMORA_API_URL", f"http://127.0.0.1:{free_port()}/")
    client = MnemoraSync(max_retries=0)  # nothing listens there: the constructor must not care
    assert client.base_url.endswith(str(client.base_url.rsplit(":", 1)[1]))
    with pytest.raises(MnemoraConnectionError):
        client.get_state("bot")
    client.close()


def test_rate_limit_retries_honour_retry_after(live_server: LiveServer) -> None:
    key = live_server.tenant("bursty", tier="free", burst_per_second=2)
    with MnemoraSync(api_key=key, base_url=live_server.url, max_retries=3) as client:
        started = time.monotonic()
        versions = [client.store_state("b", {"i": i}).version for i in range(6)]
        elapsed = time.monotonic() - started
    assert versions == [1, 2, 3, 4, 5, 6], "every write landed exactly once despite 429s"
    assert elapsed >= 1.0, "the client waited for Retry-After instead of hammering"
    with MnemoraSync(api_key=key, base_url=live_server.url, max_retries=0) as impatient:
        errors = []
        for _ in range(10):
            try:
                impatient.get_usage()
            except MnemoraRateLimitError as exc:
                errors.append(exc)
        assert errors, "a burst of 10 calls over a limit of 2 per second was refused"
        assert errors[0].retry_after == 1


def test_connection_errors_are_retried_until_the_server_is_back(
    tmp_path, live_server: LiveServer, key: str
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import start_server

    port = free_port()
    box: dict[str, object] = {}

    def late_start() -> None:
        time.sleep(1.0)
        box["server"] = start_server(tmp_path / "late", port=port)

    thread = threading.Thread(target=late_start)
    thread.start()
    try:
        with MnemoraSync(
            api_key="mnm_" + "z" * 43, base_url=f"http://127.0.0.1:{port}", max_retries=8
        ) as client:
            health = client.health()
        assert health.status == "ok"
    finally:
        thread.join()
        server = box.get("server")
        if isinstance(server, LiveServer):
            server.stop()
