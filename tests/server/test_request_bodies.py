"""Bodies the server cannot read get a 400 that says what is wrong with them."""

from __future__ import annotations

import pytest

from tests.conftest import Api


@pytest.fixture
def key(api: Api) -> str:
    return api.tenant("acme")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"agent_id": "bot" "data": {}}', "Expecting ',' delimiter at line 1 column 20"),
        ("[" * 3000 + "]" * 3000, "nests JSON too deeply"),
        ('{"agent_id": "bot", "data": {"n": ' + "9" * 5000 + "}}", "more than 4300 digits"),
        ('{"agent_id": "bot", "data": {"n": NaN}}', "NaN is not valid JSON"),
        ("", "request body is empty"),
    ],
)
def test_unreadable_json_is_explained(api: Api, key: str, body: str, says: str) -> None:
    r = api.call(key, "POST", "/v1/state", body=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json["error"]["code"] == "INVALID_JSON"
    assert says in r.json["error"]["message"]
    assert api.call(key, "GET", "/v1/state/bot").status_code == 404, "nothing was written"
