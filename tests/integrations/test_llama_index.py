"""LlamaIndex on Mnemora, against a live server on both configurations: an index end to end,
the vector store's reads, writes and modes, the chat stores, the memory block in an agent
that survives a process restart, and two customers side by side."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from llama_index.core import Document, StorageContext, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import MockLLM
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.storage.chat_store.base_db import MessageStatus
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)

from mnemora import MnemoraClient, MnemoraSync
from mnemora_integrations.llama_index import (
    MnemoraChatStore,
    MnemoraEmbedding,
    MnemoraMemoryBlock,
    MnemoraVectorStore,
    UnsupportedFilterError,
)
from tests.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    Document(
        text="Refunds reach the original card within 5 business days.",
        doc_id="faq-refunds",
        metadata={"topic": "billing", "rank": 1},
    ),
    Document(
        text="Parcels to Norway take 3 to 5 days with our standard courier.",
        doc_id="faq-norway",
        metadata={"topic": "shipping", "rank": 2},
    ),
    Document(
        text="Reset your password under Settings, then Security.",
        doc_id="faq-password",
        metadata={"topic": "account", "rank": 3},
    ),
]


def _store(live: LiveServer, key: str, agent_id: str, **extra: Any) -> MnemoraVectorStore:
    return MnemoraVectorStore(agent_id=agent_id, api_key=key, base_url=live.url, **extra)


def _index(live: LiveServer, key: str, store: MnemoraVectorStore) -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(
        [d.model_copy() for d in DOCS],
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=MnemoraEmbedding(api_key=key, base_url=live.url),
    )


@pytest.mark.parametrize("client_embeddings", [False, True])
def test_an_index_end_to_end(
    live: LiveServer, key: str, agent_id: str, client_embeddings: bool
) -> None:
    store = _store(live, key, agent_id, client_embeddings=client_embeddings)
    index = _index(live, key, store)
    # A query engine whose (mock) model answers from the retrieved node.
    answer = index.as_query_engine(llm=MockLLM(), similarity_top_k=1).query(
        "How long does a refund take?"
    )
    assert "within 5 business days" in str(answer)
    assert answer.source_nodes[0].node.ref_doc_id == "faq-refunds"
    only_shipping = MetadataFilters(filters=[MetadataFilter(key="topic", value="shipping")])
    hits = index.as_retriever(similarity_top_k=3, filters=only_shipping).retrieve("refund")
    assert [h.node.ref_doc_id for h in hits] == ["faq-norway"]
    ranked = MetadataFilters(
        filters=[MetadataFilter(key="rank", value=2, operator=FilterOperator.GTE)]
    )
    hits = index.as_retriever(similarity_top_k=3, filters=ranked).retrieve("anything")
    assert {h.node.ref_doc_id for h in hits} == {"faq-norway", "faq-password"}
    # A changed document is re-indexed; a deleted one leaves no node behind.
    changed = Document(
        text="Refunds now reach the original card within 2 business days.",
        doc_id="faq-refunds",
        metadata={"topic": "billing", "rank": 1},
    )
    assert index.refresh_ref_docs([changed, DOCS[1].model_copy()]) == [True, False]
    hits = index.as_retriever(similarity_top_k=3).retrieve("How long does a refund take?")
    texts = [h.node.get_content() for h in hits]
    assert texts[0] == "Refunds now reach the original card within 2 business days."
    assert not any("5 business days" in t for t in texts)
    index.delete_ref_doc("faq-norway")
    left = {n.ref_doc_id for n in store.get_nodes()}
    assert left == {"faq-refunds", "faq-password"}
    store.clear()
    assert store.get_nodes() == []


def test_nodes_round_trip_whole(live: LiveServer, key: str, agent_id: str) -> None:
    store = _store(live, key, agent_id)
    long_text = " ".join(f"Clause {i} covers ordinary terms." for i in range(120))
    long_text += " Espresso machines carry a 24 month warranty."
    nodes = [
        TextNode(
            id_="node/with spaces?",
            text="Short node about invoices.",
            metadata={"n": 1, "f": 1.0, "tags": ["a", "b"], "nested": {"x": [True, None]}},
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id="doc-1")},
        ),
        TextNode(
            id_="long-node",
            text=long_text,
            metadata={"kind": "terms"},
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id="doc-2")},
        ),
    ]
    assert store.add(nodes) == ["node/with spaces?", "long-node"]
    got = {n.node_id: n for n in store.get_nodes(node_ids=["long-node", "node/with spaces?"])}
    assert got["node/with spaces?"].metadata == nodes[0].metadata
    assert isinstance(got["node/with spaces?"].metadata["f"], float)
    assert got["node/with spaces?"].ref_doc_id == "doc-1"
    assert got["long-node"].get_content() == long_text
    # A query returns the long node whole, once, although one chunk of it matched.
    result = store.query(
        VectorStoreQuery(query_str="espresso machine warranty", similarity_top_k=2)
    )
    assert result.ids == ["long-node", "node/with spaces?"]
    assert result.nodes is not None
    assert result.nodes[0].get_content() == long_text
    assert result.similarities is not None
    assert result.similarities[0] > result.similarities[1]
    restricted = store.query(
        VectorStoreQuery(query_str="warranty", similarity_top_k=2, node_ids=["node/with spaces?"])
    )
    assert restricted.ids == ["node/with spaces?"]
    by_doc = store.query(
        VectorStoreQuery(query_str="warranty", similarity_top_k=2, doc_ids=["doc-2"])
    )
    assert by_doc.ids == ["long-node"]
    store.delete("doc-1")
    assert [n.node_id for n in store.get_nodes()] == ["long-node"]


def test_query_modes_and_refusals(live: LiveServer, key: str, agent_id: str) -> None:
    store = _store(live, key, agent_id)
    nodes = [
        TextNode(id_="a", text="Parcels to Norway take five days."),
        TextNode(id_="b", text="Parcels to Norway take 5 days with the courier."),
        TextNode(id_="c", text="Refunds are paid back to the card."),
        TextNode(id_="d", text="The zebra code is XK-42."),
    ]
    store.add(nodes)
    hybrid = store.query(
        VectorStoreQuery(
            query_str="Norway parcels", similarity_top_k=2, mode=VectorStoreQueryMode.HYBRID
        )
    )
    assert set(hybrid.ids or []) == {"a", "b"}
    words = store.query(
        VectorStoreQuery(
            query_str="XK-42 zebra", similarity_top_k=1, mode=VectorStoreQueryMode.TEXT_SEARCH
        )
    )
    assert words.ids == ["d"]
    diverse = store.query(
        VectorStoreQuery(
            query_str="How long do parcels to Norway take?",
            similarity_top_k=2,
            mode=VectorStoreQueryMode.MMR,
            mmr_threshold=0.2,
        )
    )
    assert diverse.ids is not None
    assert len(diverse.ids) == 2
    assert diverse.ids[0] in {"a", "b"}
    assert diverse.ids[1] not in {"a", "b"}, "the near-copy gives way to something different"
    for bad, reason in (
        (VectorStoreQuery(query_str="x", mode=VectorStoreQueryMode.SVM), "not supported"),
        (
            VectorStoreQuery(query_str="x", mode=VectorStoreQueryMode.HYBRID, alpha=0.5),
            "alpha",
        ),
        (VectorStoreQuery(query_embedding=[0.1] * 384), "query's text"),
    ):
        with pytest.raises(ValueError, match=reason):
            store.query(bad)
    with pytest.raises(ValueError, match="clear"):
        store.delete_nodes()
    with pytest.raises(UnsupportedFilterError):
        store.get_nodes(
            filters=MetadataFilters(
                filters=[MetadataFilter(key="x", value="y", operator=FilterOperator.IN)]
            )
        )
    store.delete_nodes(filters=MetadataFilters(filters=[MetadataFilter(key="_node_id", value="d")]))
    assert sorted(n.node_id for n in store.get_nodes()) == ["a", "b", "c"]


def test_embedded_nodes_go_in_bodies_the_server_takes(
    live: LiveServer, key: str, agent_id: str
) -> None:
    store = _store(live, key, agent_id, client_embeddings=True)
    vectors = np.random.default_rng(1).standard_normal((300, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    nodes = [
        TextNode(id_=f"v{i}", text=f"node {i}", embedding=vectors[i].tolist()) for i in range(300)
    ]  # about 2.5 MB of JSON: three requests
    assert len(store.add(nodes)) == 300
    assert len(store.get_nodes()) == 300


async def test_async_methods(live: LiveServer, key: str, agent_id: str) -> None:
    client = MnemoraClient(api_key=key, base_url=live.url)
    store = MnemoraVectorStore(agent_id=agent_id, client=client)
    embed = MnemoraEmbedding(client=client)
    texts = ["alpha particles", "beta decay", "gamma rays"]
    vectors = await embed.aget_text_embedding_batch(texts)
    assert len(vectors) == 3
    assert len(vectors[0]) == 384
    nodes = [
        TextNode(id_=f"n{i}", text=t, embedding=v)
        for i, (t, v) in enumerate(zip(texts, vectors, strict=True))
    ]
    assert await store.async_add(nodes) == ["n0", "n1", "n2"]
    found = await store.aquery(VectorStoreQuery(query_str="beta", similarity_top_k=1))
    assert found.ids == ["n1"]
    assert len(await store.aget_nodes(node_ids=["n0", "missing"])) == 1
    await store.adelete_nodes(node_ids=["n0"])
    await store.aclear()
    assert await store.aget_nodes() == []
    await client.close()


async def test_the_chat_store_keeps_memorys_contract(
    live: LiveServer, key: str, agent_id: str
) -> None:
    chats = MnemoraChatStore(agent_id=agent_id, api_key=key, base_url=live.url)
    msgs = [ChatMessage(role="user", content=f"m{i}") for i in range(6)]
    await chats.add_messages("k", msgs[:4])
    await chats.add_message("k", msgs[4])
    await chats.add_message("k", msgs[5], status=MessageStatus.ARCHIVED)
    assert [m.content for m in await chats.get_messages("k")] == ["m0", "m1", "m2", "m3", "m4"]
    assert await chats.count_messages("k", status=None) == 6
    assert [m.content for m in await chats.get_messages("k", limit=2, offset=1)] == ["m1", "m2"]
    assert [m.content for m in await chats.archive_oldest_messages("k", 2)] == ["m0", "m1"]
    archived = await chats.get_messages("k", status=MessageStatus.ARCHIVED)
    assert [m.content for m in archived] == ["m0", "m1", "m5"]
    assert [m.content for m in await chats.delete_oldest_messages("k", 1)] == ["m2"]
    deleted = await chats.delete_message("k", 3)
    assert deleted is not None
    assert deleted.content == "m3"
    assert await chats.delete_message("k", 3) is None
    await chats.delete_messages("k", status=MessageStatus.ARCHIVED)
    assert [m.content for m in await chats.get_messages("k", status=None)] == ["m4"]
    await chats.set_messages("other key/with spaces", msgs[:1])
    assert sorted(await chats.get_keys()) == ["k", "other key/with spaces"]
    await chats.delete_messages("k")
    assert await chats.get_keys() == ["other key/with spaces"]
    assert await chats.get_messages("k") == []


async def test_concurrent_archiving_never_archives_a_message_twice(
    live: LiveServer, key: str, agent_id: str
) -> None:
    first = MnemoraChatStore(agent_id=agent_id, api_key=key, base_url=live.url)
    second = MnemoraChatStore(agent_id=agent_id, api_key=key, base_url=live.url)
    await first.add_messages("k", [ChatMessage(role="user", content=f"m{i}") for i in range(30)])
    batches = await asyncio.gather(
        *(store.archive_oldest_messages("k", 3) for store in [first, second] * 5)
    )
    archived = [m.content for batch in batches for m in batch]
    assert sorted(archived) == sorted(f"m{i}" for i in range(30))
    assert await first.count_messages("k") == 0


def test_the_legacy_view_serves_chat_memory_buffer(
    live: LiveServer, key: str, agent_id: str
) -> None:
    legacy = MnemoraChatStore(agent_id=agent_id, api_key=key, base_url=live.url).legacy()
    buffer = ChatMemoryBuffer.from_defaults(chat_store=legacy, chat_store_key="ticket-1")
    buffer.put(ChatMessage(role="user", content="Where is my parcel?"))
    buffer.put(ChatMessage(role="assistant", content="In Oslo."))
    again = ChatMemoryBuffer.from_defaults(chat_store=legacy, chat_store_key="ticket-1")
    assert [m.content for m in again.get_all()] == ["Where is my parcel?", "In Oslo."]
    legacy.add_message("ticket-1", ChatMessage(role="user", content="Thanks"))
    last = legacy.delete_last_message("ticket-1")
    assert last is not None
    assert last.content == "Thanks"
    first = legacy.delete_message("ticket-1", 0)
    assert first is not None
    assert first.content == "Where is my parcel?"
    assert legacy.get_keys() == ["ticket-1"]
    removed = legacy.delete_messages("ticket-1")
    assert [m.content for m in removed or []] == ["In Oslo."]
    assert legacy.get_keys() == []
    assert legacy.delete_messages("ticket-1") is None


def test_an_agents_memory_survives_a_process_restart(
    live: LiveServer, key: str, agent_id: str
) -> None:
    turns = [
        "My order number is 4711 and the parcel with the blue espresso machine is late",
        "I prefer to be contacted by email rather than by phone, please",
        "My name is Dana Scully and I live in Oslo near the harbour",
        "What was my order number again?",
    ]
    seen: list[list[list[str]]] = []
    for text in turns:  # every turn in a new process
        done = subprocess.run(
            [
                *(sys.executable, "-m", "tests.integrations.llama_agent"),
                *(key, live.url, agent_id, "ticket-9", text),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout.strip().splitlines()[-1])
        assert out["reply"] == f"Noted: {text}"
        seen.append(out["seen"])
    # The second process saw the first turn, from the chat store.
    assert seen[1][-3:] == [
        ["user", turns[0]],
        ["assistant", f"Noted: {turns[0]}"],
        ["user", turns[1]],
    ]
    # The last one, when those turns have left the short-term window, recalls them.
    last = seen[-1]
    assert last[-1] == ["user", "What was my order number again?"]
    recalled = " ".join(content for role, content in last if role == "system")
    assert "My order number is 4711" in recalled, "flushed turns come back from long-term memory"
    with MnemoraSync(api_key=key, base_url=live.url) as client:
        stored = client.iter_memories(agent_id, "long-term")
        assert {m.metadata["session_id"] for m in stored} == {"ticket-9"}


def test_the_memory_block_recalls_per_session(live: LiveServer, key: str, agent_id: str) -> None:
    block = MnemoraMemoryBlock(agent_id=agent_id, api_key=key, base_url=live.url, top_k=3)
    everywhere = MnemoraMemoryBlock(
        agent_id=agent_id, api_key=key, base_url=live.url, top_k=3, scope="agent"
    )

    async def scenario() -> tuple[str, str, str]:
        await block.aput(
            [ChatMessage(role="user", content="My dog is called Rex")], session_id="s1"
        )
        await block.aput(
            [
                ChatMessage(role="user", content="My cat is called Tom"),
                ChatMessage(role="system", content="not remembered"),
            ],
            session_id="s2",
        )
        question = [ChatMessage(role="user", content="What is my pet called?")]
        return (
            await block.aget(question, session_id="s1"),
            await everywhere.aget(question, session_id="s1"),
            await block.aget([], session_id="s1"),
        )

    mine, all_sessions, nothing = asyncio.run(scenario())
    assert mine == "- user: My dog is called Rex"
    assert "Tom" in all_sessions
    assert "Rex" in all_sessions
    assert nothing == ""


def test_two_customers_never_meet(live: LiveServer, agent_id: str) -> None:
    alice = live.tenant(f"alice-{uuid.uuid4().hex[:6]}")
    bob = live.tenant(f"bob-{uuid.uuid4().hex[:6]}")
    a_store = _store(live, alice, agent_id)
    b_store = _store(live, bob, agent_id)
    a_store.add([TextNode(id_="secret", text="Alice's vault code is 9931", metadata={"o": "a"})])
    assert b_store.get_nodes(node_ids=["secret"]) == []
    assert b_store.get_nodes() == []
    assert (
        b_store.query(VectorStoreQuery(query_str="vault code 9931", similarity_top_k=5)).ids == []
    )
    b_store.delete_nodes(node_ids=["secret"])
    b_store.delete_nodes(filters=MetadataFilters(filters=[MetadataFilter(key="o", value="a")]))
    b_store.clear()
    assert [n.node_id for n in a_store.get_nodes()] == ["secret"]

    async def chats() -> tuple[list[str], list[ChatMessage], list[str]]:
        a_chat = MnemoraChatStore(agent_id=agent_id, api_key=alice, base_url=live.url)
        b_chat = MnemoraChatStore(agent_id=agent_id, api_key=bob, base_url=live.url)
        await a_chat.add_message("ticket", ChatMessage(role="user", content="Alice speaking"))
        b_keys = await b_chat.get_keys()
        b_messages = await b_chat.get_messages("ticket", status=None)
        await b_chat.delete_messages("ticket")
        await b_chat.archive_oldest_messages("ticket", 5)
        return b_keys, b_messages, [m.content or "" for m in await a_chat.get_messages("ticket")]

    b_keys, b_messages, a_messages = asyncio.run(chats())
    assert b_keys == []
    assert b_messages == []
    assert a_messages == ["Alice speaking"]
    a_block = MnemoraMemoryBlock(agent_id=agent_id, api_key=alice, base_url=live.url)
    b_block = MnemoraMemoryBlock(agent_id=agent_id, api_key=bob, base_url=live.url, scope="agent")
    asyncio.run(a_block.aput([ChatMessage(role="user", content="Alice's card ends in 4242")]))
    question = [ChatMessage(role="user", content="Which card ends in 4242?")]
    assert asyncio.run(b_block.aget(question, session_id=None)) == ""
