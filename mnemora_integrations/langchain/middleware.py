"""``MnemoraMemoryMiddleware``: long-term memory for a LangChain 1.x ``create_agent`` agent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Annotated, Any, Literal, NotRequired

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain.agents.middleware.types import PrivateStateAttr
from langchain_core.messages import AnyMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime

from mnemora import MnemoraClient, MnemoraSync
from mnemora.models import SemanticResponse
from mnemora_integrations._batches import write_batches
from mnemora_integrations._clients import HoldsClients, MnemoraClients
from mnemora_integrations.langchain.messages import episode_of, session_id_of

FactExtractor = Callable[[list[BaseMessage]], Iterable[str]]
"""Given the messages of a finished turn, the facts worth remembering."""


class MnemoraMemoryState(AgentState[Any]):
    """The agent state with the middleware's private marker: the id of the last message it
    has logged, so a resumed or repeated run logs each message once."""

    mnemora_logged_through: NotRequired[Annotated[str | None, PrivateStateAttr]]


class MnemoraMemoryMiddleware(HoldsClients, AgentMiddleware[MnemoraMemoryState, Any]):
    """Gives a ``create_agent`` agent one customer's long-term memory.

    - **Recall**, before every model call: the memories most relevant to the latest user
      message (hybrid search in ``namespace``) are added to the system message, so the model
      sees them without them entering the conversation state.
    - **Log**, after the agent: the turn's messages (the user's, the model's, tool calls and
      results) are appended as episodes to the session of the thread (``thread_id``), once
      each, also across interrupts and resumes. :class:`MnemoraChatMessageHistory` on the
      same thread id reads them back.
    - **Remember** (optional): ``remember=True`` stores each user message of the turn as a
      semantic memory (repeats merge); a callable picks the facts itself (e.g. with an LLM).

    Bound to one tenant key and ``agent_id``. Errors of the memory service (a wrong key, a
    server that is down, a quota) stop the run with the SDK's typed error.

    Args:
        agent_id: The agent.
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.
        namespace: Where memories are recalled from and stored (``"default"``).
        recall_k: How many memories to recall (0: no recall).
        recall_threshold: Minimum cosine similarity of recalled vector matches.
        search_mode: ``"hybrid"`` (default), ``"vector"`` or ``"keyword"``.
        log_turns: Log turns as episodes (default true).
        remember: ``False`` (default), ``True`` (user messages), or a :data:`FactExtractor`.
        session_id: The session for runs without a ``thread_id`` (``"default"``).

    Example:
        ```python
        from langchain.agents import create_agent
        from mnemora_integrations.langchain import MnemoraMemoryMiddleware
        from mnemora_integrations.langgraph import MnemoraSaver

        agent = create_agent(
            model,
            tools=[],
            checkpointer=MnemoraSaver(agent_id="support-agent", api_key=customer_key),
            middleware=[
                MnemoraMemoryMiddleware(agent_id="support-agent", api_key=customer_key,
                                        remember=True)
            ],
        )
        agent.invoke({"messages": [("user", "I prefer email over phone")]},
                     {"configurable": {"thread_id": "ticket-4711"}})
        ```
    """

    state_schema = MnemoraMemoryState

    def __init__(
        self,
        *,
        agent_id: str,
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
        namespace: str = "default",
        recall_k: int = 5,
        recall_threshold: float = 0.3,
        search_mode: Literal["hybrid", "vector", "keyword"] = "hybrid",
        log_turns: bool = True,
        remember: bool | FactExtractor = False,
        session_id: str = "default",
    ) -> None:
        super().__init__()
        if recall_k < 0 or recall_k > 100:
            raise ValueError("recall_k is between 0 and 100")
        self.agent_id = agent_id
        self.namespace = namespace
        self.recall_k = recall_k
        self.log_turns = log_turns
        self.remember = remember
        self.session_id = session_id
        self._recall_options: dict[str, Any] = {
            "agent_id": agent_id,
            "namespace": namespace,
            "top_k": recall_k,
            "threshold": recall_threshold,
            "mode": search_mode,
        }
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)

    # -- recall ------------------------------------------------------------------------------

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        """Call the model with the memories relevant to the latest user message."""
        query = self._query(request.messages)
        if query is None:
            return handler(request)
        hits = self._clients.sync.search_memory(query, **self._recall_options)
        return handler(_with_memories(request, hits))

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        """Call the model with the memories relevant to the latest user message."""
        query = self._query(request.messages)
        if query is None:
            return await handler(request)
        hits = await self._clients.aio.search_memory(query, **self._recall_options)
        return await handler(_with_memories(request, hits))

    # -- logging and remembering -------------------------------------------------------------

    def after_agent(
        self, state: MnemoraMemoryState, runtime: Runtime[Any]
    ) -> dict[str, Any] | None:
        """Log the turn's new messages and store the facts worth remembering."""
        turn = self._turn(state)
        if turn is None:
            return None
        session, messages, episodes, facts = turn
        for part in write_batches(episodes):
            self._clients.sync.append_episodes(self.agent_id, session, part)
        for part in write_batches(facts):
            self._clients.sync.store_memories(self.agent_id, part, self.namespace)
        return {"mnemora_logged_through": messages[-1].id}

    async def aafter_agent(
        self, state: MnemoraMemoryState, runtime: Runtime[Any]
    ) -> dict[str, Any] | None:
        """Log the turn's new messages and store the facts worth remembering."""
        turn = self._turn(state)
        if turn is None:
            return None
        session, messages, episodes, facts = turn
        for part in write_batches(episodes):
            await self._clients.aio.append_episodes(self.agent_id, session, part)
        for part in write_batches(facts):
            await self._clients.aio.store_memories(self.agent_id, part, self.namespace)
        return {"mnemora_logged_through": messages[-1].id}

    # -- helpers -----------------------------------------------------------------------------

    def _query(self, messages: Sequence[AnyMessage]) -> str | None:
        if self.recall_k == 0:
            return None
        for message in reversed(messages):
            if isinstance(message, HumanMessage):
                return message.text.strip()[:10_000] or None
        return None

    def _turn(
        self, state: MnemoraMemoryState
    ) -> tuple[str, list[BaseMessage], list[dict[str, Any]], list[dict[str, Any]]] | None:
        """The session, new messages, their episodes and the facts to store (or ``None``)."""
        messages: list[BaseMessage] = list(state["messages"])
        marker = state.get("mnemora_logged_through")
        ids = [message.id for message in messages]
        new = messages[ids.index(marker) + 1 :] if marker in ids else messages
        if not new:
            return None
        thread = get_config().get("configurable", {}).get("thread_id")
        session = session_id_of(str(thread)) if thread is not None else self.session_id
        tags = {"thread_id": str(thread)} if thread is not None else {}
        episodes = [episode_of(m, tags) for m in new] if self.log_turns else []
        facts = [
            {"content": fact, "metadata": {"source": "conversation", **tags}}
            for fact in self._facts(new)
        ]
        return session, new, episodes, facts

    def _facts(self, messages: list[BaseMessage]) -> list[str]:
        if self.remember is False:
            return []
        if self.remember is True:
            found: list[str] = [m.text for m in messages if isinstance(m, HumanMessage)]
        else:
            found = [str(fact) for fact in self.remember(messages)]
        return [fact.strip() for fact in found if fact and fact.strip()]


def _with_memories(request: ModelRequest[Any], hits: list[SemanticResponse]) -> ModelRequest[Any]:
    """The request with the recalled memories appended to its system message."""
    if not hits:
        return request
    block = "Relevant memories from earlier conversations with this user:\n" + "\n".join(
        f"- {hit.content}" for hit in hits
    )
    current = request.system_message
    if current is None:
        return request.override(system_message=SystemMessage(content=block))
    if isinstance(current.content, str):
        content: Any = f"{current.content}\n\n{block}" if current.content else block
    else:
        content = [*current.content, {"type": "text", "text": block}]
    return request.override(system_message=SystemMessage(content=content))
