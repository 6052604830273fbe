"""Attacks on the operator console: reaching it without signing in, signing in with what is
not the admin token, forging sessions, cross-site changes, guessing the token, and markup
smuggled into what it shows."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ADMIN_TOKEN, Api
from tests.console_client import COOKIE, Browser

PAGES = [
    "/console",
    "/console/service",
    "/console/tenants/acme",
    "/console/tenants/acme/export",
    "/console/assets/console.js",
    "/console/assets/nothing.css",
]
CHANGES = [
    ("/console/tenants", {"tenant_id": "mallory", "tier": "free"}),
    ("/console/tenants/acme/tier", {"tier": "scale"}),
    ("/console/tenants/acme/keys", {"scope": "read_write"}),
    ("/console/tenants/acme/agents/bot/purge", {"confirm": "bot"}),
    ("/console/tenants/acme/delete", {"confirm": "acme"}),
    ("/console/sign-out", {}),
]


@pytest.fixture
def acme(api: Api) -> str:
    key = api.tenant("acme")
    api.call(key, "POST", "/v1/state", json={"agent_id": "bot", "data": {"secret": "s3cr3t"}})
    return key


def _untouched(api: Api, acme: str) -> None:
    assert api.admin("GET", "/v1/admin/tenants/acme").json["data"]["tier"] == "pro"
    assert [
        t["tenant_id"] for t in api.admin("GET", "/v1/admin/tenants").json["data"]["tenants"]
    ] == ["acme"]
    assert len(api.admin("GET", "/v1/admin/tenants/acme/keys").json["data"]["keys"]) == 1
    assert api.call(acme, "GET", "/v1/state/bot").json["data"]["data"] == {"secret": "s3cr3t"}


@pytest.mark.parametrize("path", PAGES)
def test_no_page_or_asset_without_signing_in(browser: Browser, acme: str, path: str) -> None:
    answer = browser.get(path)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/sign-in")
    assert "s3cr3t" not in answer.text
    assert "Copy buttons" not in answer.text


@pytest.mark.parametrize(("path", "form"), CHANGES)
def test_no_change_without_signing_in(
    browser: Browser, api: Api, acme: str, path: str, form: dict[str, str]
) -> None:
    answer = browser.post(path, form)
    assert answer.status_code == 403
    _untouched(api, acme)


@pytest.mark.parametrize(
    "cookie",
    [
        "",
        "garbage",
        "1.2.3",
        "9999999999.nonce.0000",
        # A session signed for another server (another admin token).
        "forged",
    ],
)
def test_forged_sessions_open_nothing(api: Api, acme: str, cookie: str) -> None:
    if cookie == "forged":
        from mnemora_server.console.sessions import SessionSigner

        cookie, _ = SessionSigner("another-servers-token", lifetime_seconds=3600).issue(0)
        cookie = cookie.replace(cookie.split(".")[0], "9999999999", 1)
    answer = api.client.simulate_get("/console", cookies={COOKIE: cookie})
    assert answer.status_code == 303


def test_a_tenant_key_cannot_sign_in(browser: Browser, api: Api, acme: str) -> None:
    answer = browser.sign_in(acme)
    assert answer.status_code == 401
    assert COOKIE not in answer.cookies
    assert "not the admin token" in answer.text
    as_bearer = api.client.simulate_get("/console", headers={"Authorization": f"Bearer {acme}"})
    assert as_bearer.status_code == 303, "the console knows sessions, not API keys"
    admin_bearer = api.client.simulate_get(
        "/console", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert admin_bearer.status_code == 303, "nor the admin token as a header"


def test_cross_site_changes_are_refused(admin: Browser, api: Api, acme: str) -> None:
    token = admin.csrf()
    form = {"csrf": token, "tier": "scale"}
    path = "/console/tenants/acme/tier"
    assert admin.post(path, form, headers={"Origin": "https://evil.example"}).status_code == 403
    assert admin.post(path, form, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert admin.post(path, {"tier": "scale"}).status_code == 403, "no token"
    assert admin.post(path, {"csrf": "0" * 64, "tier": "scale"}).status_code == 403
    other = Browser(api)
    other.sign_in()
    assert admin.post(path, {"csrf": other.csrf(), "tier": "scale"}).status_code == 403, (
        "another session's token"
    )
    not_a_form = api.client.simulate_post(
        path,
        json={"csrf": token, "tier": "scale"},
        cookies={COOKIE: admin.cookie},
    )
    assert not_a_form.status_code == 400
    _untouched(api, acme)
    assert admin.post(path, form).status_code == 303, "the same form from the console works"


def test_sign_in_attempts_are_throttled_per_address(browser: Browser, api: Api) -> None:
    for _ in range(5):
        assert browser.sign_in("wrong").status_code == 401
    refused = browser.sign_in()
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert COOKIE not in refused.cookies, "not even the right token, while throttled"
    elsewhere = api.client.simulate_post(
        "/console/sign-in",
        body=f"token={ADMIN_TOKEN}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        remote_addr="10.1.2.3",
    )
    assert elsewhere.status_code == 303


def test_markup_is_escaped_wherever_it_is_shown(admin: Browser, api: Api, acme: str) -> None:
    script = '<script>alert("x")</script>'
    search = admin.get("/console", params={"q": script})
    assert script not in search.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in search.text
    refused = admin.change("/console/tenants", {"tenant_id": '"><img src=x onerror=alert(1)>'})
    assert refused.status_code == 400
    assert "<img src=x" not in refused.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in refused.text
    # Ids that could carry markup never get in: the API refuses them before any page shows one.
    sneaky = api.call(acme, "POST", "/v1/state", json={"agent_id": "<b>bot</b>", "data": {}})
    assert sneaky.status_code == 400
    metadata = {"note": script}
    api.call(
        acme,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "content": "x", "metadata": metadata},
    )
    page = admin.get("/console/tenants/acme").text
    assert "<script>" not in page.replace(
        '<script src="/console/assets/console.js" defer></script>', ""
    )
    export = admin.get("/console/tenants/acme/export")
    assert export.headers["X-Content-Type-Options"] == "nosniff"
    assert export.headers["Content-Type"] == "application/x-ndjson"
    assert export.headers["Content-Disposition"].startswith("attachment")


def test_one_tenants_page_shows_nothing_of_another(admin: Browser, api: Api, acme: str) -> None:
    other = api.tenant("globex")
    api.call(other, "POST", "/v1/state", json={"agent_id": "globex-bot", "data": {}})
    page = admin.get("/console/tenants/acme").text
    assert "globex-bot" not in page
    agents = page[page.index('<table id="agents">') :].split("</table>")[0]
    assert re.findall(r"<tr>\s*<td>([^<]+)</td>", agents) == ["bot"]
    download = admin.get("/console/tenants/acme/export").text
    assert "globex" not in download
    key_of_other = re.search(
        r"key_[0-9a-f]+", str(api.admin("GET", "/v1/admin/tenants/globex/keys").json)
    ).group(0)
    revoke = admin.change(f"/console/tenants/acme/keys/{key_of_other}/revoke")
    assert revoke.status_code == 404, "a key is revoked only from its own tenant's page"
    assert api.call(other, "GET", "/v1/usage").status_code == 200
