"""The SDK's automatic retries against a server whose DynamoDB applies a write but loses every
answer for a while: the first attempt gets 503, the SDK retries with the same
Idempotency-Key once DynamoDB answers again, and the episode exists once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemora import MnemoraSync
from tests.conftest import LiveServer, start_server
from tests.faults import FaultProxy


@pytest.fixture
def proxied_server(moto_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, FaultProxy]]:
    proxy = FaultProxy(moto_url)
    table = f"dynamodb://sdk-{uuid.uuid4().hex[:8]}?endpoint_url={proxy.url}"
    table += "&read_timeout=1&max_attempts=2"
    server = start_server(
        tmp_path / "data",
        workers=1,
        threads=4,
        MNEMORA_ACCOUNTS_URL=table,
        MNEMORA_STATE_URL=table,
        MNEMORA_EPISODES_URL=table,
    )
    yield server, proxy
    server.stop()
    proxy.close()


def test_sdk_retries_after_lost_answers_store_the_episode_once(
    proxied_server: tuple[LiveServer, FaultProxy],
) -> None:
    server, proxy = proxied_server
    key = server.tenant("acme")
    proxy.hang(count=1000, after_forwarding=True, operation="TransactWriteItems")

    def recover() -> None:  # DynamoDB answers again once the first attempt has failed
        deadline = time.monotonic() + 30
        while proxy.faulted < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        proxy.release()

    threading.Thread(target=recover, daemon=True).start()
    with MnemoraSync(api_key=key, base_url=server.url, max_retries=3) as client:
        episode = client.store_episode("bot", "s1", "action", "refund issued")
        replay = client.get_session_episodes("bot", "s1")
    assert proxy.faulted >= 2, "the first attempt lost its answers"
    assert [e.id for e in replay] == [episode.id], "stored once, under the id the SDK got"
