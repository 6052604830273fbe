"""``python -m examples.support_agent COMMAND``: the per-customer support agent.

Commands:
  setup                          create the three sample customers (admin API) and load
                                 each one's help centre; keys go to a local file
  ask CUSTOMER "question" [--ticket ID]
                                 one message on a ticket (a new one, or one to resume)
  chat CUSTOMER [--ticket ID]    an interactive conversation on a ticket
  history CUSTOMER --ticket ID   the ticket's conversation and state
  usage                          calls, memories and storage of every customer
  export CUSTOMER FILE           everything the agent holds of the customer, as JSON lines
  purge CUSTOMER                 erase the customer's agent memory (GDPR); prints the receipt

The server is ``MNEMORA_API_URL`` (default http://127.0.0.1:8000); ``setup`` needs the
server's admin token in ``MNEMORA_ADMIN_TOKEN``.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid

import httpx

from examples.support_agent.agent import SupportAgent
from examples.support_agent.customers import CUSTOMERS, customer_key, load_keys, save_keys
from examples.support_agent.knowledge import AGENT_ID, NAMESPACE, ingest
from examples.support_agent.model import chat_model
from mnemora import MnemoraSync
from mnemora_integrations.langchain import MnemoraVectorStore

_RECEIPT = (
    "state_deleted",
    "semantic_deleted",
    "episodes_deleted",
    "procedural_deleted",
    "checkpoints_deleted",
    "items_deleted",
)


def server_url() -> str:
    """The Mnemora server the example talks to."""
    return os.environ.get("MNEMORA_API_URL", "http://127.0.0.1:8000").rstrip("/")


def setup(_: argparse.Namespace) -> int:
    """Create the customers (or reuse those in the keys file) and load their knowledge."""
    token = os.environ.get("MNEMORA_ADMIN_TOKEN")
    if not token:
        raise SystemExit(
            "setup creates tenants through the admin API: start the server with "
            "MNEMORA_ADMIN_TOKEN=... and export the same token here"
        )
    try:
        keys = load_keys()
    except SystemExit:
        keys = {}
    admin = httpx.Client(base_url=server_url(), headers={"Authorization": f"Bearer {token}"})
    for customer in CUSTOMERS.values():
        if customer.name not in keys:
            made = admin.post(
                "/v1/admin/tenants", json={"tenant_id": customer.tenant_id, "tier": "pro"}
            )
            if made.status_code not in (201, 409):
                raise SystemExit(f"could not create {customer.tenant_id}: {made.text}")
            issued = admin.post(f"/v1/admin/tenants/{customer.tenant_id}/keys", json={})
            issued.raise_for_status()
            keys[customer.name] = issued.json()["data"]["api_key"]
            print(f"{customer.name}: tenant {customer.tenant_id}, key {keys[customer.name]}")
        path = save_keys(keys)
        with MnemoraVectorStore(
            agent_id=AGENT_ID, namespace=NAMESPACE, api_key=keys[customer.name]
        ) as store:
            count = ingest(customer, store)
        print(f"{customer.name}: {count} help-centre passages ({customer.product})")
    print(f"keys are in {path} (keep it private; it is not committed)")
    return 0


def ask(args: argparse.Namespace) -> int:
    """Answer one question."""
    customer, key = customer_key(args.customer)
    agent = SupportAgent(customer, key, chat_model())
    try:
        answer = agent.ask(args.ticket, args.question)
        print(answer.text)
        print(f"\n[ticket {args.ticket}: {_state(answer.ticket)}]")
    finally:
        agent.close()
    return 0


def chat(args: argparse.Namespace) -> int:
    """Talk on a ticket until an empty line or end of input."""
    customer, key = customer_key(args.customer)
    agent = SupportAgent(customer, key, chat_model())
    print(f"{customer.product} support, ticket {args.ticket}. An empty line ends.")
    try:
        for line in sys.stdin:
            if not line.strip():
                break
            answer = agent.ask(args.ticket, line.strip())
            print(f"agent> {answer.text}\n[{_state(answer.ticket)}]")
    finally:
        agent.close()
    return 0


def history(args: argparse.Namespace) -> int:
    """Print the ticket's conversation and state."""
    customer, key = customer_key(args.customer)
    agent = SupportAgent(customer, key, chat_model())
    try:
        for role, text in agent.history(args.ticket):
            print(f"{role}: {text}")
        print(f"[ticket {args.ticket}: {_state(agent.tickets.get(args.ticket))}]")
    finally:
        agent.close()
    return 0


def usage(_: argparse.Namespace) -> int:
    """Print each customer's usage."""
    for name, key in load_keys().items():
        with MnemoraSync(api_key=key) as client:
            u = client.get_usage()
        print(
            f"{name}: {u.api_calls_today} calls today, {u.vectors_stored} memories, "
            f"{u.storage_bytes} bytes stored, {u.embeddings_generated_month} embeddings"
        )
    return 0


def export(args: argparse.Namespace) -> int:
    """Write everything the agent holds of one customer to a file."""
    _, key = customer_key(args.customer)
    with MnemoraSync(api_key=key) as client:
        lines = client.export_agent(args.file, AGENT_ID)
    print(f"{lines} lines written to {args.file}")
    return 0


def purge(args: argparse.Namespace) -> int:
    """Erase the customer's agent memory; print the receipt."""
    _, key = customer_key(args.customer)
    with MnemoraSync(api_key=key) as client:
        receipt = client.purge_agent(AGENT_ID)
    print("erased: " + ", ".join(f"{name}={getattr(receipt, name)}" for name in _RECEIPT))
    return 0


def _state(ticket: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(ticket.items()) if k != "reason") or "new"


def main(argv: list[str] | None = None) -> int:
    """Run one command."""
    parser = argparse.ArgumentParser(
        prog="python -m examples.support_agent",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup").set_defaults(run=setup)
    for name, run in (("ask", ask), ("chat", chat), ("history", history)):
        command = commands.add_parser(name)
        command.add_argument("customer", choices=sorted(CUSTOMERS))
        if name == "ask":
            command.add_argument("question")
        command.add_argument(
            "--ticket",
            required=name == "history",
            default=f"ticket-{uuid.uuid4().hex[:8]}",
            help="the ticket (thread) id; reuse it to resume",
        )
        command.set_defaults(run=run)
    commands.add_parser("usage").set_defaults(run=usage)
    exporting = commands.add_parser("export")
    exporting.add_argument("customer", choices=sorted(CUSTOMERS))
    exporting.add_argument("file")
    exporting.set_defaults(run=export)
    purging = commands.add_parser("purge")
    purging.add_argument("customer", choices=sorted(CUSTOMERS))
    purging.set_defaults(run=purge)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
