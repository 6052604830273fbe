"""The code of the product's design overview (section 1), kept here exactly as written there,
so that a test shows it runs unchanged against the server."""

from __future__ import annotations

from mnemora import MnemoraSync


def design_snippet(customer_api_key: str, message: str) -> None:
    """The snippet of the design overview, section 1, unchanged."""
    with MnemoraSync(api_key=customer_api_key) as client:
        docs = client.search_memory(message, agent_id="support-agent", top_k=5)
        context = "\n".join(doc.content for doc in docs)
        client.store_episode(
            agent_id="support-agent",
            session_id="ticket-42",
            type="conversation",
            content={"role": "user", "message": message},
        )
        client.store_memory(
            "support-agent", "Refunds take 5 days", metadata={"source": "conversation"}
        )
        print(client.purge_agent("support-agent"))
        # PurgeResponse(state_deleted=15, semantic_deleted=234, episodes_deleted=1891)
    print("context was:\n" + context)
