"""Every integration class fails loudly: a wrong, revoked or read-only key, a server that is
down, a rate limit or a quota raise the SDK's typed error with a message that says what to
do; none of them answers as if memory were empty. Rate limits are waited out by default."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from langchain.agents import create_agent
from langgraph.checkpoint.base import empty_checkpoint
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.schema import TextNode

from mnemora import (
    MnemoraAuthError,
    MnemoraConnectionError,
    MnemoraForbiddenError,
    MnemoraQuotaExceededError,
    MnemoraRateLimitError,
    MnemoraSync,
)
from mnemora_integrations.langchain import (
    MnemoraByteStore,
    MnemoraChatMessageHistory,
    MnemoraMemoryMiddleware,
    MnemoraRetriever,
    MnemoraVectorStore,
    create_memory_tools,
)
from mnemora_integrations.langgraph import MnemoraSaver, MnemoraStore
from mnemora_integrations.llama_index import (
    MnemoraChatStore,
    MnemoraEmbedding,
    MnemoraMemoryBlock,
)
from mnemora_integrations.llama_index import MnemoraVectorStore as LlamaVectorStore
from tests.conftest import LiveServer
from tests.integrations.support_agent import model

CONFIG: Any = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}


def _run_middleware(middleware: MnemoraMemoryMiddleware, *, recall: bool, log: bool) -> Any:
    middleware.recall_k = 5 if recall else 0
    middleware.log_turns = log
    agent = create_agent(model("ok"), tools=[], middleware=[middleware])
    return agent.invoke({"messages": [("user", "hello")]})


@dataclass(frozen=True)
class Face:
    """One integration class: how to make it, one read and one write (if it writes)."""

    name: str
    make: Callable[..., Any]
    read: Callable[[Any], Any]
    write: Callable[[Any], Any] | None


FACES = [
    Face(
        "MnemoraSaver",
        MnemoraSaver,
        lambda saver: saver.get_tuple(CONFIG),
        lambda saver: saver.put(CONFIG, empty_checkpoint(), {}, {}),
    ),
    Face(
        "MnemoraStore",
        MnemoraStore,
        lambda store: store.search(("a",)),
        lambda store: store.put(("a",), "k", {"v": 1}),
    ),
    Face(
        "MnemoraVectorStore",
        MnemoraVectorStore,
        lambda store: store.similarity_search("x"),
        lambda store: store.add_texts(["x"]),
    ),
    Face("MnemoraRetriever", MnemoraRetriever, lambda r: r.invoke("x"), None),
    Face(
        "MnemoraChatMessageHistory",
        lambda **kw: MnemoraChatMessageHistory(session_id="s", **kw),
        lambda history: history.messages,
        lambda history: history.add_user_message("hi"),
    ),
    Face(
        "MnemoraByteStore",
        MnemoraByteStore,
        lambda store: store.mget(["k"]),
        lambda store: store.mset([("k", b"v")]),
    ),
    Face(
        "MnemoraMemoryMiddleware",
        MnemoraMemoryMiddleware,
        lambda mw: _run_middleware(mw, recall=True, log=False),
        lambda mw: _run_middleware(mw, recall=False, log=True),
    ),
    Face(
        "create_memory_tools",
        create_memory_tools,
        lambda tools: tools[0].invoke({"query": "x"}),
        lambda tools: tools[1].invoke({"content": "x"}),
    ),
]
HELLO = ChatMessage(role="user", content="hello")
FACES += [
    Face(
        "llama_index.MnemoraVectorStore",
        LlamaVectorStore,
        lambda store: store.get_nodes(),
        lambda store: store.add([TextNode(text="x")]),
    ),
    Face(
        "MnemoraEmbedding",
        lambda agent_id, **kw: MnemoraEmbedding(**kw),  # per customer, not per agent
        lambda embed: embed.get_text_embedding("x"),
        None,
    ),
    Face(
        "MnemoraChatStore",
        MnemoraChatStore,
        lambda chats: asyncio.run(chats.get_messages("k")),
        lambda chats: asyncio.run(chats.add_message("k", HELLO)),
    ),
    Face(
        "MnemoraMemoryBlock",
        MnemoraMemoryBlock,
        lambda block: asyncio.run(block.aget([HELLO], session_id="s")),
        lambda block: asyncio.run(block.aput([HELLO], session_id="s")),
    ),
]
WRITERS = [face for face in FACES if face.write is not None]


def _read_repeatedly(face: Face, made: Any, times: int) -> None:
    for _ in range(times):
        face.read(made)


def _ids(face: Face) -> str:
    return face.name


def _tenant(live: LiveServer, **limits: int) -> tuple[str, str]:
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    return tenant_id, live.tenant(tenant_id, **limits)


@pytest.mark.parametrize("face", FACES, ids=_ids)
def test_a_wrong_key(live: LiveServer, agent_id: str, face: Face) -> None:
    made = face.make(agent_id=agent_id, api_key="mnm_" + "x" * 43, base_url=live.url)
    with pytest.raises(MnemoraAuthError, match=r"(?i)key"):
        face.read(made)


@pytest.mark.parametrize("face", FACES, ids=_ids)
def test_a_revoked_key(live: LiveServer, agent_id: str, face: Face) -> None:
    tenant_id, _ = _tenant(live)
    issued = live.admin("POST", f"/v1/admin/tenants/{tenant_id}/keys", json={}).json()["data"]
    made = face.make(agent_id=agent_id, api_key=issued["api_key"], base_url=live.url)
    face.read(made)
    assert live.admin("DELETE", f"/v1/admin/keys/{issued['key_id']}").status_code == 204
    with pytest.raises(MnemoraAuthError, match=r"(?i)revoked|key"):
        face.read(made)


@pytest.mark.parametrize("face", WRITERS, ids=_ids)
def test_a_read_only_key_reads_but_never_writes(
    live: LiveServer, agent_id: str, face: Face
) -> None:
    tenant_id, _ = _tenant(live)
    reader = live.admin(
        "POST", f"/v1/admin/tenants/{tenant_id}/keys", json={"scope": "read_only"}
    ).json()["data"]["api_key"]
    made = face.make(agent_id=agent_id, api_key=reader, base_url=live.url)
    face.read(made)
    assert face.write is not None
    with pytest.raises(MnemoraForbiddenError, match="read-only"):
        face.write(made)


@pytest.mark.parametrize("face", FACES, ids=_ids)
def test_a_server_that_is_down(key: str, agent_id: str, face: Face) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = MnemoraSync(api_key=key, base_url=f"http://127.0.0.1:{port}", max_retries=0)
    made = face.make(agent_id=agent_id, client=down)
    with pytest.raises(MnemoraConnectionError):
        face.read(made)


@pytest.mark.parametrize("face", FACES, ids=_ids)
def test_rate_limits_raise_without_retries_and_are_waited_out_by_default(
    live: LiveServer, agent_id: str, face: Face
) -> None:
    _, key = _tenant(live, burst_per_second=1)
    impatient = face.make(
        agent_id=agent_id, client=MnemoraSync(api_key=key, base_url=live.url, max_retries=0)
    )
    face.read(impatient)  # the one call of this second
    with pytest.raises(MnemoraRateLimitError) as raised:
        _read_repeatedly(face, impatient, 3)
    assert raised.value.retry_after is not None
    patient = face.make(agent_id=agent_id, api_key=key, base_url=live.url)
    face.read(patient)  # the second's budget is spent: the 429 is waited out, then retried


@pytest.mark.parametrize("face", WRITERS, ids=_ids)
def test_a_storage_quota(live: LiveServer, agent_id: str, face: Face) -> None:
    _, key = _tenant(live, max_storage_bytes=0)
    made = face.make(agent_id=agent_id, api_key=key, base_url=live.url)
    assert face.write is not None
    with pytest.raises(MnemoraQuotaExceededError, match="storage"):
        face.write(made)
    face.read(made)
