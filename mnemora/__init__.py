"""Mnemora SDK: memory for AI agents, one API key per tenant.

Example::

    from mnemora import MnemoraSync

    with MnemoraSync(api_key="mnm_...") as client:
        client.store_state("support-agent", {"ticket": 42}, session_id="ticket-42")
        print(client.get_state("support-agent", session_id="ticket-42").data)

``MnemoraClient`` is the asyncio twin with the same methods.
"""

from __future__ import annotations

from mnemora._version import __version__
from mnemora.client import MnemoraClient
from mnemora.errors import (
    MnemoraAuthError,
    MnemoraConfigError,
    MnemoraConflictError,
    MnemoraConnectionError,
    MnemoraError,
    MnemoraForbiddenError,
    MnemoraNotFoundError,
    MnemoraPayloadTooLargeError,
    MnemoraQuotaExceededError,
    MnemoraRateLimitError,
    MnemoraServerError,
    MnemoraTimeoutError,
    MnemoraUnavailableError,
    MnemoraValidationError,
)
from mnemora.models import (
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
from mnemora.sync_client import MnemoraSync

__all__ = [
    "EmbeddingsResponse",
    "EpisodeResponse",
    "HealthResponse",
    "ImportResponse",
    "MnemoraAuthError",
    "MnemoraClient",
    "MnemoraConfigError",
    "MnemoraConflictError",
    "MnemoraConnectionError",
    "MnemoraError",
    "MnemoraForbiddenError",
    "MnemoraNotFoundError",
    "MnemoraPayloadTooLargeError",
    "MnemoraQuotaExceededError",
    "MnemoraRateLimitError",
    "MnemoraServerError",
    "MnemoraSync",
    "MnemoraTimeoutError",
    "MnemoraUnavailableError",
    "MnemoraValidationError",
    "ProcedureResponse",
    "PurgeResponse",
    "SearchResult",
    "SemanticResponse",
    "SessionPage",
    "StateResponse",
    "UsageDayResponse",
    "UsageResponse",
    "__version__",
]
