"""Provisioning through the admin HTTP API, and tenant deletion."""

from __future__ import annotations

from tests.backends import Backend
from tests.conftest import Api


def test_tenant_lifecycle(api: Api) -> None:
    created = api.admin("POST", "/v1/admin/tenants", json={"tenant_id": "acme", "tier": "pro"})
    assert created.status_code == 201
    assert created.json["data"]["limits"]["calls_per_day"] == 25_000
    duplicate = api.admin("POST", "/v1/admin/tenants", json={"tenant_id": "acme"})
    assert duplicate.status_code == 409
    assert api.admin("GET", "/v1/admin/tenants/acme").json["data"]["tier"] == "pro"
    patched = api.admin(
        "PATCH", "/v1/admin/tenants/acme", json={"tier": "scale", "limits": {"burst_per_second": 7}}
    )
    assert patched.json["data"]["tier"] == "scale"
    assert patched.json["data"]["limits"]["calls_per_day"] == 50_000
    assert patched.json["data"]["limits"]["burst_per_second"] == 7
    assert api.admin("GET", "/v1/admin/tenants/nobody").status_code == 404
    bad_tier = api.admin("POST", "/v1/admin/tenants", json={"tenant_id": "x", "tier": "gold"})
    assert bad_tier.status_code == 400


def test_tenants_are_listed_with_cursors(api: Api) -> None:
    for i in range(5):
        api.admin("POST", "/v1/admin/tenants", json={"tenant_id": f"t{i}"})
    first = api.admin("GET", "/v1/admin/tenants", params={"limit": "3"}).json["data"]
    second = api.admin(
        "GET", "/v1/admin/tenants", params={"limit": "3", "cursor": first["next_cursor"]}
    ).json["data"]
    ids = [t["tenant_id"] for t in first["tenants"] + second["tenants"]]
    assert ids == ["t0", "t1", "t2", "t3", "t4"]
    assert second["next_cursor"] is None
    bad = api.admin("GET", "/v1/admin/tenants", params={"cursor": "garbage!"})
    assert bad.status_code == 400


def test_deleting_a_tenant_erases_its_data_and_revokes_its_keys(api: Api, backend: Backend) -> None:
    doomed = api.tenant("doomed")
    kept = api.tenant("kept")
    for agent in ("a1", "a2"):
        for session in ("s1", "s2"):
            api.call(
                doomed,
                "POST",
                "/v1/state",
                json={"agent_id": agent, "session_id": session, "data": {"x": 1}},
                headers={"Idempotency-Key": f"{agent}-{session}"},
            )
    api.call(kept, "POST", "/v1/state", json={"agent_id": "a1", "data": {"mine": True}})
    answer = api.admin("DELETE", "/v1/admin/tenants/doomed")
    assert answer.status_code == 200
    assert answer.json["data"]["deleted"]["state"] == 4
    assert answer.json["data"]["keys_revoked"] == 1
    assert api.call(doomed, "GET", "/v1/usage").status_code == 401
    assert api.admin("GET", "/v1/admin/tenants/doomed").status_code == 404
    assert api.admin("DELETE", "/v1/admin/tenants/doomed").status_code == 404
    left = [text for text in backend.stored() if "doomed" in text]
    assert left == [], "nothing of the tenant remains in any store"
    assert api.call(kept, "GET", "/v1/state/a1").json["data"]["data"] == {"mine": True}


def test_purge_removes_every_row_of_the_agent_and_nothing_else(api: Api, backend: Backend) -> None:
    key = api.tenant("acme")
    for session in ("s1", "s2", "s3"):
        api.call(
            key,
            "POST",
            "/v1/state",
            json={"agent_id": "purged-bot", "session_id": session, "data": {}},
        )
    api.call(key, "DELETE", "/v1/state/purged-bot/s3")  # leaves a tombstone
    api.call(key, "POST", "/v1/state", json={"agent_id": "other", "data": {"keep": 1}})
    purged = api.call(key, "DELETE", "/v1/memory/purged-bot")
    assert purged.status_code == 200
    assert purged.json["data"]["state_deleted"] == 2
    assert purged.json["data"]["deleted"]["state"] == 2
    stored = backend.stored()
    assert [text for text in stored if "purged-bot" in text] == [], "tombstones are purged too"
    assert any("other" in text for text in stored)
    again = api.call(key, "DELETE", "/v1/memory/purged-bot")
    assert again.status_code == 200
    assert again.json["data"]["state_deleted"] == 0, "purge is idempotent"
