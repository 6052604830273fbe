"""Keys: how they are issued, stored, checked, scoped, expired and revoked."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import falcon.testing
import pytest

from mnemora_server.app import create_app
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from tests.backends import Backend
from tests.conftest import Api, Clock


def test_keys_have_the_documented_shape(api: Api) -> None:
    key = api.tenant("acme")
    assert key.startswith("mnm_")
    # 32 random bytes in URL-safe base64: 43 characters, far over 128 bits.
    assert len(key) == 4 + 43


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer not-a-key",
        "mnm_abc",
        "Bearer mnm_" + "x" * 43,
        "Bearer mnm_" + "x" * 500,
    ],
)
def test_missing_malformed_or_unknown_keys_are_401(api: Api, authorization: str | None) -> None:
    api.tenant("acme")
    headers = {} if authorization is None else {"Authorization": authorization}
    r = api.client.simulate_get("/v1/state/bot", headers=headers)
    assert r.status_code == 401
    assert r.json["error"]["code"] == "UNAUTHORIZED"


def test_revoked_key_is_refused_on_the_next_request(api: Api) -> None:
    key = api.tenant("acme")
    other = api.new_key("acme")
    assert api.call(key, "GET", "/v1/usage").status_code == 200
    keys = api.admin("GET", "/v1/admin/tenants/acme/keys").json["data"]["keys"]
    key_id = next(k["key_id"] for k in keys if key.startswith(k["prefix"]) and k["active"])
    assert api.admin("DELETE", f"/v1/admin/keys/{key_id}").status_code == 204
    assert api.call(key, "GET", "/v1/usage").status_code == 401
    assert api.call(other, "GET", "/v1/usage").status_code == 200, "rotation: other keys work"
    listed = api.admin("GET", "/v1/admin/tenants/acme/keys").json["data"]["keys"]
    assert {k["key_id"]: k["active"] for k in listed}[key_id] is False


def test_revocation_is_immediate_across_app_instances(
    settings: Settings, stores: Stores, clock: Clock
) -> None:
    # Two app instances (as in two server processes) over the same stores.
    first = Api(falcon.testing.TestClient(create_app(settings, stores, clock=clock)))
    second = falcon.testing.TestClient(create_app(settings, stores, clock=clock))
    key = first.tenant("acme")
    headers = {"Authorization": f"Bearer {key}"}
    assert second.simulate_get("/v1/usage", headers=headers).status_code == 200
    key_id = first.admin("GET", "/v1/admin/tenants/acme/keys").json["data"]["keys"][0]["key_id"]
    first.admin("DELETE", f"/v1/admin/keys/{key_id}")
    assert second.simulate_get("/v1/usage", headers=headers).status_code == 401


def test_expired_key_is_refused(api: Api, clock: Clock) -> None:
    api.tenant("acme")
    expires = datetime.fromtimestamp(clock.now, UTC) + timedelta(hours=1)
    key = api.new_key("acme", expires_at=expires.isoformat())
    assert api.call(key, "GET", "/v1/usage").status_code == 200
    clock.advance(3601)
    assert api.call(key, "GET", "/v1/usage").status_code == 401


def test_key_expiry_must_be_in_the_future(api: Api) -> None:
    api.tenant("acme")
    r = api.admin(
        "POST", "/v1/admin/tenants/acme/keys", json={"expires_at": "2001-01-01T00:00:00Z"}
    )
    assert r.status_code == 400
    r = api.admin("POST", "/v1/admin/tenants/acme/keys", json={"expires_at": "tomorrow"})
    assert r.status_code == 400


def test_read_only_key_reads_but_cannot_write(api: Api) -> None:
    writer = api.tenant("acme")
    reader = api.new_key("acme", scope="read_only")
    api.call(writer, "POST", "/v1/state", json={"agent_id": "bot", "data": {"a": 1}})
    assert api.call(reader, "GET", "/v1/state/bot").status_code == 200
    assert api.call(reader, "GET", "/v1/state/bot/sessions").status_code == 200
    for method, path, body in [
        ("POST", "/v1/state", {"agent_id": "bot", "data": {}}),
        ("PUT", "/v1/state/bot", {"data": {}, "version": 1}),
        ("PATCH", "/v1/state/bot", {"patch": {"a": 2}}),
        ("DELETE", "/v1/state/bot/default", None),
        ("DELETE", "/v1/memory/bot", None),
    ]:
        r = api.call(reader, method, path, json=body)
        assert r.status_code == 403, (method, path)
        assert r.json["error"]["code"] == "FORBIDDEN"
    assert api.call(writer, "GET", "/v1/state/bot").json["data"]["data"] == {"a": 1}


def test_keys_are_never_stored_in_plaintext(api: Api, backend: Backend, data_dir: Path) -> None:
    keys = [api.tenant("acme"), api.new_key("acme"), api.tenant("globex")]
    for key in keys:
        api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"x": 1}})
    # Every row and item, and the raw bytes of every file (SQLite's journal and free pages too).
    stored = "\n".join(backend.stored())
    stored += b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file()).decode("latin-1")
    for key in keys:
        assert key not in stored
        assert key[4:] not in stored
        assert hashlib.sha256(key.encode()).hexdigest() in stored


def test_key_listing_never_shows_keys(api: Api) -> None:
    key = api.tenant("acme")
    listing = api.admin("GET", "/v1/admin/tenants/acme/keys").text
    assert key not in listing
    assert key[4:] not in listing


def test_admin_routes_are_404_without_an_admin_token(
    settings: Settings, stores: Stores, clock: Clock
) -> None:
    without_token = settings.model_copy(update={"admin_token": None})
    client = falcon.testing.TestClient(create_app(without_token, stores, clock=clock))
    r = client.simulate_post(
        "/v1/admin/tenants", json={"tenant_id": "x"}, headers={"Authorization": "Bearer anything"}
    )
    assert r.status_code == 404


def test_admin_routes_refuse_tenant_keys_and_wrong_tokens(api: Api) -> None:
    key = api.tenant("acme")
    for token in (key, "wrong", ""):
        r = api.client.simulate_get(
            "/v1/admin/tenants", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 401


def test_health_and_openapi_need_no_key(api: Api) -> None:
    assert api.client.simulate_get("/v1/health").status_code == 200
    assert api.client.simulate_get("/v1/openapi.json").status_code == 200
