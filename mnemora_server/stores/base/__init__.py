"""Store protocols and the records they exchange with services, one module per concern.

Every method takes the tenant id explicitly; a store never decides the tenant itself.
Stores are synchronous (the server is WSGI). A backend failure is raised as
:class:`mnemora_server.errors.UnavailableError`, after which the write did not happen.
"""

from __future__ import annotations

from mnemora_server.stores.base.accounts import (
    AccountStore,
    ApiKeyRecord,
    CallDecision,
    IdempotencyRecord,
    IdempotencyStore,
    KeyScope,
    Tenant,
    UsageCounters,
    UsageStore,
)
from mnemora_server.stores.base.bundle import Stores
from mnemora_server.stores.base.common import Store
from mnemora_server.stores.base.episodes import (
    ColdStore,
    Episode,
    EpisodeFilter,
    EpisodeStore,
    EpisodeTotals,
    EpisodeType,
    Segment,
)
from mnemora_server.stores.base.procedures import ProceduralStore, Procedure
from mnemora_server.stores.base.semantic import (
    MemoryTotals,
    SemanticDraft,
    SemanticHit,
    SemanticRecord,
    SemanticStore,
    SemanticWrite,
)
from mnemora_server.stores.base.state import StateRecord, StateStats, StateStore, TtlChange

__all__ = [
    "AccountStore",
    "ApiKeyRecord",
    "CallDecision",
    "ColdStore",
    "Episode",
    "EpisodeFilter",
    "EpisodeStore",
    "EpisodeTotals",
    "EpisodeType",
    "IdempotencyRecord",
    "IdempotencyStore",
    "KeyScope",
    "MemoryTotals",
    "ProceduralStore",
    "Procedure",
    "Segment",
    "SemanticDraft",
    "SemanticHit",
    "SemanticRecord",
    "SemanticStore",
    "SemanticWrite",
    "StateRecord",
    "StateStats",
    "StateStore",
    "Store",
    "Stores",
    "Tenant",
    "TtlChange",
    "UsageCounters",
    "UsageStore",
]
