"""The operator console over HTTP: what it shows, what it changes, and that it does both
only for the signed-in administrator (the browser tests drive the same pages in Chromium)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import falcon.testing
import pytest

from mnemora_server.app import create_app
from mnemora_server.embeddings.base import Embedder
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from tests.conftest import Api, Clock
from tests.console_client import COOKIE, Browser


def test_signing_in_sets_a_guarded_session_cookie(browser: Browser) -> None:
    form = browser.get("/console/sign-in")
    assert form.status_code == 200
    assert 'type="password"' in form.text
    answer = browser.sign_in()
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console")
    cookie = answer.cookies[COOKIE]
    assert cookie.http_only
    assert cookie.same_site == "Strict"
    assert cookie.path == "/console"
    assert not cookie.secure, "plain HTTP here (a Secure cookie would never come back)"
    assert cookie.max_age == 8 * 3600
    tenants = browser.get("/console")
    assert tenants.status_code == 200
    assert "<h1>Tenants</h1>" in tenants.text


def test_the_cookie_is_secure_behind_tls(browser: Browser) -> None:
    answer = browser.post(
        "/console/sign-in",
        {"token": "test-admin-token-0123456789"},
        headers={"X-Forwarded-Proto": "https", "Origin": "https://falconframework.org"},
    )
    assert answer.status_code == 303
    assert answer.cookies[COOKIE].secure


def test_every_page_answers_with_protective_headers(admin: Browser) -> None:
    for path in ("/console", "/console/service", "/console/sign-in"):
        headers = (
            admin.get(path) if path != "/console/sign-in" else Browser(admin.api).get(path)
        ).headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store"
        assert headers["Content-Type"].startswith("text/html")


def test_signing_out_ends_the_session(admin: Browser) -> None:
    answer = admin.change("/console/sign-out")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/sign-in")
    assert answer.cookies[COOKIE].value == ""
    assert answer.cookies[COOKIE].expires <= datetime.now(UTC), "expired: the browser drops it"


def test_a_tenant_and_its_keys_from_creation_to_revocation(admin: Browser, api: Api) -> None:
    created = admin.change("/console/tenants", {"tenant_id": "acme", "tier": "pro"})
    assert created.status_code == 303
    assert created.headers["Location"].endswith("/console/tenants/acme")
    page = admin.get("/console/tenants/acme")
    assert page.status_code == 200
    assert "No keys yet." in page.text

    issued = admin.change("/console/tenants/acme/keys", {"scope": "read_write", "expires_on": ""})
    assert issued.status_code == 201
    key = re.search(r'id="new-key" class="key" readonly value="([^"]+)"', issued.text).group(1)
    assert key.startswith("mnm_")
    assert issued.headers["Cache-Control"] == "no-store"
    assert key not in admin.get("/console/tenants/acme").text, "the key is shown once"
    assert api.call(key, "GET", "/v1/usage").status_code == 200

    key_id = re.search(r"/keys/(key_[0-9a-f]+)/revoke", admin.get("/console/tenants/acme").text)
    revoked = admin.change(f"/console/tenants/acme/keys/{key_id.group(1)}/revoke")
    assert revoked.status_code == 303
    assert api.call(key, "GET", "/v1/usage").status_code == 401
    assert ">revoked<" in admin.get("/console/tenants/acme").text

    moved = admin.change("/console/tenants/acme/tier", {"tier": "scale"})
    assert moved.status_code == 303
    assert api.admin("GET", "/v1/admin/tenants/acme").json["data"]["tier"] == "scale"


def test_bad_input_is_answered_on_the_page_and_changes_nothing(admin: Browser, api: Api) -> None:
    bad_id = admin.change("/console/tenants", {"tenant_id": "no spaces", "tier": "pro"})
    assert bad_id.status_code == 400
    assert 'class="error"' in bad_id.text
    assert "tenant_id must be" in bad_id.text
    bad_tier = admin.change("/console/tenants", {"tenant_id": "acme", "tier": "gold"})
    assert bad_tier.status_code == 400
    assert "unknown tier" in bad_tier.text
    assert api.admin("GET", "/v1/admin/tenants").json["data"]["tenants"] == []
    api.tenant("acme")
    taken = admin.change("/console/tenants", {"tenant_id": "acme", "tier": "pro"})
    assert taken.status_code == 409
    expired = admin.change(
        "/console/tenants/acme/keys", {"scope": "read_write", "expires_on": "2001-01-01"}
    )
    assert expired.status_code == 400
    assert "expires_at must be in the future" in expired.text
    not_a_date = admin.change("/console/tenants/acme/keys", {"scope": "x", "expires_on": "soon"})
    assert not_a_date.status_code == 400
    assert len(api.admin("GET", "/v1/admin/tenants/acme/keys").json["data"]["keys"]) == 1
    assert admin.get("/console/tenants/nobody").status_code == 404
    assert admin.get("/console/tenants/..%2Fx").status_code in (400, 404)


def test_tenants_are_sorted_by_closeness_to_a_limit_and_searchable(
    admin: Browser, api: Api
) -> None:
    calm = api.tenant("calm", limits={"calls_per_day": 1000})
    busy = api.tenant("busy", limits={"calls_per_day": 10})
    for _ in range(8):
        api.call(busy, "GET", "/v1/usage")
    api.call(calm, "GET", "/v1/usage")
    page = admin.get("/console").text
    assert page.index(">busy<") < page.index(">calm<")
    assert "8 / 10 calls" in page
    found = admin.get("/console", params={"q": "cal"}).text
    assert ">calm<" in found
    assert ">busy<" not in found


def test_the_tenant_page_shows_agents_and_thirty_days_of_charts(admin: Browser, api: Api) -> None:
    key = api.tenant("acme")
    api.call(key, "POST", "/v1/state", json={"agent_id": "support-bot", "data": {"step": 1}})
    api.call(
        key,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "support-bot", "content": "Refunds take 5 days"},
    )
    page = admin.get("/console/tenants/acme").text
    row = re.search(r"<td>support-bot</td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row)[:6] == ["1", "1", "0", "0", "0", "0"]
    assert page.count('<svg class="chart"') == 4
    assert page.count('<rect class="bar-calls"') == 30
    assert "API calls per day" in page


def test_purging_an_agent_needs_its_id_typed_and_gives_a_receipt(admin: Browser, api: Api) -> None:
    key = api.tenant("acme")
    for session in ("s1", "s2"):
        api.call(
            key, "POST", "/v1/state", json={"agent_id": "bot", "session_id": session, "data": {}}
        )
    api.call(key, "POST", "/v1/state", json={"agent_id": "keeper", "data": {}})
    refused = admin.change("/console/tenants/acme/agents/bot/purge", {"confirm": "bo"})
    assert refused.status_code == 400
    assert "type the agent&#39;s id" in refused.text
    assert api.call(key, "GET", "/v1/state/bot", params={"session_id": "s1"}).status_code == 200
    receipt = admin.change("/console/tenants/acme/agents/bot/purge", {"confirm": "bot"})
    assert receipt.status_code == 200
    assert "Erased: agent bot of acme" in receipt.text
    assert "<td>state</td><td>2</td>" in receipt.text
    assert api.call(key, "GET", "/v1/state/bot", params={"session_id": "s1"}).status_code == 404
    assert api.call(key, "GET", "/v1/state/keeper").status_code == 200


def test_deleting_a_tenant_needs_its_id_typed_and_gives_a_receipt(admin: Browser, api: Api) -> None:
    key = api.tenant("acme")
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {}})
    assert admin.change("/console/tenants/acme/delete", {"confirm": "ACME"}).status_code == 400
    assert api.call(key, "GET", "/v1/usage").status_code == 200
    receipt = admin.change("/console/tenants/acme/delete", {"confirm": "acme"})
    assert receipt.status_code == 200
    assert "Keys revoked: <strong>1</strong>" in receipt.text
    assert "<td>state</td><td>1</td>" in receipt.text
    assert api.call(key, "GET", "/v1/usage").status_code == 401
    assert admin.get("/console/tenants/acme").status_code == 404


def test_the_export_downloads_the_tenants_ndjson(admin: Browser, api: Api) -> None:
    key = api.tenant("acme")
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"n": 1}})
    other = api.tenant("other")
    api.call(other, "POST", "/v1/state", json={"agent_id": "spy", "data": {"secret": 1}})
    download = admin.get("/console/tenants/acme/export")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/x-ndjson"
    assert 'attachment; filename="mnemora-acme-' in download.headers["Content-Disposition"]
    kinds = [line.split('"kind":')[1][:8] for line in download.text.splitlines()]
    assert len(kinds) == 2
    assert "spy" not in download.text
    assert download.text == api.call(key, "GET", "/v1/export").text


def test_the_service_page_reports_health_and_traffic(admin: Browser) -> None:
    page = admin.get("/console/service").text
    assert re.search(r"<td>state</td><td><code>sqlite:", page)
    assert page.count('class="ok">ok</td>') == 8
    assert 'id="requests"' in page
    assert "Latency p99" in page


def test_a_session_ends_after_eight_hours(admin: Browser, clock: Clock) -> None:
    assert admin.get("/console").status_code == 200
    clock.advance(8 * 3600 + 1)
    answer = admin.get("/console")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/sign-in")


@pytest.mark.parametrize("path", ["/console", "/console/sign-in", "/console/service"])
def test_without_an_admin_token_there_is_no_console(
    settings: Settings, stores: Stores, clock: Clock, embedder: Embedder, path: str
) -> None:
    tokenless = settings.model_copy(update={"admin_token": None})
    client = falcon.testing.TestClient(
        create_app(tokenless, stores, clock=clock, embedder=embedder)
    )
    assert client.simulate_get(path).status_code == 404
