"""The API methods, written once for both clients (one module per memory type).

Each method is a plan (see :mod:`mnemora._core`); the descriptors of
:mod:`mnemora._api.descriptors` bind it to :class:`~mnemora.MnemoraSync` as a plain method
and to :class:`~mnemora.MnemoraClient` as a coroutine.
"""

from __future__ import annotations

from mnemora._api.agents import AgentApi
from mnemora._api.checkpoints import CheckpointApi
from mnemora._api.descriptors import api_method, api_pages
from mnemora._api.episodic import EpisodicMemoryApi
from mnemora._api.items import StoreApi
from mnemora._api.procedural import ProceduralMemoryApi
from mnemora._api.semantic import SemanticMemoryApi
from mnemora._api.working import WorkingMemoryApi

__all__ = ["MemoryApi", "api_method", "api_pages"]


class MemoryApi(
    WorkingMemoryApi,
    SemanticMemoryApi,
    EpisodicMemoryApi,
    ProceduralMemoryApi,
    CheckpointApi,
    StoreApi,
    AgentApi,
):
    """Every API method; the clients inherit them."""
