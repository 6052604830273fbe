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
from mnemora_server.stores.base.common import BackedStore, Backing, Store, StoreOptions
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
    SemanticRow,
    SemanticStore,
    SemanticTransaction,
    SemanticWrite,
    SemanticWriteRules,
    chunk_id,
    content_hash,
)
from mnemora_server.stores.base.state import StateRecord, StateStats, StateStore, TtlChange

__all__ = [
    "AccountStore",
    "ApiKeyRecord",
    "BackedStore",
    "Backing",
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
    "SemanticRow",
    "SemanticStore",
    "SemanticTransaction",
    "SemanticWrite",
    "SemanticWriteRules",
    "StateRecord",
    "StateStats",
    "StateStore",
    "Store",
    "StoreOptions",
    "Stores",
    "Tenant",
    "TtlChange",
    "UsageCounters",
    "UsageStore",
    "chunk_id",
    "content_hash",
]
