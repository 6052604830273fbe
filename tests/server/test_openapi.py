"""The OpenAPI document describes every route, from the same models that validate requests."""

from __future__ import annotations

from mnemora_server.app import build_routes
from mnemora_server.embeddings.base import Embedder
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from tests.conftest import Api


def test_every_responder_is_documented(
    api: Api, settings: Settings, stores: Stores, embedder: Embedder
) -> None:
    doc = api.client.simulate_get("/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    for path, resource in build_routes(settings, stores, embedder, lambda: 0.0):
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(resource, "on_" + method):
                assert method in doc["paths"].get(path, {}), f"{method.upper()} {path}"


def test_documented_schemas_resolve(api: Api) -> None:
    doc = api.client.simulate_get("/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    text = str(doc)
    import re

    for ref in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert ref in schemas, ref
    state_write = schemas["StateWrite"]
    assert set(state_write["required"]) == {"agent_id", "data"}
    post = doc["paths"]["/v1/state"]["post"]
    assert "201" in post["responses"]
    assert "429" in post["responses"]
