"""LangChain's own standard suites (langchain-tests, pinned), unmodified, against a live
server on both configurations: the vector store, the retriever and the byte store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.stores import ByteStore
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import (
    BaseStoreAsyncTests,
    BaseStoreSyncTests,
    RetrieversIntegrationTests,
    VectorStoreIntegrationTests,
)

from mnemora import MnemoraSync
from mnemora_integrations.langchain import (
    MnemoraByteStore,
    MnemoraRetriever,
    MnemoraVectorStore,
)
from tests.conftest import LiveServer

FAQ = [
    "Refunds are paid back to the original card within 5 business days.",
    "A refund for an annual plan is prorated by the unused months.",
    "To ask for a refund, open Billing and choose Request refund.",
    "Shipping to Norway takes 3 to 5 days.",
]


class TestMnemoraVectorStore(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self, live: LiveServer, key: str, agent_id: str) -> Iterator[VectorStore]:
        store = MnemoraVectorStore(agent_id=agent_id, api_key=key, base_url=live.url)
        yield store
        store.purge()
        store.close()


class TestMnemoraRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _faq(self, live: LiveServer, key: str, agent_id: str) -> None:
        self._params = {"agent_id": agent_id, "api_key": key, "base_url": live.url}
        with MnemoraSync(api_key=key, base_url=live.url) as client:
            client.store_memories(agent_id, [{"content": text} for text in FAQ])
        return

    @property
    def retriever_constructor(self) -> type[MnemoraRetriever]:
        return MnemoraRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return self._params

    @property
    def retriever_query_example(self) -> str:
        return "how do refunds work?"


class TestMnemoraByteStoreSync(BaseStoreSyncTests[bytes]):
    @pytest.fixture
    def kv_store(self, live: LiveServer, key: str, agent_id: str) -> Iterator[ByteStore]:
        store = MnemoraByteStore(agent_id=agent_id, api_key=key, base_url=live.url)
        yield store
        store.close()

    @pytest.fixture
    def three_values(self) -> tuple[bytes, bytes, bytes]:
        return b"\x00first", "zweite \u00e9".encode(), bytes(range(256))


class TestMnemoraByteStoreAsync(BaseStoreAsyncTests[bytes]):
    @pytest.fixture
    async def kv_store(self, live: LiveServer, key: str, agent_id: str) -> AsyncIterator[ByteStore]:
        store = MnemoraByteStore(agent_id=agent_id, api_key=key, base_url=live.url)
        yield store
        await store.aclose()

    @pytest.fixture
    def three_values(self) -> tuple[bytes, bytes, bytes]:
        return b"\x00first", "zweite \u00e9".encode(), bytes(range(256))
