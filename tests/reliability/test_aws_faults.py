"""DynamoDB and S3 that throttle, fail or hang mid-request (moto behind a fault-injecting proxy).

Throttling within botocore's retries is invisible to clients; beyond them, and when a service
hangs, the API answers 503 within the configured timeouts; nothing acknowledged is lost and
nothing half-written is visible; a write whose answer was lost lands once when retried with
its Idempotency-Key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from mnemora_server.app import create_app
from mnemora_server.embeddings.base import Embedder
from mnemora_server.errors import UnavailableError
from mnemora_server.services.registry import Services
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from mnemora_server.stores.registry import open_stores
from tests.conftest import ADMIN_TOKEN, Api, Clock
from tests.faults import FaultProxy, dynamodb_throttling, internal_error, s3_slow_down

DAY = 86_400.0
#: One attempt waits 1 s for an answer; two attempts per call (plus botocore's back-off).
TIMEOUTS = "read_timeout=1&max_attempts=2"


@pytest.fixture
def dynamodb(moto_url: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_url)
    yield proxy
    proxy.close()


@pytest.fixture
def s3(moto_url: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_url)
    yield proxy
    proxy.close()


@pytest.fixture
def faulty(
    dynamodb: FaultProxy, s3: FaultProxy, tmp_path: Path, embedder: Embedder, clock: Clock
) -> Iterator[tuple[Api, Services]]:
    """The API with DynamoDB (accounts, state, hot episodes) and S3 (cold tier) behind proxies."""
    suffix = uuid.uuid4().hex[:10]
    table = f"dynamodb://faults-{suffix}?endpoint_url={dynamodb.url}&{TIMEOUTS}"
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        accounts_url=table,
        state_url=table,
        episodes_url=table,
        cold_url=f"s3://faults-{suffix}/cold?endpoint_url={s3.url}&{TIMEOUTS}",
    )
    stores: Stores = open_stores(settings, dimension=embedder.dimension)
    stores.setup()
    app = create_app(settings, stores, clock=clock, embedder=embedder)
    yield Api(falcon.testing.TestClient(app)), Services.build(settings, stores, embedder, clock)
    stores.close()


def write_state(api: Api, key: str, agent: str, data: dict[str, Any], **headers: str) -> Any:
    return api.call(
        key, "POST", "/v1/state", json={"agent_id": agent, "data": data}, headers=headers
    )


def test_dynamodb_throttling_within_the_retries_is_invisible(
    faulty: tuple[Api, Services], dynamodb: FaultProxy
) -> None:
    api, _ = faulty
    key = api.tenant("acme")
    dynamodb.fail(1, **dynamodb_throttling())
    written = write_state(api, key, "bot", {"n": 1})
    assert written.status_code == 201, written.text
    assert dynamodb.faulted == 1
    assert api.call(key, "GET", "/v1/state/bot").json["data"]["data"] == {"n": 1}


def test_dynamodb_failing_beyond_the_retries_is_503_and_writes_nothing(
    faulty: tuple[Api, Services], dynamodb: FaultProxy
) -> None:
    api, _ = faulty
    key = api.tenant("acme")
    for fault in (dynamodb_throttling(), internal_error()):
        dynamodb.fail(1000, **fault)
        answer = write_state(api, key, "bot", {"n": 1})
        assert answer.status_code == 503
        assert answer.json["error"]["code"] == "UNAVAILABLE"
        dynamodb.release()
        assert api.call(key, "GET", "/v1/state/bot").status_code == 404


def test_a_hanging_dynamodb_is_503_within_the_timeouts(
    faulty: tuple[Api, Services], dynamodb: FaultProxy
) -> None:
    api, _ = faulty
    key = api.tenant("acme")
    dynamodb.hang()
    started = time.monotonic()
    answer = write_state(api, key, "bot", {"n": 1})
    waited = time.monotonic() - started
    assert answer.status_code == 503
    assert waited < 10, f"a hanging store held the request {waited:.1f} s"
    dynamodb.release()
    assert api.call(key, "GET", "/v1/state/bot").status_code == 404, "nothing was written"
    assert write_state(api, key, "bot", {"n": 2}).status_code == 201, "it recovers"


def test_a_lost_answer_within_the_retries_is_no_conflict_for_working_memory(
    faulty: tuple[Api, Services], dynamodb: FaultProxy
) -> None:
    """A conditional write lands, its answer is lost, and botocore's retry fails the condition
    against the write itself: the store recognises its own write (create and versioned PUT)."""
    api, _ = faulty
    key = api.tenant("acme")
    dynamodb.hang(count=1, after_forwarding=True, operation="TransactWriteItems")
    created = write_state(api, key, "bot", {"n": 1})
    assert (created.status_code, created.json["data"]["version"]) == (201, 1), created.text
    dynamodb.hang(count=1, after_forwarding=True, operation="PutItem")
    updated = api.call(key, "PUT", "/v1/state/bot", json={"data": {"n": 2}, "version": 1})
    assert (updated.status_code, updated.json["data"]["version"]) == (200, 2), updated.text
    assert dynamodb.faulted == 2
    stale = api.call(key, "PUT", "/v1/state/bot", json={"data": {"n": 3}, "version": 1})
    assert stale.status_code == 409, "a real conflict is still one"
    assert api.call(key, "GET", "/v1/state/bot").json["data"]["data"] == {"n": 2}


def test_a_lost_answer_within_the_retries_still_stores_the_episode_once(
    faulty: tuple[Api, Services], dynamodb: FaultProxy
) -> None:
    """DynamoDB applies the episode's transaction and the answer is lost; botocore's retry
    meets the stored episode (its fresh id cannot exist otherwise), which counts as stored."""
    api, _ = faulty
    key = api.tenant("acme")
    episode = {"agent_id": "bot", "session_id": "s", "type": "action", "content": "paid"}
    dynamodb.hang(count=1, after_forwarding=True, operation="TransactWriteItems")
    first = api.call(key, "POST", "/v1/memory/episodic", json=episode)
    assert dynamodb.faulted == 1
    assert first.status_code == 201, first.text
    listed = api.call(key, "GET", "/v1/memory/episodic/bot").json["data"]["episodes"]
    assert [e["id"] for e in listed] == [first.json["data"]["id"]]
    assert api.call(key, "GET", "/v1/usage").json["data"]["episodes_stored"] == 1


def test_an_episode_whose_answers_were_all_lost_lands_once_when_retried_with_its_key(
    faulty: tuple[Api, Services], dynamodb: FaultProxy
) -> None:
    """DynamoDB applies the episode's transaction but every attempt loses its answer: the
    client gets 503 and cannot know whether the write happened. Its retry with the same
    Idempotency-Key takes over the failed attempt and rewrites the same episode (same id and
    time), which DynamoDB already holds: one episode, and the retry answers with it."""
    api, _ = faulty
    key = api.tenant("acme")
    episode = {"agent_id": "bot", "session_id": "s", "type": "action", "content": "paid"}
    headers = {"Idempotency-Key": "pay-1"}
    dynamodb.hang(count=100, after_forwarding=True, operation="TransactWriteItems")
    first = api.call(key, "POST", "/v1/memory/episodic", json=episode, headers=headers)
    assert first.status_code == 503
    assert dynamodb.faulted >= 2
    dynamodb.release()
    listed = api.call(key, "GET", "/v1/memory/episodic/bot").json["data"]["episodes"]
    assert [e["content"] for e in listed] == ["paid"], "the unanswered attempt was applied"
    retried = api.call(key, "POST", "/v1/memory/episodic", json=episode, headers=headers)
    assert retried.status_code == 201, retried.text
    assert retried.json["data"]["id"] == listed[0]["id"]
    after = api.call(key, "GET", "/v1/memory/episodic/bot").json["data"]["episodes"]
    assert [e["id"] for e in after] == [listed[0]["id"]], "exactly once"
    assert api.call(key, "GET", "/v1/usage").json["data"]["episodes_stored"] == 1
    again = api.call(key, "POST", "/v1/memory/episodic", json=episode, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true", "answered, so remembered"
    other = api.call(
        key, "POST", "/v1/memory/episodic", json={**episode, "content": "x"}, headers=headers
    )
    assert other.status_code == 409, "the key stays bound to its request"


def test_s3_throttling_and_outage_during_tiering_lose_nothing(
    faulty: tuple[Api, Services], s3: FaultProxy, clock: Clock
) -> None:
    api, services = faulty
    key = api.tenant("acme")
    for i in range(8):
        api.call(
            key,
            "POST",
            "/v1/memory/episodic",
            json={
                "agent_id": "bot",
                "session_id": "s",
                "type": "action",
                "content": f"event {i}",
                "timestamp": datetime.fromtimestamp(clock.now - 30 * DAY + i, UTC).isoformat(),
            },
        )
    expected = [f"event {i}" for i in range(8)]

    def replay() -> list[str]:
        answer = api.call(key, "GET", "/v1/memory/episodic/bot/sessions/s")
        assert answer.status_code == 200, answer.text
        return [e["content"] for e in answer.json["data"]["episodes"]]

    s3.fail(1000, **s3_slow_down())
    with pytest.raises(UnavailableError):
        services.episodic.tier()
    assert replay() == expected, "a failed upload loses nothing and moves nothing"
    s3.release()
    s3.hang()
    started = time.monotonic()
    with pytest.raises(UnavailableError):
        services.episodic.tier()
    assert time.monotonic() - started < 10
    s3.release()
    assert replay() == expected
    s3.fail(1, **s3_slow_down())
    assert services.episodic.tier().episodes == 8, "one throttled upload is retried"
    assert replay() == expected
    usage = api.call(key, "GET", "/v1/usage").json["data"]
    assert usage["episodes_stored"] == 8
