"""Daily and burst limits, their headers, and exact metering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Api, Clock


def test_daily_limit_refuses_exactly_the_call_after_the_limit(api: Api, clock: Clock) -> None:
    key = api.tenant("small", tier="free", limits={"calls_per_day": 7, "burst_per_second": 1000})
    statuses = [api.call(key, "GET", "/v1/usage").status_code for _ in range(10)]
    assert statuses == [200] * 7 + [429] * 3
    refused = api.call(key, "GET", "/v1/usage")
    assert refused.json["error"]["code"] == "RATE_LIMITED"
    midnight = (
        datetime.fromtimestamp(clock.now, UTC)
        .replace(hour=0, minute=0, second=0, microsecond=0)
        .timestamp()
        + 86400
    )
    assert int(refused.headers["X-RateLimit-Reset"]) == int(midnight)
    assert refused.headers["X-RateLimit-Limit"] == "7"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    clock.now = midnight + 1
    assert api.call(key, "GET", "/v1/usage").status_code == 200, "a new day resets the limit"


def test_free_tier_allows_500_calls_a_day(api: Api) -> None:
    key = api.tenant("free1", tier="free", limits={"burst_per_second": 10_000})
    statuses = [api.call(key, "GET", "/v1/state/bot").status_code for _ in range(501)]
    assert statuses[:500] == [404] * 500
    assert statuses[500] == 429


def test_remaining_counts_down(api: Api) -> None:
    key = api.tenant("acme", tier="starter")
    first = api.call(key, "GET", "/v1/usage")
    second = api.call(key, "GET", "/v1/usage")
    assert first.headers["X-RateLimit-Limit"] == "5000"
    assert int(first.headers["X-RateLimit-Remaining"]) == 4999
    assert int(second.headers["X-RateLimit-Remaining"]) == 4998


def test_burst_limit_per_second(api: Api, clock: Clock) -> None:
    key = api.tenant("bursty", tier="free", limits={"burst_per_second": 3})
    clock.now = float(int(clock.now)) + 0.1
    statuses = [api.call(key, "GET", "/v1/usage").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = api.call(key, "GET", "/v1/usage")
    assert refused.headers["Retry-After"] == "1"
    clock.advance(1)
    assert api.call(key, "GET", "/v1/usage").status_code == 200


def test_one_tenant_over_its_limit_does_not_limit_another(api: Api) -> None:
    noisy = api.tenant("noisy", tier="free", limits={"calls_per_day": 2})
    quiet = api.tenant("quiet", tier="free")
    for _ in range(5):
        api.call(noisy, "GET", "/v1/usage")
    assert api.call(noisy, "GET", "/v1/usage").status_code == 429
    assert api.call(quiet, "GET", "/v1/usage").status_code == 200


def test_every_authenticated_call_is_counted_once(api: Api) -> None:
    key = api.tenant("acme", limits={"calls_per_day": 5})
    api.call(key, "POST", "/v1/state", json={"agent_id": "a", "data": {}})
    api.call(key, "GET", "/v1/state/a")
    api.call(key, "GET", "/v1/state/missing")  # a 404 is still a call
    api.call(key, "POST", "/v1/state", body=b"nope")  # so is a 400
    for _ in range(3):
        api.call(key, "GET", "/v1/usage")  # the last two are refused with 429
    api.client.simulate_get("/v1/usage", headers={"Authorization": "Bearer mnm_unknown"})
    api.client.simulate_get("/v1/health")  # unauthenticated: not a tenant's call
    usage = api.admin("GET", "/v1/admin/tenants/acme/usage").json["data"]
    assert usage["api_calls_today"] == 7
    assert usage["api_calls_month"] == 7
    assert usage["rate_limited_month"] == 2
    assert usage["limits"]["calls_remaining_today"] == 0


def test_usage_reports_the_0_1_fields_and_storage(api: Api) -> None:
    key = api.tenant("acme")
    api.call(
        key, "POST", "/v1/state", json={"agent_id": "a", "session_id": "s1", "data": {"k": "v"}}
    )
    api.call(key, "POST", "/v1/state", json={"agent_id": "b", "data": {"k": "vv"}})
    usage = api.call(key, "GET", "/v1/usage").json["data"]
    for field in (
        "api_calls_month",
        "embeddings_generated_month",
        "storage",
        "agents_count",
        "sessions_count",
        "billing_period",
    ):
        assert field in usage
    assert usage["agents_count"] == 2
    assert usage["sessions_count"] == 2
    assert usage["storage_bytes"] == len('{"k":"v"}') + len('{"k":"vv"}')
    assert usage["billing_period"] == datetime.now(UTC).strftime("%Y-%m")


@pytest.mark.parametrize(
    "limits", [{"calls_per_day": -1}, {"nope": 1}, {"burst_per_second": 0}, {"calls_per_day": "5"}]
)
def test_bad_limit_overrides_are_rejected(api: Api, limits: dict[str, object]) -> None:
    r = api.admin("POST", "/v1/admin/tenants", json={"tenant_id": "t", "limits": limits})
    assert r.status_code == 400


def test_daily_usage_history_for_the_tenant_and_the_operator(api: Api, clock: Clock) -> None:
    key = api.tenant("acme", limits={"calls_per_day": 3})
    start = datetime.fromtimestamp(clock.now, UTC).date()
    for day in range(3):
        for _ in range(2 if day == 1 else 1):
            api.call(key, "POST", "/v1/state", json={"agent_id": "a", "data": {"d": day}})
        if day == 1:
            for _ in range(3):  # over the daily limit of 3: refused
                api.call(key, "GET", "/v1/state/a")
        clock.advance(86_400)
    mine = api.call(key, "GET", "/v1/usage/daily", params={"days": 5}).json["data"]
    days = mine["days"]
    assert [d["day"] for d in days] == [
        (start + timedelta(days=offset - 1)).isoformat() for offset in range(5)
    ]
    assert [d["calls"] for d in days] == [0, 1, 5, 1, 1], "the last is this very call"
    assert [d["rejected"] for d in days] == [0, 0, 2, 0, 0]
    assert days[0]["vectors"] is None, "nobody measured that day"
    assert days[-1]["storage_bytes"] == len('{"d":2}'), "today is measured on asking"
    admin = api.admin("GET", "/v1/admin/tenants/acme/usage/daily", params={"days": 90})
    assert admin.status_code == 200, admin.text
    assert len(admin.json["data"]["days"]) == 90
    other = api.tenant("globex")
    theirs = api.call(other, "GET", "/v1/usage/daily").json["data"]
    assert sum(d["calls"] for d in theirs["days"]) == 1, "only its own calls"
    assert api.call(key, "GET", "/v1/usage/daily", params={"days": 0}).status_code == 400
