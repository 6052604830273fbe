"""Every documented route, fuzzed from ``GET /v1/openapi.json`` with schemathesis: no 5xx,
every answer matches the documented schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import falcon.testing
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from mnemora_server.app import create_app
from mnemora_server.embeddings.hashing import HashEmbedder
from mnemora_server.settings import Settings
from mnemora_server.stores.registry import open_stores
from tests.conftest import ADMIN_TOKEN, Api

_KEY: dict[str, str] = {}


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: object, value: object) -> bytes:
    """An import body as schemathesis made it: a string is sent as it is (NDJSON is text)."""
    return value.encode() if isinstance(value, str) else repr(value).encode()


@pytest.fixture(scope="module")
def fuzz_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    # The hash embedder keeps thousands of fuzzed writes fast; the model is not under test here.
    data_dir = Path(tmp_path_factory.mktemp("fuzz")) / "data"
    fuzz_settings = Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN)
    stores = open_stores(fuzz_settings, dimension=384)
    stores.setup()
    app = create_app(fuzz_settings, stores, embedder=HashEmbedder(384))
    api = Api(falcon.testing.TestClient(app))
    _KEY["tenant"] = api.tenant(
        "fuzzed", limits={"calls_per_day": 10**9, "burst_per_second": 10**9}
    )
    yield schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    stores.close()


def _fuzzer(
    operation: schemathesis.APIOperation, token: str, mode: GenerationMode
) -> Callable[[], None]:
    # Summaries answer a documented 501 on a server without an LLM (this one).
    documented_501 = operation.path.endswith("/summarize")
    applied = [checks.response_schema_conformance]
    if not documented_501:
        applied.append(checks.not_a_server_error)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            checks=applied,
        )

    return fuzz  # type: ignore[no-any-return]


def test_no_route_answers_5xx_or_off_schema(fuzz_schema: schemathesis.BaseSchema) -> None:
    # Driven through schemathesis' Python API: its pytest plugin does not load under pytest 9.
    failures: list[str] = []
    operations = 0
    for result in fuzz_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        token = ADMIN_TOKEN if operation.path.startswith("/v1/admin") else _KEY["tenant"]

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz = _fuzzer(operation, token, mode)
            try:
                fuzz()
            except Unsatisfiable:
                continue  # an operation without inputs has no invalid input to send
            except Exception as exc:  # collect every operation's failure, then fail once
                failures.append(f"{mode.value} {operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
