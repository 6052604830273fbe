"""The LangChain classes beyond the standard suites: filters, scores, MMR, long documents,
purge, chat sessions, the byte store's keys, and two customers apart."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from mnemora import MnemoraClient, MnemoraSync
from mnemora_integrations.langchain import (
    MnemoraByteStore,
    MnemoraChatMessageHistory,
    MnemoraRetriever,
    MnemoraVectorStore,
    UnsupportedFilterError,
    create_memory_tools,
    translate_filter,
)
from tests.conftest import LiveServer

DOCS = [
    Document(
        "Refunds reach the original card within 5 days.", metadata={"topic": "billing", "n": 1}
    ),
    Document(
        "Invoices are emailed on the first of the month.", metadata={"topic": "billing", "n": 2}
    ),
    Document("Parcels to Norway take 3 to 5 days.", metadata={"topic": "shipping", "n": 3}),
    Document("Parcels to Spain take 2 days.", metadata={"topic": "shipping", "n": 4.5}),
    Document("Reset your password under Settings.", metadata={"topic": "account", "n": 5}),
]


@pytest.fixture
def store(live: LiveServer, key: str, agent_id: str) -> MnemoraVectorStore:
    made = MnemoraVectorStore(agent_id=agent_id, api_key=key, base_url=live.url)
    made.add_documents(DOCS, ids=[f"d{i}" for i in range(len(DOCS))])
    return made


def test_filters_translate_to_the_servers_and_refuse_what_it_cannot_do() -> None:
    assert translate_filter(None) is None
    assert translate_filter({}) is None
    assert translate_filter({"a": 1}) == {"a": 1}
    assert translate_filter({"a": 1, "b": {"$in": (1, 2)}}) == {
        "$and": [{"a": 1}, {"b": {"$in": [1, 2]}}]
    }
    assert translate_filter({"n": {"$between": [1, 3]}}) == {"n": {"$gte": 1, "$lte": 3}}
    assert translate_filter({"$or": [{"a": 1}, {"$not": [{"b": 2}, {"c": 3}]}]}) == {
        "$or": [{"a": 1}, {"$not": {"$and": [{"b": 2}, {"c": 3}]}}]
    }
    for bad in (
        {"a": {"$like": "x%"}},
        {"a": {"$ilike": "x%"}},
        {"a": {"$regex": "."}},
        {"$nor": [{"a": 1}]},
        {"$and": []},
        {"$or": {"a": 1}},
        {"n": {"$between": [1]}},
    ):
        with pytest.raises(UnsupportedFilterError) as raised:
            translate_filter(bad)
        assert isinstance(raised.value, ValueError)
        assert raised.value.code == "UNSUPPORTED_FILTER"


def test_search_filters_scores_and_exact_metadata(store: MnemoraVectorStore) -> None:
    hits = store.similarity_search_with_score("how long do refunds take?", k=5)
    assert hits[0][0] == Document(
        DOCS[0].page_content, metadata={"topic": "billing", "n": 1}, id="d0"
    )
    assert isinstance(hits[0][0].metadata["n"], int)
    assert isinstance(store.get_by_ids(["d3"])[0].metadata["n"], float)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in scores)
    relevance = store.similarity_search_with_relevance_scores("how long do refunds take?", k=5)
    assert all(0.0 <= r <= 1.0 for _, r in relevance)
    assert relevance[0][1] == pytest.approx((scores[0] + 1) / 2, abs=1e-6)
    shipping = store.similarity_search("delivery time", k=5, filter={"topic": "shipping"})
    assert {d.id for d in shipping} == {"d2", "d3"}
    ranged = store.similarity_search("anything", k=5, filter={"n": {"$between": [2, 4.5]}})
    assert {d.id for d in ranged} == {"d1", "d2", "d3"}
    negated = store.similarity_search("anything", k=5, filter={"$not": {"topic": "billing"}})
    assert {d.id for d in negated} == {"d2", "d3", "d4"}
    with pytest.raises(UnsupportedFilterError, match=r"\$like"):
        store.similarity_search("x", filter={"topic": {"$like": "bill%"}})
    with pytest.raises(TypeError, match="filters"):
        store.similarity_search("x", filters={"topic": "billing"})
    threshold = store.as_retriever(
        search_type="similarity_score_threshold", search_kwargs={"score_threshold": 0.8, "k": 5}
    ).invoke("how long do refunds take?")
    assert [d.id for d in threshold][:1] == ["d0"]
    assert len(threshold) < 5


def test_mmr_prefers_diverse_documents(store: MnemoraVectorStore) -> None:
    store.add_texts(["Parcels to Norway take three to five days."], ids=["near-copy"])
    plain = store.similarity_search("shipping time to Norway", k=2)
    assert {d.id for d in plain} == {"d2", "near-copy"}
    diverse = store.max_marginal_relevance_search(
        "shipping time to Norway", k=2, fetch_k=6, lambda_mult=0.3
    )
    assert diverse[0].id in {"d2", "near-copy"}
    assert diverse[1].id not in {"d2", "near-copy"}
    via_retriever = store.as_retriever(
        search_type="mmr", search_kwargs={"k": 2, "fetch_k": 6, "lambda_mult": 0.3}
    ).invoke("shipping time to Norway")
    assert [d.id for d in via_retriever] == [d.id for d in diverse]


async def test_async_twins(live: LiveServer, key: str, agent_id: str) -> None:
    store = await MnemoraVectorStore.afrom_texts(
        ["alpha particle", "beta decay"],
        metadatas=[{"k": 1}, {"k": 2}],
        ids=["a", "b"],
        agent_id=agent_id,
        api_key=key,
        base_url=live.url,
    )
    assert [d.id for d in await store.asimilarity_search("beta", k=1)] == ["b"]
    mmr = await store.amax_marginal_relevance_search("alpha", k=1, fetch_k=2)
    assert [d.id for d in mmr] == ["a"]
    assert [d.metadata for d in await store.aget_by_ids(["b", "a"])] == [{"k": 2}, {"k": 1}]
    assert await store.adelete(["a"]) is True
    assert await store.apurge() == 1
    assert await store.aget_by_ids(["a", "b"]) == []
    await store.aclose()


def test_many_large_documents_go_in_requests_the_server_takes(
    live: LiveServer, key: str, agent_id: str
) -> None:
    store = MnemoraVectorStore(agent_id=agent_id, api_key=key, base_url=live.url)
    # 240,000 characters to embed: two requests, each embedded well within the timeout.
    texts = [f"Document {i}. " + "Routine words about parcels. " * 68 for i in range(120)]
    assert all(len(t) <= 2000 for t in texts)
    ids = store.add_texts(texts, metadatas=[{"i": i} for i in range(120)])
    assert len(ids) == 120
    back = store.get_by_ids(ids)
    assert sorted(d.metadata["i"] for d in back) == list(range(120))


def test_long_documents_come_back_as_their_matching_chunk(store: MnemoraVectorStore) -> None:
    filler = " ".join(f"Clause {i} covers routine terms of service." for i in range(80))
    text = filler + " The warranty on espresso machines lasts 24 months. " + filler
    store.add_texts([text], metadatas=[{"doc": "terms"}], ids=["terms"])
    (hit,) = store.similarity_search("espresso machine warranty", k=1)
    assert hit.id == "terms"
    assert "espresso" in hit.page_content
    assert len(hit.page_content) < len(text)
    assert hit.metadata == {"doc": "terms"}
    (whole,) = store.get_by_ids(["terms"])
    assert whole.page_content == text


def test_delete_needs_ids_and_purge_empties_only_this_namespace(
    live: LiveServer, key: str, agent_id: str, store: MnemoraVectorStore
) -> None:
    with pytest.raises(ValueError, match="purge"):
        store.delete()
    other = MnemoraVectorStore.from_texts(
        ["kept elsewhere"],
        ids=["other-1"],
        agent_id=agent_id,
        namespace="archive",
        api_key=key,
        base_url=live.url,
    )
    with pytest.raises(ValueError, match="server's model"):
        MnemoraVectorStore.from_texts(["x"], embedding=object(), agent_id=agent_id, api_key=key)  # type: ignore[arg-type]
    assert store.get_by_ids(["other-1"]) == [], "another namespace is out of this store's reach"
    store.delete(["other-1"])
    assert other.get_by_ids(["other-1"])[0].page_content == "kept elsewhere"
    assert store.purge() == len(DOCS)
    assert store.similarity_search("refunds", k=4) == []
    assert [d.id for d in other.similarity_search("kept", k=4)] == ["other-1"]


def test_retriever_overrides_per_call(
    store: MnemoraVectorStore, live: LiveServer, key: str
) -> None:
    retriever = MnemoraRetriever(
        agent_id=store.agent_id, api_key=key, base_url=live.url, k=2, filter={"topic": "billing"}
    )
    assert {d.id for d in retriever.invoke("money")} <= {"d0", "d1"}
    shipping = retriever.invoke("parcels", k=1, filter={"topic": "shipping"}, search_mode="keyword")
    assert len(shipping) == 1
    assert shipping[0].metadata["topic"] == "shipping"
    assert key not in repr(retriever), "the key never shows in a repr"
    with pytest.raises(TypeError, match="top_k"):
        retriever.invoke("x", top_k=3)


def test_chat_history_sessions_are_separate(live: LiveServer, key: str, agent_id: str) -> None:
    one = MnemoraChatMessageHistory(
        session_id="chat 1/with spaces", agent_id=agent_id, api_key=key, base_url=live.url
    )
    two = MnemoraChatMessageHistory(
        session_id="chat-2", agent_id=agent_id, api_key=key, base_url=live.url
    )
    messages = [
        HumanMessage("Where is my parcel?", id="m1"),
        AIMessage("", tool_calls=[{"name": "track", "args": {"id": 7}, "id": "c1"}], id="m2"),
        ToolMessage("in Oslo", tool_call_id="c1", id="m3"),
        AIMessage("It is in Oslo.", id="m4", response_metadata={"model": "x"}),
    ]
    one.add_messages(messages)
    two.add_user_message("Hello")
    assert one.messages == messages
    assert [m.text for m in two.messages] == ["Hello"]
    one.clear()
    assert one.messages == []
    assert [m.text for m in two.messages] == ["Hello"]


async def test_chat_history_async(live: LiveServer, key: str, agent_id: str) -> None:
    history = MnemoraChatMessageHistory(
        session_id="s", agent_id=agent_id, client=MnemoraClient(api_key=key, base_url=live.url)
    )
    await history.aadd_messages([HumanMessage("hi"), AIMessage("hello")])
    assert [m.type for m in await history.aget_messages()] == ["human", "ai"]
    await history.aclear()
    assert await history.aget_messages() == []


def test_byte_store_keys_namespaces_and_sizes(live: LiveServer, key: str, agent_id: str) -> None:
    cache = MnemoraByteStore(
        agent_id=agent_id, namespace="embeddings", api_key=key, base_url=live.url
    )
    docs = MnemoraByteStore(agent_id=agent_id, namespace="docs", api_key=key, base_url=live.url)
    odd = "ünïcode / key with spaces ? & #"
    cache.mset([(odd, b"\xff\x00"), ("plain", b"1"), ("plain", b"2")])
    docs.mset([("plain", b"doc")])
    assert cache.mget([odd, "plain", "missing"]) == [b"\xff\x00", b"2", None]
    assert docs.mget(["plain", odd]) == [b"doc", None]
    assert sorted(cache.yield_keys()) == sorted([odd, "plain"])
    assert list(cache.yield_keys(prefix="ünï")) == [odd]
    with MnemoraSync(api_key=key, base_url=live.url) as client:
        client.store_state(agent_id, {"other": "use"}, session_id="ordinary-session")
    assert sorted(cache.yield_keys()) == sorted([odd, "plain"]), "other sessions are not keys"
    with pytest.raises(ValueError, match="at most"):
        cache.mset([("k" * 200, b"x")])
    with pytest.raises(TypeError, match="bytes"):
        cache.mset([("k", "text")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="namespace"):
        MnemoraByteStore(agent_id=agent_id, namespace="a:b", api_key=key)


def test_memory_tools_search_and_save(live: LiveServer, key: str, agent_id: str) -> None:
    search, save = create_memory_tools(agent_id=agent_id, api_key=key, base_url=live.url, k=3)
    assert (search.name, save.name) == ("search_memory", "save_memory")
    assert search.invoke({"query": "anything"}) == "No stored memories match this query."
    assert save.invoke({"content": "The customer's plan is Pro"}).startswith("Saved as memory ")
    assert save.invoke({"content": "The customer's plan is Pro"}).startswith("Already known")
    found = search.invoke({"query": "which plan?"})
    assert "The customer's plan is Pro" in found


def test_two_customers_never_meet(live: LiveServer, agent_id: str) -> None:
    alice = live.tenant(f"alice-{uuid.uuid4().hex[:6]}")
    bob = live.tenant(f"bob-{uuid.uuid4().hex[:6]}")
    url = live.url
    a_store = MnemoraVectorStore(agent_id=agent_id, api_key=alice, base_url=url)
    b_store = MnemoraVectorStore(agent_id=agent_id, api_key=bob, base_url=url)
    a_store.add_texts(["Alice's secret code is 9931"], ids=["secret"])
    assert b_store.get_by_ids(["secret"]) == []
    assert b_store.similarity_search("secret code", k=4) == []
    b_store.delete(["secret"])
    assert b_store.purge() == 0
    b_store.add_texts(["Bob's own note"], ids=["secret"])
    assert a_store.get_by_ids(["secret"])[0].page_content == "Alice's secret code is 9931"
    b_hits = MnemoraRetriever(agent_id=agent_id, api_key=bob, base_url=url).invoke("code 9931")
    assert all("9931" not in d.page_content for d in b_hits)
    a_kv = MnemoraByteStore(agent_id=agent_id, api_key=alice, base_url=url)
    b_kv = MnemoraByteStore(agent_id=agent_id, api_key=bob, base_url=url)
    a_kv.mset([("token", b"alice")])
    assert b_kv.mget(["token"]) == [None]
    assert list(b_kv.yield_keys()) == []
    b_kv.mdelete(["token"])
    assert a_kv.mget(["token"]) == [b"alice"]
    a_chat = MnemoraChatMessageHistory(
        session_id="s", agent_id=agent_id, api_key=alice, base_url=url
    )
    b_chat = MnemoraChatMessageHistory(session_id="s", agent_id=agent_id, api_key=bob, base_url=url)
    a_chat.add_user_message("Alice speaking")
    assert b_chat.messages == []
    b_chat.clear()
    assert [m.text for m in a_chat.messages] == ["Alice speaking"]
    b_search, _ = create_memory_tools(agent_id=agent_id, api_key=bob, base_url=url)
    assert "9931" not in b_search.invoke({"query": "secret code 9931"})


async def test_every_class_closes_what_it_opened(live: LiveServer, key: str, agent_id: str) -> None:
    common = {"agent_id": agent_id, "api_key": key, "base_url": live.url}
    with MnemoraVectorStore(**common) as store:
        store.similarity_search("x")
        sync_client = store._clients.sync
    assert sync_client._http.is_closed
    async with MnemoraByteStore(**common) as kv:
        await kv.amget(["x"])
        async_client = kv._clients.aio
    assert async_client._http.is_closed
    given = MnemoraSync(api_key=key, base_url=live.url)
    with MnemoraRetriever(agent_id=agent_id, client=given) as retriever:
        retriever.invoke("x")
    assert not given._http.is_closed, "a client passed in stays open: its owner closes it"
    given.close()
