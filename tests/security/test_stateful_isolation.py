"""A stateful property test: several tenants drive random sequences of API operations with
adversarial inputs; after every step no answer holds another tenant's data, and each tenant's
view equals a simple model of what it wrote."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from mnemora_server.app import create_app
from mnemora_server.embeddings.hashing import HashEmbedder
from mnemora_server.identifiers import identifier_problem
from mnemora_server.settings import Settings
from mnemora_server.stores.registry import open_stores
from tests.conftest import ADMIN_TOKEN, Api

TENANTS = ("tenant-a", "tenant-b", "tenant-c")

ADVERSARIAL = [
    "bot",
    "agent-1",
    "a'; DROP TABLE state; --",
    '{"$ne": null}',
    "bot#1",
    "../tenant-b",
    "tenant-b/bot",
    "b\u043ebt",
    "",
    " ",
    "x" * 257,
    ".hidden",
    "semantic",
    "search",
    "bot\n",
    "tenant-a",
    "tenant-b",
    "tenant-c",
    "%2e%2e",
    "ok:name@x",
]
agent_ids = st.sampled_from(["bot", "agent-1", "tenant-b", "ok:name@x"]) | st.sampled_from(
    ADVERSARIAL
)
session_ids = st.sampled_from(["default", "s1", "s2"]) | st.sampled_from(ADVERSARIAL)
names = st.sampled_from(["refund", "tone"]) | st.sampled_from(ADVERSARIAL)
tenants = st.sampled_from(TENANTS)


def marker(tenant: str, n: int) -> str:
    return f"SECRET-{tenant}-{n}"


class TenantIsolation(RuleBasedStateMachine):
    """Each tenant's model: its live state documents, memories and episodes."""

    memories = Bundle("memories")

    def settings_for(self, data_dir: Path) -> Settings:
        """The configuration under test: the embedded default."""
        return Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN)

    def __init__(self) -> None:
        super().__init__()
        self._dir = tempfile.TemporaryDirectory()
        data_dir = Path(self._dir.name) / "data"
        app_settings = self.settings_for(data_dir)
        self.stores = open_stores(app_settings, dimension=64)
        self.stores.setup()
        app = create_app(app_settings, self.stores, embedder=HashEmbedder(64))
        self.api = Api(falcon.testing.TestClient(app))
        limits = {"calls_per_day": 10**9, "burst_per_second": 10**9}
        self.keys = {t: self.api.tenant(t, limits=limits) for t in TENANTS}
        self.state: dict[str, dict[tuple[str, str], Any]] = {t: {} for t in TENANTS}
        self.semantic: dict[str, dict[str, str]] = {t: {} for t in TENANTS}
        self.episodes: dict[str, dict[str, list[str]]] = {t: {} for t in TENANTS}
        self.procedures: dict[str, dict[tuple[str, str], str]] = {t: {} for t in TENANTS}
        self.idempotent: dict[str, dict[str, tuple[str, str]]] = {t: {} for t in TENANTS}
        self.counter = 0
        self.last_text: dict[str, str] = {}

    def teardown(self) -> None:
        self.stores.close()
        self._dir.cleanup()

    # -- helpers -------------------------------------------------------------------------------

    def call(self, tenant: str, method: str, path: str, **kwargs: Any) -> Any:
        result = self.api.call(self.keys[tenant], method, path, **kwargs)
        assert result.status_code < 500, (method, path, result.text)
        self.last_text[tenant] = result.text
        return result

    def next_marker(self, tenant: str) -> str:
        self.counter += 1
        return marker(tenant, self.counter)

    @staticmethod
    def valid(value: str, *, agent: bool = False) -> bool:
        return identifier_problem(value, agent=agent) is None

    # -- working memory --------------------------------------------------------------------------

    @rule(tenant=tenants, agent=agent_ids, session=session_ids, spoof=tenants)
    def put_state(self, tenant: str, agent: str, session: str, spoof: str) -> None:
        data = {"secret": self.next_marker(tenant)}
        body = {"agent_id": agent, "session_id": session, "data": data, "tenant_id": spoof}
        r = self.call(tenant, "POST", "/v1/state", json=body, headers={"X-Tenant-ID": spoof})
        if self.valid(agent, agent=True) and self.valid(session):
            assert r.status_code == 201, r.text
            self.state[tenant][(agent, session)] = data
        else:
            assert r.status_code == 400, r.text

    @rule(tenant=tenants, agent=agent_ids, session=session_ids)
    def read_state(self, tenant: str, agent: str, session: str) -> None:
        r = self.call(tenant, "GET", f"/v1/state/{agent}", params={"session_id": session})
        expected = self.state[tenant].get((agent, session))
        if expected is not None:
            assert r.status_code == 200
            assert r.json["data"]["data"] == expected
        else:
            assert r.status_code in (400, 404, 405)

    @rule(tenant=tenants, agent=agent_ids, session=session_ids)
    def delete_state(self, tenant: str, agent: str, session: str) -> None:
        r = self.call(tenant, "DELETE", f"/v1/state/{agent}/{session}")
        if self.state[tenant].pop((agent, session), None) is not None:
            assert r.status_code == 204, r.text
        else:
            assert r.status_code in (400, 404, 405)

    # -- semantic memory -------------------------------------------------------------------------

    @rule(target=memories, tenant=tenants, agent=st.sampled_from(["bot", "agent-1"]))
    def store_memory(self, tenant: str, agent: str) -> tuple[str, str]:
        text = f"{self.next_marker(tenant)} note {self.counter}"
        r = self.call(
            tenant,
            "POST",
            "/v1/memory/semantic",
            json={"agent_id": agent, "content": text, "dedup": False},
        )
        assert r.status_code == 201, r.text
        self.semantic[tenant][r.json["data"]["id"]] = text
        return tenant, r.json["data"]["id"]

    @rule(tenant=tenants, memory=memories)
    def read_memory(self, tenant: str, memory: tuple[str, str]) -> None:
        owner, memory_id = memory
        r = self.call(tenant, "GET", f"/v1/memory/semantic/{memory_id}")
        if owner == tenant and memory_id in self.semantic[tenant]:
            assert r.json["data"]["content"] == self.semantic[tenant][memory_id]
        else:
            assert r.status_code == 404

    @rule(tenant=tenants, memory=memories)
    def delete_memory(self, tenant: str, memory: tuple[str, str]) -> None:
        owner, memory_id = memory
        r = self.call(tenant, "DELETE", f"/v1/memory/semantic/{memory_id}")
        if owner == tenant and self.semantic[tenant].pop(memory_id, None) is not None:
            assert r.status_code == 204
        else:
            assert r.status_code == 404

    @rule(
        tenant=tenants,
        query=st.sampled_from(["note", "SECRET", "tenant-a", "' OR 1=1 --", '" OR "', "*"]),
        mode=st.sampled_from(["hybrid", "vector", "keyword"]),
    )
    def search(self, tenant: str, query: str, mode: str) -> None:
        r = self.call(
            tenant,
            "POST",
            "/v1/memory/semantic/search",
            json={
                "query": query,
                "mode": mode,
                "threshold": -1,
                "top_k": 100,
                "metadata_filter": {"$or": [{"x": {"$exists": False}}, {"x": {"$exists": True}}]},
            },
        )
        assert r.status_code == 200
        found = {hit["id"] for hit in r.json["data"]["results"]}
        assert found <= set(self.semantic[tenant])
        if mode == "vector":
            assert found == set(self.semantic[tenant]), "every live memory is found"

    # -- procedural memory -----------------------------------------------------------------------

    @rule(tenant=tenants, agent=st.sampled_from(["bot", "agent-1"]), name=names)
    def store_procedure(self, tenant: str, agent: str, name: str) -> None:
        secret = self.next_marker(tenant)
        r = self.call(
            tenant,
            "POST",
            "/v1/memory/procedural",
            json={
                "agent_id": agent,
                "name": name,
                "type": "rule",
                "definition": {"when": secret},
                "tenant_id": "tenant-a",
            },
        )
        if self.valid(name):
            assert r.status_code == 201, r.text
            self.procedures[tenant][(agent, name)] = secret
        else:
            assert r.status_code == 400, r.text

    @rule(tenant=tenants, agent=st.sampled_from(["bot", "agent-1"]), name=names)
    def read_procedure(self, tenant: str, agent: str, name: str) -> None:
        r = self.call(tenant, "GET", f"/v1/memory/procedural/{agent}/{name}")
        expected = self.procedures[tenant].get((agent, name))
        if name == "":  # the path is the agent's listing, checked below
            pass
        elif expected is not None:
            assert r.status_code == 200, r.text
            assert r.json["data"]["definition"] == {"when": expected}
        else:
            assert r.status_code in (400, 404, 405)
        listed = self.call(tenant, "GET", f"/v1/memory/procedural/{agent}", params={"limit": "100"})
        assert {p["name"] for p in listed.json["data"]["procedures"]} == {
            n for (a, n) in self.procedures[tenant] if a == agent
        }

    @rule(tenant=tenants, agent=st.sampled_from(["bot", "agent-1"]), name=names)
    def delete_procedure(self, tenant: str, agent: str, name: str) -> None:
        r = self.call(tenant, "DELETE", f"/v1/memory/procedural/{agent}/{name}")
        if self.procedures[tenant].pop((agent, name), None) is not None:
            assert r.status_code == 200, r.text
        else:
            assert r.status_code in (400, 404, 405)

    # -- idempotent retries ----------------------------------------------------------------------

    @rule(tenant=tenants, key=st.sampled_from(["k1", "k2", "retry-1"]), same=st.booleans())
    def idempotent_episode(self, tenant: str, key: str, same: bool) -> None:
        """Keys are per tenant: the same key in another tenant is another request, and a
        replay never answers with another tenant's first response."""
        first = self.idempotent[tenant].get(key)
        text = first[0] if first is not None and same else self.next_marker(tenant)
        r = self.call(
            tenant,
            "POST",
            "/v1/memory/episodic",
            json={"agent_id": "idem", "session_id": "s1", "type": "action", "content": text},
            headers={"Idempotency-Key": key},
        )
        if first is None:
            assert r.status_code == 201, r.text
            assert r.headers.get("Idempotent-Replayed") is None
            self.idempotent[tenant][key] = (text, r.json["data"]["id"])
            self.episodes[tenant].setdefault("idem", []).append(text)
        elif same:
            assert r.status_code == 201, r.text
            assert r.headers.get("Idempotent-Replayed") == "true"
            assert r.json["data"]["id"] == first[1]
        else:
            assert r.status_code == 409, r.text

    # -- episodes and purge ------------------------------------------------------------------------

    @rule(tenant=tenants, agent=agent_ids)
    def add_episode(self, tenant: str, agent: str) -> None:
        text = self.next_marker(tenant)
        r = self.call(
            tenant,
            "POST",
            "/v1/memory/episodic",
            json={"agent_id": agent, "session_id": "s1", "type": "action", "content": text},
        )
        if self.valid(agent, agent=True):
            assert r.status_code == 201
            self.episodes[tenant].setdefault(agent, []).append(text)
        else:
            assert r.status_code == 400

    @rule(tenant=tenants, agent=agent_ids)
    def replay(self, tenant: str, agent: str) -> None:
        r = self.call(tenant, "GET", f"/v1/memory/episodic/{agent}/sessions/s1")
        if self.valid(agent, agent=True):
            assert [e["content"] for e in r.json["data"]["episodes"]] == self.episodes[tenant].get(
                agent, []
            )

    @rule(tenant=tenants, agent=agent_ids)
    def purge(self, tenant: str, agent: str) -> None:
        r = self.call(tenant, "DELETE", f"/v1/memory/{agent}")
        if not self.valid(agent, agent=True):
            assert r.status_code in (400, 404, 405)
            return
        self.state[tenant] = {k: v for k, v in self.state[tenant].items() if k[0] != agent}
        self.episodes[tenant].pop(agent, None)
        self.procedures[tenant] = {
            k: v for k, v in self.procedures[tenant].items() if k[0] != agent
        }
        listed = self.call(
            tenant, "GET", "/v1/memory/semantic", params={"agent_id": agent, "limit": "1000"}
        )
        assert listed.json["data"]["count"] == 0
        self.semantic[tenant] = {
            mid: text
            for mid, text in self.semantic[tenant].items()
            if self.call(tenant, "GET", f"/v1/memory/semantic/{mid}").status_code == 200
        }

    @rule(tenant=tenants)
    def export(self, tenant: str) -> None:
        r = self.call(tenant, "GET", "/v1/export")
        lines = [json.loads(line) for line in r.text.splitlines()]
        exported = {line["id"] for line in lines if line["kind"] == "semantic"}
        assert exported == set(self.semantic[tenant])

    # -- the invariant -------------------------------------------------------------------------

    @invariant()
    def no_answer_holds_another_tenants_data(self) -> None:
        for tenant, text in self.last_text.items():
            for other in TENANTS:
                if other != tenant:
                    assert f"SECRET-{other}-" not in text, (tenant, other, text[:500])


