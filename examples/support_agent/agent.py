"""A support agent whose memory lives in Mnemora, bound to one customer's key."""

from __future__ import annotations

from typing import Any

from mnemora import MnemoraNotFoundError, MnemoraSync, PurgeResponse

AGENT_ID = "support-agent"


class SupportAgent:
    """Answers one customer's tickets with that customer's knowledge and history.

    Args:
        customer_api_key: The customer's Mnemora key: it alone decides whose memory is used.
        base_url: The Mnemora server (default: ``MNEMORA_API_URL`` or localhost).
    """

    def __init__(self, customer_api_key: str | None = None, base_url: str | None = None) -> None:
        self.client = MnemoraSync(api_key=customer_api_key, base_url=base_url)

    def learn(self, notes: list[tuple[str, str]]) -> int:
        """Store help-centre notes (near-duplicates merge, so re-seeding is harmless)."""
        stored = self.client.store_memories(
            AGENT_ID,
            [
                {"content": text, "metadata": {"source": "help-centre", "topic": topic}}
                for text, topic in notes
            ],
        )
        return len(stored)

    def answer(self, ticket_id: str, message: str) -> dict[str, Any]:
        """Recall what is relevant, log the exchange, and keep the ticket's state."""
        docs = self.client.search_memory(message, agent_id=AGENT_ID, top_k=3, threshold=0.3)
        context = "\n".join(doc.content for doc in docs)
        self.client.store_episode(
            agent_id=AGENT_ID,
            session_id=ticket_id,
            type="conversation",
            content={"role": "user", "message": message},
        )
        # Plug an LLM in here: prompt it with `context` and the conversation so far.
        reply = (
            f"Here is what I found:\n{context}"
            if context
            else "Let me find out and get back to you."
        )
        self.client.store_episode(
            agent_id=AGENT_ID,
            session_id=ticket_id,
            type="conversation",
            content={"role": "assistant", "message": reply},
        )
        ticket = {"last_message": message, "status": "answered"}
        try:
            state = self.client.patch_state(AGENT_ID, ticket, session_id=ticket_id)
        except MnemoraNotFoundError:
            state = self.client.store_state(AGENT_ID, ticket, session_id=ticket_id)
        return {"reply": reply, "sources": [d.id for d in docs], "state_version": state.version}

    def history(self, ticket_id: str) -> list[str]:
        """The ticket's conversation, oldest first."""
        return [
            f"{e.content['role']}: {e.content['message']}"
            for e in self.client.get_session_episodes(AGENT_ID, ticket_id)
        ]

    def forget(self) -> PurgeResponse:
        """Erase everything this agent remembers of the customer (GDPR)."""
        return self.client.purge_agent(AGENT_ID)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()
