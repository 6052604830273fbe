"""The sample customers and the file that keeps their keys.

Each customer is one Mnemora tenant with one key. ``setup`` asks the admin API for them and
writes the keys to a local file (``MNEMORA_EXAMPLE_KEYS``, default
``.support-agent-keys.json`` in the working directory; git ignores it), readable only by
you. Every other command takes a customer's name and uses only that customer's key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

KNOWLEDGE = Path(__file__).resolve().parent / "knowledge"


@dataclass(frozen=True)
class Customer:
    """A SaaS customer of the example: a tenant and its help-centre."""

    name: str
    product: str

    @property
    def tenant_id(self) -> str:
        """The Mnemora tenant of the customer."""
        return f"example-{self.name}"

    @property
    def knowledge(self) -> list[Path]:
        """The customer's help-centre pages (Markdown)."""
        return sorted((KNOWLEDGE / self.name).glob("*.md"))


CUSTOMERS = {
    c.name: c
    for c in (
        Customer("acme", "Acme Cloud Backup"),
        Customer("globex", "Globex Fitness"),
        Customer("initech", "Initech Payroll"),
    )
}


def keys_file() -> Path:
    """Where the customers' keys are kept."""
    return Path(os.environ.get("MNEMORA_EXAMPLE_KEYS", ".support-agent-keys.json"))


def load_keys() -> dict[str, str]:
    """The keys written by ``setup`` (customer name -> API key).

    Raises:
        SystemExit: No keys yet: run ``setup`` first.
    """
    path = keys_file()
    if not path.exists():
        raise SystemExit(
            f"no customer keys in {path}: run `python -m examples.support_agent setup` first"
        )
    keys: dict[str, str] = json.loads(path.read_text())
    return keys


def save_keys(keys: dict[str, str]) -> Path:
    """Write the keys, readable by the current user only."""
    path = keys_file()
    path.write_text(json.dumps(keys, indent=2) + "\n")
    path.chmod(0o600)
    return path


def customer_key(name: str) -> tuple[Customer, str]:
    """A customer and its key.

    Raises:
        SystemExit: An unknown customer, or no key for it.
    """
    if name not in CUSTOMERS:
        raise SystemExit(f"unknown customer {name!r}; the customers are {', '.join(CUSTOMERS)}")
    keys = load_keys()
    if name not in keys:
        raise SystemExit(f"no key for {name!r} in {keys_file()}: run setup again")
    return CUSTOMERS[name], keys[name]
