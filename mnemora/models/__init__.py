"""Typed responses of the Mnemora API.

Models accept unknown fields, so that a newer server never breaks an older SDK.
"""

from __future__ import annotations

from mnemora.models.checkpoints import (
    ChannelValue,
    CheckpointConfig,
    CheckpointResponse,
    PendingWriteValue,
)
from mnemora.models.items import StoreItem
from mnemora.models.memory import (
    EmbeddingsResponse,
    EpisodeResponse,
    HealthResponse,
    ImportResponse,
    ProcedureResponse,
    PurgeResponse,
    SearchResult,
    SemanticResponse,
    SessionPage,
    StateResponse,
    UsageDayResponse,
    UsageResponse,
)

__all__ = [
    "ChannelValue",
    "CheckpointConfig",
    "CheckpointResponse",
    "EmbeddingsResponse",
    "EpisodeResponse",
    "HealthResponse",
    "ImportResponse",
    "PendingWriteValue",
    "ProcedureResponse",
    "PurgeResponse",
    "SearchResult",
    "SemanticResponse",
    "SessionPage",
    "StateResponse",
    "StoreItem",
    "UsageDayResponse",
    "UsageResponse",
]
