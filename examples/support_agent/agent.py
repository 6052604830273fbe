"""The support agent of one customer: a LangChain agent whose memory is that customer's.

Everything is bound to the customer's key: the ticket's conversation and graph state
(``MnemoraSaver``, the ticket id is the thread), what the agent learns about the customer
(``MnemoraStore``), the turns logged as episodes and the recall of earlier facts
(``MnemoraMemoryMiddleware``), the help-centre search (the customer's knowledge base) and
the ticket's state (working memory: status, category, escalation).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, AgentState
from langchain.tools import ToolRuntime
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.config import get_config
from langgraph.runtime import Runtime

from examples.support_agent.customers import Customer
from examples.support_agent.knowledge import AGENT_ID, NAMESPACE
from examples.support_agent.model import NOTHING_FOUND
from mnemora import MnemoraConflictError, MnemoraNotFoundError, MnemoraSync
from mnemora.models import StateResponse
from mnemora_integrations.langchain import MnemoraMemoryMiddleware, MnemoraVectorStore
from mnemora_integrations.langgraph import MnemoraSaver, MnemoraStore

RELEVANT = 0.35
"""The cosine similarity from which a help-centre passage is shown to the model."""

SYSTEM_PROMPT = (
    "You are the support agent of {product}. Answer only from the help-centre passages that "
    "search_knowledge returns and cite them as [n]. If none fits, say you don't know and call "
    "escalate_ticket. Note lasting preferences of the customer with note_customer_fact."
)


@dataclass(frozen=True)
class Answer:
    """One answered question."""

    text: str
    sources: list[str]
    ticket: dict[str, Any]


class Tickets:
    """Ticket state in the customer's working memory: one session per ticket."""

    def __init__(self, client: MnemoraSync) -> None:
        self._client = client

    def get(self, ticket_id: str) -> dict[str, Any]:
        """The ticket's state (empty for a new ticket)."""
        try:
            return dict(self._client.get_state(AGENT_ID, ticket_id).data)
        except MnemoraNotFoundError:
            return {}

    def update(self, ticket_id: str, change: dict[str, Any]) -> StateResponse:
        """Merge ``change`` into the ticket's state, creating it on first use."""
        while True:
            try:
                return self._client.patch_state(AGENT_ID, change, session_id=ticket_id)
            except MnemoraNotFoundError:
                pass
            try:
                first = {"status": "open", "turns": 0, **change}
                return self._client.update_state(AGENT_ID, first, 0, session_id=ticket_id)
            except MnemoraConflictError:
                continue  # created meanwhile: patch it


class TicketMiddleware(AgentMiddleware):
    """After each turn: the ticket's status, category and turn count in working memory."""

    def __init__(self, tickets: Tickets) -> None:
        super().__init__()
        self._tickets = tickets

    def after_agent(self, state: AgentState[Any], runtime: Runtime[Any]) -> dict[str, Any] | None:
        """Record how the turn ended."""
        ticket_id = str(get_config()["configurable"]["thread_id"])
        turn = _this_turn(state["messages"])
        called = {m.name for m in turn if isinstance(m, ToolMessage)}
        current = self._tickets.get(ticket_id)
        change: dict[str, Any] = {"turns": int(current.get("turns", 0)) + 1}
        if "escalate_ticket" in called:
            change.update(status="escalated", escalated=True)
        elif current.get("status") != "escalated":
            change["status"] = "answered"
        sources = _sources(turn)
        if sources:
            change["category"] = sources[0].split(" ")[0].removesuffix(".md")
        self._tickets.update(ticket_id, change)
        return None


