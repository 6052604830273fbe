"""Key lookup takes the same time however much of a real key a guess shares.

The presented key is hashed before any lookup, so a guess that shares 42 of 43 characters with
a real key reaches the index with a hash as unrelated as a random guess's. This measures it:
interleaved samples, medians compared with a wide margin (not a latency target)."""

from __future__ import annotations

import secrets
import statistics
import time

from mnemora_server.auth import Authenticator
from mnemora_server.errors import UnauthorizedError
from mnemora_server.stores.base import Stores
from mnemora_server.tiers import DEFAULT_TIERS
from tests.conftest import Api


def _time_refusal(auth: Authenticator, key: str) -> float:
    started = time.perf_counter()
    try:
        auth.authenticate(key, time.time())
    except UnauthorizedError:
        return time.perf_counter() - started
    raise AssertionError("a wrong key was accepted")


def test_lookup_time_does_not_depend_on_shared_prefix(api: Api, stores: Stores) -> None:
    real = api.tenant("acme")
    for i in range(200):  # a realistic index, not a one-row table
        api.tenant(f"filler-{i}")
    auth = Authenticator(stores.accounts, DEFAULT_TIERS)
    near = real[:-1] + ("A" if real[-1] != "A" else "B")
    far = "mnm_" + secrets.token_urlsafe(32)
    samples: dict[str, list[float]] = {"near": [], "far": []}
    for _ in range(5):
        _time_refusal(auth, near)
        _time_refusal(auth, far)
    for _ in range(1500):
        samples["near"].append(_time_refusal(auth, near))
        samples["far"].append(_time_refusal(auth, far))
    ratio = statistics.median(samples["near"]) / statistics.median(samples["far"])
    assert 0.75 < ratio < 1.33, ratio
