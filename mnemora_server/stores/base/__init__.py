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
    UsageDay,
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
    Matcher,
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
    first_matching,
    keyword_fetch,
)
from mnemora_server.stores.base.state import (
    NextVersion,
    StateRecord,
    StateStats,
    StateStore,
    StoredVersion,
    TtlChange,
    require_version,
)

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
    "Matcher",
    "MemoryTotals",
    "NextVersion",
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
    "StoredVersion",
    "Stores",
    "Tenant",
    "TtlChange",
    "UsageCounters",
    "UsageDay",
    "UsageStore",
    "chunk_id",
    "content_hash",
    "first_matching",
    "keyword_fetch",
    "require_version",
]
