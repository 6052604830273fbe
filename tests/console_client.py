"""The console as a browser on its own origin reaches it, simulated over the real app."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import falcon.testing

ADMIN_TOKEN = "test-admin-token-0123456789"  # the suite's (tests.conftest)

COOKIE = "mnemora_console"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Browser:
    """Requests as a browser on the console's own origin sends them."""

    api: Any  # tests.conftest.Api
    cookie: str | None = None

    def get(self, path: str, **kwargs: Any) -> falcon.testing.Result:
        cookies = {COOKIE: self.cookie} if self.cookie else None
        return self.api.client.simulate_get(path, cookies=cookies, **kwargs)

    def post(
        self, path: str, form: dict[str, str], *, headers: dict[str, str] | None = None
    ) -> falcon.testing.Result:
        cookies = {COOKIE: self.cookie} if self.cookie else None
        return self.api.client.simulate_post(
            path,
            body=urlencode(form),
            cookies=cookies,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": "http://falconframework.org",  # the test client's own origin
                **(headers or {}),
            },
        )

    def sign_in(self, token: str = ADMIN_TOKEN) -> falcon.testing.Result:
        answer = self.post("/console/sign-in", {"token": token})
        if COOKIE in answer.cookies and answer.cookies[COOKIE].value:
            self.cookie = answer.cookies[COOKIE].value
        return answer

    def csrf(self, path: str = "/console") -> str:
        found = _CSRF.search(self.get(path).text)
        assert found, "the page carries a CSRF token"
        return found.group(1)

    def change(self, path: str, form: dict[str, str] | None = None) -> falcon.testing.Result:
        """A form posted from a console page, with the session's token."""
        return self.post(path, {"csrf": self.csrf(), **(form or {})})
