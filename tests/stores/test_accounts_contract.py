"""The AccountStore, UsageStore and IdempotencyStore contracts, on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from mnemora_server.errors import AlreadyExistsError
from mnemora_server.stores.base import ApiKeyRecord, Tenant

NOW = 1_800_000_000.5


def key(key_id: str, tenant: str, digest: str, **extra: Any) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=key_id,
        tenant_id=tenant,
        key_hash=digest,
        prefix="mnm_abcd",
        scope="read_write",
        created_at=NOW,
        **extra,
    )


def test_tenants_and_keys(account_store: Any) -> None:
    for name in ("b-corp", "a-corp", "c-corp"):
        account_store.create_tenant(Tenant(name, "pro", {"calls_per_day": 7}, NOW))
    with pytest.raises(AlreadyExistsError):
        account_store.create_tenant(Tenant("a-corp", "free", {}, NOW))
    assert [t.tenant_id for t in account_store.list_tenants(limit=2, after=None)] == [
        "a-corp",
        "b-corp",
    ]
    assert [t.tenant_id for t in account_store.list_tenants(limit=5, after="b-corp")] == ["c-corp"]
    updated = account_store.update_tenant("a-corp", tier="scale", limits={})
    assert (updated.tier, updated.limits) == ("scale", {})
    assert account_store.update_tenant("nobody", tier="free", limits=None) is None
    account_store.create_key(key("k1", "a-corp", "h1", expires_at=NOW + 60))
    account_store.create_key(key("k2", "a-corp", "h2"))
    found = account_store.find_key("h1")
    assert found is not None
    assert (found[0].key_id, found[0].expires_at, found[1].tier) == ("k1", NOW + 60, "scale")
    assert account_store.find_key("nope") is None
    assert account_store.revoke_key("k1", NOW, tenant_id="b-corp") is False
    assert account_store.revoke_key("k1", NOW) is True
    assert account_store.find_key("h1")[0].revoked_at == NOW
    assert {k.key_id: k.revoked_at for k in account_store.list_keys("a-corp")} == {
        "k1": NOW,
        "k2": None,
    }
    assert account_store.revoke_tenant_keys("a-corp", NOW) == 1
    assert account_store.delete_tenant("a-corp")
    assert account_store.find_key("h2") is None
    assert account_store.get_tenant("a-corp") is None
    assert [t.tenant_id for t in account_store.list_tenants(limit=9, after=None)] == [
        "b-corp",
        "c-corp",
    ]


def test_daily_and_burst_limits_are_exact(account_store: Any) -> None:
    decisions = [
        account_store.record_call("t1", NOW, calls_per_day=3, burst_per_second=100)
        for _ in range(5)
    ]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert decisions[2].daily_remaining == 0
    assert decisions[3].reason == "daily"
    burst = [
        account_store.record_call("t2", NOW, calls_per_day=100, burst_per_second=2)
        for _ in range(4)
    ]
    assert [d.allowed for d in burst] == [True, True, False, False]
    assert burst[2].reason == "burst"
    assert burst[2].retry_after == 1
    assert account_store.record_call("t2", NOW + 1, calls_per_day=100, burst_per_second=2).allowed
    account_store.add("t1", "embeddings", 5, NOW)
    counters = account_store.counters("t1", NOW)
    assert (
        counters.calls_today,
        counters.accepted_today,
        counters.rejected_month,
        counters.embeddings_month,
    ) == (5, 3, 2, 5)
    assert account_store.counters("t3", NOW).calls_today == 0, "tenants count apart"
    account_store.purge_tenant("t1")
    assert account_store.counters("t1", NOW).calls_month == 0


def test_daily_history_with_counters_and_gauges(account_store: Any) -> None:
    day = 86_400.0
    for offset in (0, 1, 1, 40, 95):
        account_store.record_call("t1", NOW + offset * day, calls_per_day=10, burst_per_second=100)
    account_store.set_gauge("t1", "vectors", 10, NOW)
    account_store.set_gauge("t1", "vectors", 12, NOW + 60)  # replaced, not added
    account_store.set_gauge("t1", "storage_bytes", 2048, NOW + 95 * day)
    account_store.record_call("t2", NOW, calls_per_day=10, burst_per_second=100)
    history = account_store.daily("t1", "2027-01-15")
    assert history == [
        ("2027-01-15", "accepted", 1),
        ("2027-01-15", "calls", 1),
        ("2027-01-15", "vectors", 12),
        ("2027-01-16", "accepted", 2),
        ("2027-01-16", "calls", 2),
        ("2027-02-24", "accepted", 1),
        ("2027-02-24", "calls", 1),
        ("2027-04-20", "accepted", 1),
        ("2027-04-20", "calls", 1),
        ("2027-04-20", "storage_bytes", 2048),
    ]
    assert account_store.daily("t1", "2027-04-01") == history[-3:]
    assert [row for row in account_store.daily("t2", "2027-01-01") if row[1] == "calls"] == [
        ("2027-01-15", "calls", 1)
    ]
    account_store.purge_tenant("t1")
    assert account_store.daily("t1", "2020-01-01") == []


def test_idempotency_records(account_store: Any) -> None:
    assert account_store.begin("t1", "k", "fp", NOW, lock_seconds=60) is None
    pending = account_store.begin("t1", "k", "fp", NOW, lock_seconds=60)
    assert (pending.finished, pending.fingerprint) == (False, "fp")
    assert account_store.begin("t2", "k", "other", NOW, lock_seconds=60) is None, "per tenant"
    account_store.finish(
        "t1", "k", status=201, body='{"data": 1}', agent_id="bot", now=NOW, ttl_seconds=3600
    )
    done = account_store.begin("t1", "k", "fp", NOW + 1, lock_seconds=60)
    assert (done.finished, done.status, done.body) == (True, 201, '{"data": 1}')
    account_store.release("t2", "k")
    assert account_store.begin("t2", "k", "again", NOW, lock_seconds=60) is None
    assert account_store.begin("t1", "k", "fp", NOW + 7200, lock_seconds=60) is None, "expired"
    account_store.finish(
        "t1", "k", status=200, body=None, agent_id="bot", now=NOW, ttl_seconds=3600
    )
    assert account_store.purge_agent("t1", "bot") == 1
    assert account_store.begin("t1", "k", "new", NOW, lock_seconds=60) is None


def test_a_failed_attempt_is_taken_over_by_its_retry(account_store: Any) -> None:
    assert account_store.begin("t1", "k", "fp", NOW, lock_seconds=60) is None
    account_store.release("t1", "k")  # the attempt failed without an answer
    retry = account_store.begin("t1", "k", "fp", NOW + 5, lock_seconds=60)
    assert (retry.reclaimed, retry.finished, retry.started_at) == (True, False, NOW)
    busy = account_store.begin("t1", "k", "fp", NOW + 6, lock_seconds=60)
    assert (busy.reclaimed, busy.finished) == (False, False), "the retry holds it now"
    other = account_store.begin("t1", "k", "another body", NOW + 7, lock_seconds=60)
    assert (other.reclaimed, other.fingerprint) == (False, "fp")
    # A claim left by a dead process lapses; the same request then takes it over too.
    late = account_store.begin("t1", "k", "fp", NOW + 70, lock_seconds=60)
    assert (late.reclaimed, late.started_at) == (True, NOW)
    # A lapsed claim of another request does not bind the key: a new request claims it.
    assert account_store.begin("t1", "k", "new body", NOW + 200, lock_seconds=60) is None
    assert account_store.begin("t2", "k", "fp", NOW + 5, lock_seconds=60) is None, "per tenant"


def test_limits_hold_under_concurrent_calls(account_store: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def call(_: int) -> bool:
        return bool(
            account_store.record_call("busy", NOW, calls_per_day=50, burst_per_second=10**6).allowed
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        admitted = sum(pool.map(call, range(120)))
    assert admitted == 50
    counters = account_store.counters("busy", NOW)
    assert (counters.calls_today, counters.accepted_today, counters.rejected_month) == (120, 50, 70)
