"""SDK errors say where and what to do."""

from __future__ import annotations

import socket

import pytest

from mnemora import MnemoraClient, MnemoraConnectionError, MnemoraSync


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_connection_error_names_the_url_and_the_setting() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    client = MnemoraSync(api_key="mnm_" + "x" * 43, base_url=url, max_retries=1)
    with client, pytest.raises(MnemoraConnectionError) as raised:
        client.get_state("bot", "s")
    message = raised.value.message
    assert f"GET {url}/v1/state/bot" in message
    assert "(2 attempts)" in message
    assert "MNEMORA_API_URL" in message
    assert "session_id" not in message, "the query string stays out of messages"


async def test_the_async_client_says_the_same() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    client = MnemoraClient(api_key="mnm_" + "x" * 43, base_url=url, max_retries=0)
    with pytest.raises(
        MnemoraConnectionError, match=r"at POST .*/v1/memory/semantic \(1 attempt\)"
    ):
        await client.store_memory("bot", "hello")
    await client.close()
