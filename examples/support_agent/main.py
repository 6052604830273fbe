"""Run the support agent once for the customer whose key is in ``MNEMORA_API_KEY``.

python examples/support_agent/main.py "How do I reset my password?" [--purge]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from agent import SupportAgent
from knowledge import NOTES

from mnemora import MnemoraSync


def design_snippet(customer_api_key: str, message: str) -> None:
    """The snippet of DESIGN.md section 1, unchanged."""
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


def main() -> int:
    """Seed knowledge, answer one message, show the memory; optionally purge."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("message", nargs="?", default="How do I reset my password?")
    parser.add_argument("--ticket", default="ticket-42")
    parser.add_argument("--purge", action="store_true", help="erase the agent's memory at the end")
    parser.add_argument(
        "--design-snippet",
        action="store_true",
        help="run the snippet of DESIGN.md section 1 instead",
    )
    args = parser.parse_args()
    if args.design_snippet:
        design_snippet(os.environ["MNEMORA_API_KEY"], args.message)
        return 0
    agent = SupportAgent()
    try:
        print(f"knowledge notes stored: {agent.learn(NOTES)}")
        result = agent.answer(args.ticket, args.message)
        print(result["reply"])
        print(f"(ticket state version {result['state_version']})")
        print("history:", *agent.history(args.ticket), sep="\n  ")
        if args.purge:
            print(agent.forget())
    finally:
        agent.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