class SupportAgent:
    """The support agent for one customer, bound to that customer's key.

    Args:
        customer: The customer.
        api_key: The customer's Mnemora key: it alone decides whose memory is used.
        model: The chat model (see :func:`examples.support_agent.model.chat_model`).
        base_url: The Mnemora server (default: ``MNEMORA_API_URL``).
    """

    def __init__(
        self,
        customer: Customer,
        api_key: str,
        model: BaseChatModel,
        base_url: str | None = None,
    ) -> None:
        self.customer = customer
        mine: dict[str, Any] = {"agent_id": AGENT_ID, "api_key": api_key, "base_url": base_url}
        self.client = MnemoraSync(api_key=api_key, base_url=base_url)
        self.knowledge = MnemoraVectorStore(
            namespace=NAMESPACE, client=self.client, agent_id=AGENT_ID
        )
        self.tickets = Tickets(self.client)
        self._closing: list[Any] = [MnemoraSaver(**mine), MnemoraStore(**mine)]
        self.agent = create_agent(
            model,
            tools=self._tools(),
            system_prompt=SYSTEM_PROMPT.format(product=customer.product),
            checkpointer=self._closing[0],
            store=self._closing[1],
            middleware=[
                MnemoraMemoryMiddleware(**mine, namespace="customer-facts", recall_k=3),
                TicketMiddleware(self.tickets),
            ],
        )

    def ask(self, ticket_id: str, question: str) -> Answer:
        """Answer one message on a ticket (a new ticket or one to resume)."""
        config: Any = {"configurable": {"thread_id": ticket_id}}
        result = self.agent.invoke({"messages": [("user", question)]}, config)
        turn = _this_turn(result["messages"])
        return Answer(result["messages"][-1].text, _sources(turn), self.tickets.get(ticket_id))

    def history(self, ticket_id: str) -> list[tuple[str, str]]:
        """The ticket's conversation as logged in episodic memory: (role, text)."""
        return [
            (e.content["role"], e.content["text"])
            for e in self.client.get_session_episodes(AGENT_ID, ticket_id)
            if isinstance(e.content, dict) and e.content.get("text")
        ]

    def close(self) -> None:
        """Close every connection."""
        for closing in self._closing:
            closing.close()
        self.client.close()

    def _tools(self) -> list[BaseTool]:
        knowledge, tickets = self.knowledge, self.tickets

        @tool
        def search_knowledge(query: str) -> str:
            """Search this customer's help centre; returns numbered passages with sources."""
            hits = knowledge.similarity_search_with_score(query, k=3)
            fitting = [(doc, score) for doc, score in hits if score >= RELEVANT]
            if not fitting:
                return NOTHING_FOUND
            return "\n\n".join(
                f"[{i}] {doc.metadata['page']} > {doc.metadata['section']}\n{doc.page_content}"
                for i, (doc, _) in enumerate(fitting, 1)
            )

        @tool
        def escalate_ticket(reason: str, runtime: ToolRuntime) -> str:
            """Hand the ticket to a human colleague."""
            ticket_id = str(runtime.config["configurable"]["thread_id"])
            tickets.update(ticket_id, {"status": "escalated", "escalated": True, "reason": reason})
            return "escalated"

        @tool
        def note_customer_fact(fact: str, runtime: ToolRuntime) -> str:
            """Remember a lasting fact or preference of this customer."""
            assert runtime.store is not None
            runtime.store.put(("customer", "facts"), uuid.uuid4().hex, {"fact": fact})
            return "noted"

        return [search_knowledge, escalate_ticket, note_customer_fact]


def _this_turn(messages: list[Any]) -> list[Any]:
    """The messages from the latest user message on."""
    starts = [i for i, m in enumerate(messages) if getattr(m, "type", "") == "human"]
    return messages[starts[-1] :] if starts else messages


def _sources(turn: list[Any]) -> list[str]:
    """The passages the final answer cites (``page > section``), in order."""
    answer = next((m for m in reversed(turn) if isinstance(m, AIMessage) and m.text), None)
    searched = [m for m in turn if isinstance(m, ToolMessage) and m.name == "search_knowledge"]
    if answer is None or not searched or searched[-1].text.startswith(NOTHING_FOUND):
        return []
    cited = []
    for block in searched[-1].text.split("\n\n"):
        label, _, _ = block.partition("\n")
        number, _, source = label.partition(" ")
        if number in answer.text or source in answer.text:
            cited.append(source)
    return cited
