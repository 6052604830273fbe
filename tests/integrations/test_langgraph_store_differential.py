"""MnemoraStore behaves like LangGraph's own InMemoryStore: the same random operations (puts,
deletes, gets, filtered searches without a query, namespace listings with prefixes, suffixes,
wildcards, depths and offsets) give the same results on both.

One difference is by design and normalised here: InMemoryStore keeps a namespace after its
last item is deleted, and even makes one when a missing namespace is read or deleted from (its
``defaultdict``), so it lists it and keeps its place in the listing order; Mnemora, like
LangGraph's PostgreSQL store, has a namespace exactly while it holds items. The reference is
an InMemoryStore whose namespaces behave that way (:class:`_Namespaces`).
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp
from langgraph.store.memory import InMemoryStore

from mnemora_integrations.langgraph import MnemoraStore
from tests.conftest import LiveServer

LABELS = ["a", "b", "users", "prefs", "x"]
namespaces = st.lists(st.sampled_from(LABELS), min_size=1, max_size=3).map(tuple)
keys = st.sampled_from(["k1", "k2", "k3", "k4"])
values = st.fixed_dictionaries(
    {
        "score": st.integers(0, 5),
        "kind": st.sampled_from(["a", "b", "c"]),
        "tags": st.fixed_dictionaries({"x": st.integers(0, 2)}),
    },
    optional={"opt": st.sampled_from(["p", "q"]), "list": st.lists(st.integers(0, 2), max_size=2)},
)
filters = st.one_of(
    st.none(),
    st.fixed_dictionaries({"kind": st.sampled_from(["a", "b", "c"])}),
    st.fixed_dictionaries({"opt": st.sampled_from(["p", "q"])}),
    st.fixed_dictionaries({"tags": st.fixed_dictionaries({"x": st.integers(0, 2)})}),
    st.fixed_dictionaries({"list": st.lists(st.integers(0, 2), max_size=2)}),
    st.fixed_dictionaries(
        {
            "score": st.dictionaries(
                st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]),
                st.integers(0, 5),
                min_size=1,
                max_size=2,
            )
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.fixed_dictionaries({"$ne": st.sampled_from(["a", "b"])}),
            "score": st.integers(0, 5),
        }
    ),
)
puts = st.builds(
    PutOp, namespaces, keys, st.one_of(values, st.none()), index=st.just(False), ttl=st.none()
)
gets = st.builds(GetOp, namespaces, keys, refresh_ttl=st.booleans())
searches = st.builds(
    SearchOp,
    st.lists(st.sampled_from(LABELS), max_size=2).map(tuple),
    filters,
    st.integers(0, 6),
    st.integers(0, 3),
    query=st.none(),
    refresh_ttl=st.booleans(),
)
conditions = st.builds(
    MatchCondition,
    st.sampled_from(["prefix", "suffix"]),
    st.lists(st.sampled_from([*LABELS, "*"]), min_size=1, max_size=2).map(tuple),
)
listings = st.builds(
    ListNamespacesOp,
    st.one_of(st.none(), st.lists(conditions, min_size=1, max_size=2).map(tuple)),
    st.one_of(st.none(), st.integers(1, 3)),
    st.integers(0, 10),
    st.integers(0, 3),
)
operations = st.lists(
    st.one_of(puts, puts, gets, searches, searches, listings), min_size=1, max_size=25
)
batches = st.lists(st.one_of(puts, gets, searches, listings), min_size=1, max_size=6)


class _Items(dict[str, Any]):
    """One namespace's items: it joins the store with its first item, leaves with its last."""

    def __init__(self, owner: _Namespaces, namespace: tuple[str, ...]) -> None:
        super().__init__()
        self._owner = owner
        self._namespace = namespace

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if self._namespace not in self._owner:
            dict.__setitem__(self._owner, self._namespace, self)

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key, *default)
        if not self and self._owner.get(self._namespace) is self:
            del self._owner[self._namespace]
        return value


class _Namespaces(dict[tuple[str, ...], _Items]):
    """InMemoryStore's namespaces, existing only while they hold items."""

    def __missing__(self, namespace: tuple[str, ...]) -> _Items:
        return _Items(self, namespace)


def _reference() -> InMemoryStore:
    reference = InMemoryStore()
    reference._data = _Namespaces()
    return reference


def _comparable(result: Any) -> Any:
    """Results without timestamps (the two stores keep their own clocks)."""
    if result is None:
        return None
    if isinstance(result, list):
        return [_comparable(r) for r in result]
    if isinstance(result, tuple):
        return result
    return (result.namespace, result.key, result.value)


def _run(ours: MnemoraStore, reference: InMemoryStore, ops: list[Any]) -> None:
    expected = reference.batch(ops)
    got = ours.batch(ops)
    assert [_comparable(r) for r in got] == [_comparable(r) for r in expected], ops


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_single_operations_match_the_in_memory_store(
    live: LiveServer, key: str, ops: list[Any]
) -> None:
    reference = _reference()
    with MnemoraStore(
        agent_id=f"agent-{uuid.uuid4().hex[:8]}", api_key=key, base_url=live.url, index=False
    ) as ours:
        for op in ops:
            _run(ours, reference, [op])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(groups=st.lists(batches, min_size=1, max_size=5))
def test_batches_match_the_in_memory_store(
    live: LiveServer, key: str, groups: list[list[Any]]
) -> None:
    """Within a batch, reads see the store before the batch's puts, the last put wins."""
    reference = _reference()
    with MnemoraStore(
        agent_id=f"agent-{uuid.uuid4().hex[:8]}", api_key=key, base_url=live.url, index=False
    ) as ours:
        for ops in groups:
            _run(ours, reference, ops)
