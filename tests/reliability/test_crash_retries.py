"""A server process killed after an episode is stored and before it answers: the client's
retry with the same Idempotency-Key (served by a new process) stores nothing twice, on both
configurations."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.backends import BACKENDS, Backend
from tests.conftest import start_server


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_retry_after_a_crash_between_write_and_answer_stores_once(backend: Backend) -> None:
    env = {**backend.env(), "MNEMORA_IDEMPOTENCY_LOCK_SECONDS": "1"}
    data_dir = backend.settings.data_dir
    doomed = start_server(
        data_dir, workers=1, threads=2, MNEMORA_FAILPOINTS="episodes.after_append", **env
    )
    key = doomed.tenant("acme")
    episode = {"agent_id": "bot", "session_id": "s", "type": "action", "content": "paid"}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "pay-1"}
    with pytest.raises(httpx.TransportError):  # the process dies before it answers
        httpx.post(doomed.url + "/v1/memory/episodic", json=episode, headers=headers, timeout=30)
    crashed_at = time.monotonic()
    doomed.stop()

    server = start_server(data_dir, workers=1, threads=2, **env)
    try:
        url = server.url + "/v1/memory/episodic"
        reads = {"Authorization": f"Bearer {key}"}
        stored = httpx.get(url + "/bot", headers=reads).json()["data"]["episodes"]
        assert [e["content"] for e in stored] == ["paid"], "it was stored before the crash"
        time.sleep(max(0.0, 1.2 - (time.monotonic() - crashed_at)))  # its claim lapses
        retried = httpx.post(url, json=episode, headers=headers)
        assert retried.status_code == 201, retried.text
        assert retried.json()["data"]["id"] == stored[0]["id"]
        after = httpx.get(url + "/bot", headers=reads).json()["data"]["episodes"]
        assert [e["id"] for e in after] == [stored[0]["id"]], "exactly once"
        usage = httpx.get(server.url + "/v1/usage", headers=reads).json()["data"]
        assert usage["episodes_stored"] == 1
    finally:
        server.stop()
