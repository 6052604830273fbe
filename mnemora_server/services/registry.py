"""Every service, wired once over the stores: shared by the HTTP app and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mnemora_server.embeddings.base import Embedder
from mnemora_server.llm import ChatModel, OpenAICompatibleChat
from mnemora_server.services.accounts import AccountService
from mnemora_server.services.checkpoints import CheckpointService
from mnemora_server.services.episodes import EpisodicMemoryService
from mnemora_server.services.erasure import ErasureService, StoreEraser
from mnemora_server.services.health import HealthService
from mnemora_server.services.items import ItemService
from mnemora_server.services.procedures import ProceduralMemoryService
from mnemora_server.services.semantic import SemanticMemoryService
from mnemora_server.services.state import StateService
from mnemora_server.services.summaries import SummaryService
from mnemora_server.services.transfer import TransferService
from mnemora_server.services.unified import UnifiedMemoryService
from mnemora_server.services.usage import UsageService
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores


@dataclass(frozen=True)
class Services:
    """The domain services of one server process."""

    accounts: AccountService
    erasure: ErasureService
    state: StateService
    semantic: SemanticMemoryService
    usage: UsageService
    episodic: EpisodicMemoryService
    procedural: ProceduralMemoryService
    unified: UnifiedMemoryService
    transfer: TransferService
    summaries: SummaryService
    health: HealthService
    checkpoints: CheckpointService
    items: ItemService

    @classmethod
    def build(
        cls, settings: Settings, stores: Stores, embedder: Embedder, clock: Callable[[], float]
    ) -> Services:
        """Wire every service over ``stores``."""
        episodic = EpisodicMemoryService(
            stores.episodes,
            stores.cold,
            hot_retention_seconds=settings.hot_retention_hours * 3600.0,
            clock=clock,
        )
        state = StateService(stores.state, max_state_bytes=settings.max_state_bytes, clock=clock)
        semantic = SemanticMemoryService(stores.semantic, embedder, stores.usage, clock)
        procedural = ProceduralMemoryService(stores.procedures, clock)
        return cls(
            accounts=AccountService(stores.accounts, settings.tiers, clock),
            erasure=ErasureService(
                accounts=stores.accounts,
                usage=stores.usage,
                idempotency=stores.idempotency,
                erasers=[
                    StoreEraser("state", stores.state),
                    StoreEraser("semantic", stores.semantic),
                    episodic,
                    StoreEraser("procedural", stores.procedures),
                    StoreEraser("checkpoints", stores.checkpoints),
                    StoreEraser("items", stores.items),
                ],
                clock=clock,
            ),
            state=state,
            semantic=semantic,
            usage=UsageService(stores, clock),
            episodic=episodic,
            procedural=procedural,
            unified=UnifiedMemoryService(
                state=state,
                semantic=semantic,
                episodic=episodic,
                procedural=procedural,
                clock=clock,
            ),
            transfer=TransferService(stores, episodic, clock),
            summaries=SummaryService(_chat_model(settings), episodic),
            health=HealthService(stores, embedder),
            checkpoints=CheckpointService(stores.checkpoints, clock),
            items=ItemService(stores.items, semantic.embed, clock),
        )


def _chat_model(settings: Settings) -> ChatModel | None:
    if not settings.llm_url or not settings.llm_model:
        return None
    return OpenAICompatibleChat(settings.llm_url, settings.llm_model, settings.llm_api_key)
