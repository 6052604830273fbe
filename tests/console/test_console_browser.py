"""The console in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
driven by Selenium) against a real ``mnemora-server serve``: sign in, create a tenant and a
key, see the key once, see charts drawn from real usage, revoke the key, purge an agent and
read the receipt. Screenshots of every page go to ``test-artifacts/console/``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.conftest import ADMIN_TOKEN, ROOT, LiveServer, start_server

ARTIFACTS = ROOT / "test-artifacts" / "console"


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"none of {names} is installed: the console's browser tests need Debian's chromium "
        "and chromium-driver (apt-get install chromium chromium-driver; .ci/run does it)"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("console") / "data", workers=1)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def chrome() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(_binary("chromedriver")))
    driver.implicitly_wait(15)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _shot(driver: WebDriver, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 5_000, f"{name}: a real screenshot"
    return path


def _arrive(driver: WebDriver, url: str) -> None:
    """Wait for the navigation a form started (a click returns before the next page loads)."""
    WebDriverWait(driver, 15).until(lambda d: d.current_url == url)


def _submit(driver: WebDriver, form_action: str) -> None:
    driver.find_element(
        By.CSS_SELECTOR, f'form[action="{form_action}"] button[type="submit"]'
    ).click()


def test_an_operator_runs_a_customer_through_the_console(
    server: LiveServer, chrome: WebDriver
) -> None:
    base = server.url
    chrome.get(base + "/console")
    assert chrome.current_url == base + "/console/sign-in", "sent to sign in"
    assert (
        chrome.execute_script("return getComputedStyle(document.body).backgroundColor")
        == "rgb(246, 247, 249)"
    ), "the stylesheet applies under the page's CSP nonce"
    _shot(chrome, "01-sign-in")
    chrome.find_element(By.ID, "token").send_keys("not-the-token")
    _submit(chrome, "/console/sign-in")
    assert "That is not the admin token." in chrome.find_element(By.CSS_SELECTOR, ".error").text
    chrome.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    _submit(chrome, "/console/sign-in")
    _arrive(chrome, base + "/console")
    assert chrome.execute_script("return document.cookie") == "", "the session cookie is HttpOnly"

    # A tenant, created from the tenants page.
    chrome.find_element(By.ID, "tenant_id").send_keys("acme")
    Select(chrome.find_element(By.ID, "tier")).select_by_value("pro")
    _submit(chrome, "/console/tenants")
    _arrive(chrome, base + "/console/tenants/acme")

    # A key: shown once, copied with the button.
    Select(chrome.find_element(By.ID, "scope")).select_by_value("read_write")
    _submit(chrome, "/console/tenants/acme/keys")
    key = chrome.find_element(By.ID, "new-key").get_attribute("value")
    assert key.startswith("mnm_")
    copy = chrome.find_element(By.CSS_SELECTOR, "button.copy")
    copy.click()
    WebDriverWait(chrome, 5).until(
        lambda _: copy.text == "Copied"
    )  # the script ran (CSP allows it)
    _shot(chrome, "02-key-issued")
    chrome.get(base + "/console/tenants/acme")
    assert key not in chrome.page_source, "never shown again"

    # Real usage through the API: writes, reads, and calls refused by a one-per-second burst.
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        assert (
            client.post(
                "/v1/state", json={"agent_id": "support-bot", "data": {"step": 1}}
            ).status_code
            == 201
        )
        stored = client.post(
            "/v1/memory/semantic",
            json={"agent_id": "support-bot", "content": "Refunds take 5 days"},
        )
        assert stored.status_code == 201, stored.text
        client.post(
            "/v1/memory/episodic",
            json={
                "agent_id": "support-bot",
                "session_id": "t1",
                "type": "conversation",
                "content": "hello",
            },
        )
        server.admin("PATCH", "/v1/admin/tenants/acme", json={"limits": {"burst_per_second": 1}})
        statuses = [client.get("/v1/usage").status_code for _ in range(6)]
        assert 429 in statuses
    chrome.refresh()
    calls = chrome.find_elements(By.CSS_SELECTOR, "rect.bar-calls")
    throttled = chrome.find_elements(By.CSS_SELECTOR, "rect.bar-throttled")
    assert len(calls) == len(throttled) == 30
    assert float(calls[-1].get_attribute("height")) > 0, "today's calls are drawn"
    assert all(float(bar.get_attribute("height")) == 0 for bar in calls[:-1])
    assert float(throttled[-1].get_attribute("height")) > 0, "and today's throttled calls"
    vectors = chrome.find_elements(By.CSS_SELECTOR, "rect.bar-vectors")
    assert float(vectors[-1].get_attribute("height")) > 0
    row = chrome.find_element(By.XPATH, "//table[@id='agents']//tr[td[1]='support-bot']")
    assert [cell.text for cell in row.find_elements(By.TAG_NAME, "td")[1:7]] == [
        "1",
        "1",
        "1",
        "0",
        "0",
        "0",
    ]
    _shot(chrome, "03-tenant")

    # Revoke the key.
    chrome.find_element(By.CSS_SELECTOR, "#keys form button.danger").click()
    WebDriverWait(chrome, 15).until(lambda d: "revoked" in d.find_element(By.ID, "keys").text)
    assert httpx.get(base + "/v1/usage", headers=headers).status_code == 401

    # Purge the agent: the browser holds the form until the id is typed.
    purge = "/console/tenants/acme/agents/support-bot/purge"
    confirm = chrome.find_element(By.CSS_SELECTOR, f'form[action="{purge}"] input[name="confirm"]')
    confirm.send_keys("support")
    _submit(chrome, purge)
    assert chrome.current_url == base + "/console/tenants/acme", "a wrong id is not sent"
    confirm = chrome.find_element(By.CSS_SELECTOR, f'form[action="{purge}"] input[name="confirm"]')
    confirm.clear()
    confirm.send_keys("support-bot")
    _submit(chrome, purge)
    receipt = chrome.find_element(By.ID, "receipt")
    assert "Erased: agent support-bot of acme" in receipt.text
    counts = dict(
        (cells[0].text, cells[1].text)
        for cells in (
            r.find_elements(By.TAG_NAME, "td")
            for r in receipt.find_elements(By.CSS_SELECTOR, "tbody tr")
        )
    )
    assert counts["state"] == "1"
    assert counts["semantic"] == "1"
    assert counts["episodic"] == "1"
    _shot(chrome, "04-receipt")

    chrome.get(base + "/console")
    assert "acme" in chrome.find_element(By.ID, "tenants").text
    _shot(chrome, "05-tenants")
    chrome.get(base + "/console/service")
    assert "ok" in chrome.find_element(By.ID, "stores").text
    assert int(chrome.find_element(By.ID, "requests").text.replace(",", "")) > 10
    _shot(chrome, "06-service")

    # A phone-sized screen: nothing runs off the side.
    chrome.set_window_size(390, 844)
    for path, name in (
        ("/console/tenants/acme", "07-tenant-narrow"),
        ("/console", "08-tenants-narrow"),
    ):
        chrome.get(base + path)
        assert chrome.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        ), f"{path} fits a narrow screen"
        _shot(chrome, name)
    chrome.set_window_size(1280, 1000)

    problems = [
        entry
        for entry in chrome.get_log("browser")
        if entry["level"] == "SEVERE" and entry["source"] != "network"  # the refused sign-in
    ]
    assert problems == [], "no script errors and no CSP violations"

    chrome.find_element(By.CSS_SELECTOR, 'form[action="/console/sign-out"] button').click()
    _arrive(chrome, base + "/console/sign-in")
    chrome.get(base + "/console/service")
    assert chrome.current_url == base + "/console/sign-in", "signed out"
