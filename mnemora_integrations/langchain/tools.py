"""``create_memory_tools``: tools with which an agent searches and saves its own memories."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from mnemora import MnemoraClient, MnemoraSync
from mnemora.models import SemanticResponse
from mnemora_integrations._clients import MnemoraClients


class _SearchArgs(BaseModel):
    query: str = Field(description="What to look for, in natural language.")


class _SaveArgs(BaseModel):
    content: str = Field(
        description="One self-contained fact worth remembering in later conversations."
    )


def create_memory_tools(
    *,
    agent_id: str,
    api_key: str | None = None,
    base_url: str | None = None,
    client: MnemoraSync | MnemoraClient | None = None,
    namespace: str = "default",
    k: int = 5,
) -> list[BaseTool]:
    """Two LangChain tools over one agent's long-term (semantic) memory, bound to one key:

    - ``search_memory(query)``: the ``k`` memories most relevant to ``query`` (hybrid search),
      one per line with its id;
    - ``save_memory(content)``: stores a fact; repeating a known fact merges into it.

    Both work sync and async and raise the SDK's typed errors (a wrong key, a server that
    is down, a quota) rather than answering as if memory were empty.

    Args:
        agent_id: The agent whose memories these are.
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.
        namespace: The partition within the agent (``"default"``).
        k: How many memories a search returns.

    Example:
        ```python
        from langchain.agents import create_agent
        from mnemora_integrations.langchain import create_memory_tools

        tools = create_memory_tools(agent_id="support-agent", api_key=customer_key)
        agent = create_agent(model, tools=tools)
        ```
    """
    clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)
    search_args: dict[str, Any] = {"agent_id": agent_id, "namespace": namespace, "top_k": k}

    def search_memory(query: str) -> str:
        return _listing(clients.sync.search_memory(query, **search_args))

    async def asearch_memory(query: str) -> str:
        return _listing(await clients.aio.search_memory(query, **search_args))

    def save_memory(content: str) -> str:
        return _saved(clients.sync.store_memory(agent_id, content, namespace, _SOURCE))

    async def asave_memory(content: str) -> str:
        return _saved(await clients.aio.store_memory(agent_id, content, namespace, _SOURCE))

    return [
        StructuredTool.from_function(
            func=search_memory,
            coroutine=asearch_memory,
            name="search_memory",
            description=(
                "Search your long-term memory of this customer for facts relevant to a query. "
                "Use it before answering questions that may depend on earlier conversations."
            ),
            args_schema=_SearchArgs,
        ),
        StructuredTool.from_function(
            func=save_memory,
            coroutine=asave_memory,
            name="save_memory",
            description=(
                "Save one durable fact about this customer (a preference, a decision, an "
                "account detail) to long-term memory, so later conversations can use it."
            ),
            args_schema=_SaveArgs,
        ),
    ]


_SOURCE = {"source": "agent"}


def _listing(hits: list[SemanticResponse]) -> str:
    if not hits:
        return "No stored memories match this query."
    return "\n".join(f"- [{hit.parent_id or hit.id}] {hit.content}" for hit in hits)


def _saved(memory: SemanticResponse) -> str:
    if memory.deduplicated:
        return f"Already known; merged into memory {memory.id}."
    return f"Saved as memory {memory.id}."
