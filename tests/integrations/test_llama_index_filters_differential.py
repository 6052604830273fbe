"""MetadataFilters mean on Mnemora what they mean in LlamaIndex: random nodes and random
(nested) filters, driven through MnemoraVectorStore on a live server and through LlamaIndex's
own in-memory ``SimpleVectorStore`` / its evaluator ``build_metadata_filter_fn``; the nodes
selected must be the same.

Each metadata key holds one kind of value, as real metadata does (a title is text, a price a
number): LlamaIndex's evaluator raises on comparisons across kinds, and Mnemora never equals
a boolean to a number where Python does (``True == 1``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.core.vector_stores.utils import build_metadata_filter_fn

from mnemora_integrations.llama_index import MnemoraVectorStore
from tests.conftest import LiveServer

WORDS = ["", "a", "ab", "B", "ba", "Hello World", "hello", "world"]
NUMBERS = [-1, 0, 1, 1.0, 1.5, 2, 10]
TEXT = st.sampled_from(WORDS)
NUMBER = st.sampled_from(NUMBERS)
DIM = 384

# The kind of each key, the values a node may hold there, and the operators that apply.
ORDERED = [FilterOperator.GT, FilterOperator.GTE, FilterOperator.LT, FilterOperator.LTE]
KEYS: dict[str, tuple[st.SearchStrategy[Any], list[FilterOperator]]] = {
    "title": (
        TEXT,
        [
            FilterOperator.EQ,
            FilterOperator.NE,
            *ORDERED,
            FilterOperator.IN,
            FilterOperator.NIN,
            FilterOperator.TEXT_MATCH,
            FilterOperator.TEXT_MATCH_INSENSITIVE,
            FilterOperator.CONTAINS,
            FilterOperator.ANY,
            FilterOperator.ALL,
            FilterOperator.IS_EMPTY,
        ],
    ),
    "price": (
        NUMBER,
        [
            FilterOperator.EQ,
            FilterOperator.NE,
            *ORDERED,
            FilterOperator.IN,
            FilterOperator.NIN,
            FilterOperator.IS_EMPTY,
        ],
    ),
    # LlamaIndex takes no boolean operand, so a boolean field can only be tested for emptiness.
    "ok": (st.booleans(), [FilterOperator.IS_EMPTY]),
    "tags": (
        st.lists(TEXT, max_size=3),
        [
            FilterOperator.CONTAINS,
            FilterOperator.ANY,
            FilterOperator.ALL,
            FilterOperator.IS_EMPTY,
            FilterOperator.EQ,
            FilterOperator.NE,
            FilterOperator.IN,
            FilterOperator.NIN,
        ],
    ),
}
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "title": TEXT,
    "price": NUMBER,
    "ok": TEXT,
    "tags": TEXT,
}


@st.composite
def metadata(draw: st.DrawFn) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, (values, _) in KEYS.items():
        kind = draw(st.sampled_from(["value", "value", "value", "missing", "null"]))
        if kind == "value":
            found[key] = draw(values)
        elif kind == "null":
            found[key] = None
    return found


@st.composite
def leaf(draw: st.DrawFn) -> MetadataFilter:
    key = draw(st.sampled_from([*KEYS, "absent"]))
    ops = KEYS[key][1] if key in KEYS else [FilterOperator.EQ, FilterOperator.NE]
    op = draw(st.sampled_from(ops))
    scalar = SCALARS.get(key, TEXT)
    if op in (FilterOperator.IN, FilterOperator.NIN, FilterOperator.ANY, FilterOperator.ALL):
        value: Any = draw(st.lists(scalar, max_size=3))
    elif op == FilterOperator.IS_EMPTY:
        value = None
    elif op in (FilterOperator.TEXT_MATCH, FilterOperator.TEXT_MATCH_INSENSITIVE):
        value = draw(TEXT)
    else:
        value = draw(scalar)
    return MetadataFilter(key=key, value=value, operator=op)


def filters(depth: int = 2) -> st.SearchStrategy[MetadataFilters]:
    child: st.SearchStrategy[Any] = leaf()
    if depth > 0:
        child = st.one_of(leaf(), leaf(), filters(depth - 1))
    return st.builds(
        lambda items, condition: MetadataFilters(filters=items, condition=condition),
        st.lists(child, min_size=1, max_size=3),
        st.sampled_from(list(FilterCondition)),
    )


def flat(f: MetadataFilters) -> bool:
    return all(isinstance(item, MetadataFilter) for item in f.filters)


def expected(f: MetadataFilters, meta: dict[str, Any]) -> bool:
    """LlamaIndex's own evaluator; nested groups combine their results by the same rules it
    applies to a flat list (it refuses nesting itself)."""
    if flat(f):
        return build_metadata_filter_fn(lambda _: meta, f)("node")
    results = [
        expected(item, meta)
        if isinstance(item, MetadataFilters)
        else expected(MetadataFilters(filters=[item]), meta)
        for item in f.filters
    ]
    condition = f.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return all(results)
    if condition == FilterCondition.OR:
        return any(results)
    return not any(results)


def nodes_of(metas: list[dict[str, Any]]) -> list[TextNode]:
    rng = np.random.default_rng(len(metas))
    vectors = rng.normal(size=(len(metas), DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        TextNode(id_=f"n{i}", text=f"node {i}", metadata=meta, embedding=vectors[i].tolist())
        for i, meta in enumerate(metas)
    ]


@pytest.fixture
def store(live: LiveServer, key: str, agent_id: str) -> Iterator[MnemoraVectorStore]:
    made = MnemoraVectorStore(
        agent_id=agent_id, api_key=key, base_url=live.url, client_embeddings=True
    )
    yield made
    made.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(metas=st.lists(metadata(), min_size=1, max_size=8), spec=filters())
def test_get_nodes_selects_what_llama_index_selects(
    store: MnemoraVectorStore, metas: list[dict[str, Any]], spec: MetadataFilters
) -> None:
    store.clear()
    nodes = nodes_of(metas)
    store.add(nodes)
    want = {n.node_id for n in nodes if expected(spec, n.metadata)}
    got = {n.node_id for n in store.get_nodes(filters=spec)}
    assert got == want, spec.model_dump()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(metas=st.lists(metadata(), min_size=1, max_size=8), spec=filters(depth=0))
def test_queries_filter_as_simple_vector_store_does(
    store: MnemoraVectorStore, metas: list[dict[str, Any]], spec: MetadataFilters
) -> None:
    store.clear()
    nodes = nodes_of(metas)
    store.add(nodes)
    simple = SimpleVectorStore()
    simple.add(nodes)
    size = len(nodes)
    reference = simple.query(
        VectorStoreQuery(query_embedding=nodes[0].embedding, similarity_top_k=size, filters=spec)
    )
    ours = store.query(VectorStoreQuery(query_str="node", similarity_top_k=size, filters=spec))
    assert set(ours.ids or []) == set(reference.ids or []), spec.model_dump()
