"""Every store the server uses, as one bundle."""

from __future__ import annotations

from dataclasses import dataclass, fields

from mnemora_server.stores.base.accounts import AccountStore, IdempotencyStore, UsageStore
from mnemora_server.stores.base.checkpoints import CheckpointStore
from mnemora_server.stores.base.common import Store
from mnemora_server.stores.base.episodes import ColdStore, EpisodeStore
from mnemora_server.stores.base.items import ItemStore
from mnemora_server.stores.base.procedures import ProceduralStore
from mnemora_server.stores.base.semantic import SemanticStore
from mnemora_server.stores.base.state import StateStore


@dataclass(frozen=True)
class Stores:
    """Every store the server uses, one attribute per concern.

    Several attributes may be the same object (the embedded accounts database serves
    accounts, usage and idempotency).
    """

    accounts: AccountStore
    usage: UsageStore
    idempotency: IdempotencyStore
    state: StateStore
    semantic: SemanticStore
    episodes: EpisodeStore
    cold: ColdStore
    procedures: ProceduralStore
    checkpoints: CheckpointStore
    items: ItemStore

    def every(self) -> list[tuple[str, Store]]:
        """Every concern with its store, in field order (a store may appear several times)."""
        return [(item.name, getattr(self, item.name)) for item in fields(self)]

    def named(self) -> list[tuple[str, Store]]:
        """Each underlying store once, under the first field that holds it."""
        seen: list[tuple[str, Store]] = []
        for item in fields(self):
            store = getattr(self, item.name)
            if not any(store is other for _, other in seen):
                seen.append((item.name, store))
        return seen

    def distinct(self) -> list[Store]:
        """Each underlying store once, in field order."""
        return [store for _, store in self.named()]

    def setup(self) -> None:
        """Create or migrate every store's schema."""
        for store in self.distinct():
            store.setup()

    def close(self) -> None:
        """Close every store's connections in this process."""
        for store in self.distinct():
            store.close()