TenantIsolation.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
test_tenants_never_see_each_other = TenantIsolation.TestCase

#: Set by the fixture below for the production-backend run of the same machine.
_PRODUCTION: dict[str, Any] = {}


class TenantIsolationOnProductionBackends(TenantIsolation):
    """The same machine over DynamoDB, S3 (moto over HTTP) and PostgreSQL with RLS."""

    def settings_for(self, data_dir: Path) -> Settings:
        suffix = uuid.uuid4().hex[:8]
        moto, database = _PRODUCTION["moto"], _PRODUCTION["postgres"].fresh_database()
        dynamo = f"dynamodb://stateful-{suffix}?endpoint_url={moto}"
        return Settings(
            data_dir=data_dir,
            admin_token=ADMIN_TOKEN,
            accounts_url=dynamo,
            state_url=dynamo,
            episodes_url=dynamo,
            cold_url=f"s3://stateful-{suffix}/cold?endpoint_url={moto}",
            vector_url=database.app_url,
            procedures_url=database.app_url,
            postgres_admin_url=database.admin_url,
        )


TenantIsolationOnProductionBackends.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def production_backends(moto_url: str, postgres: Any) -> Iterator[None]:
    _PRODUCTION.update(moto=moto_url, postgres=postgres)
    yield
    _PRODUCTION.clear()


@pytest.mark.usefixtures("production_backends")
class TestTenantsNeverSeeEachOtherOnProductionBackends(
    TenantIsolationOnProductionBackends.TestCase  # type: ignore[misc, valid-type]
):
    """Runs the state machine with the production backends."""
