"""LlamaIndex on Mnemora beside LlamaIndex's own SimpleVectorStore and PGVectorStore, in one
run.

Cases:
- ingest of 10K nodes (two synthetic sentences each), embeddings included, through
  ``VectorStoreIndex``: MnemoraVectorStore with the server embedding (``add`` only, no
  client model), MnemoraVectorStore fed by ``MnemoraEmbedding`` (``client_embeddings=True``),
  and SimpleVectorStore and PGVectorStore (embedded PostgreSQL 18 + pgvector, HNSW) fed by
  the same model running in this process; nodes per second;
- retrieval at 100K nodes, the query's embedding included: ``as_retriever(top_k=5)`` on each
  store, p50/p99. The 100K nodes carry random unit vectors (their texts are synthetic); the
  Mnemora ones are written straight into the store before the server starts, the others
  through ``add``. Every Mnemora operation measured goes over HTTP.

Run: ``make bench-llamaindex`` or ``python -m benchmarks.llama_index_memory [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import BasePydanticVectorStore
from llama_index.vector_stores.postgres import PGVectorStore
from pydantic import PrivateAttr

from benchmarks.langgraph_memory import MODEL, provision
from benchmarks.memory_http import percentiles, print_table, sentence
from benchmarks.semantic_bench import embedded_postgres
from benchmarks.state_http import _start_server
from mnemora_integrations.llama_index import MnemoraEmbedding, MnemoraVectorStore
from mnemora_integrations.llama_index.nodes import memory_of
from mnemora_server.embeddings.base import Embedder
from mnemora_server.embeddings.registry import build_embedder
from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.settings import Settings
from mnemora_server.stores.base import SemanticDraft
from mnemora_server.stores.registry import open_stores

DIM = 384


class InProcessEmbedding(BaseEmbedding):
    """The server's model, run in this process, as a LlamaIndex embedding (for the peers)."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder) -> None:
        super().__init__(model_name="all-MiniLM-L6-v2 (in process)", embed_batch_size=256)
        self._embedder = embedder

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return [[float(x) for x in row] for row in self._embedder.embed(texts)]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embeddings([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)


def text_nodes(count: int, seed: int) -> list[TextNode]:
    rng = random.Random(seed)
    return [
        TextNode(id_=f"n{seed}-{i}", text=f"{sentence(rng)} {sentence(rng)}", metadata={"i": i})
        for i in range(count)
    ]


def random_vectors(count: int, seed: int) -> np.ndarray[Any, Any]:
    matrix = np.random.default_rng(seed).standard_normal((count, DIM)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


def bulk_load(data_dir: Path, agent_id: str, count: int) -> None:
    """100K LlamaIndex nodes straight into the embedded store (setup, not measured)."""
    stores = open_stores(Settings(data_dir=data_dir), dimension=DIM)
    stores.setup()
    vectors = random_vectors(count, 5)
    nodes = text_nodes(count, 5)
    for start in range(0, count, 2000):
        drafts = []
        for i in range(start, min(count, start + 2000)):
            item = memory_of(nodes[i], with_embedding=False)
            drafts.append(
                SemanticDraft(
                    agent_id=agent_id,
                    namespace="default",
                    content=item["content"],
                    metadata=item["metadata"],
                    embedding=vectors[i],
                    id=item["id"],
                    dedup=False,
                )
            )
        stores.semantic.write("bench", drafts, time.time(), SemanticWriteRules(max_vectors=None))
    stores.close()


def ingest_rate(store: BasePydanticVectorStore, nodes: list[TextNode], embed: Any) -> float:
    """Nodes per second through ``VectorStoreIndex`` (``embed=None``: the store embeds)."""
    started = time.perf_counter()
    if embed is None:
        for start in range(0, len(nodes), 500):
            store.add(nodes[start : start + 500])
    else:
        VectorStoreIndex(
            nodes,
            storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=embed,
            insert_batch_size=500,
        )
    return round(len(nodes) / (time.perf_counter() - started), 1)


def retrieval(index: VectorStoreIndex, queries: list[str]) -> dict[str, float]:
    """p50/p99 of ``retrieve`` (top 5), the query's embedding included."""
    retriever = index.as_retriever(similarity_top_k=5)
    return percentiles(_timed(lambda q: retriever.retrieve(q), queries))


def _timed(fn: Callable[[str], Any], inputs: list[str]) -> list[float]:
    fn(inputs[0])
    samples = []
    for value in inputs:
        started = time.perf_counter()
        fn(value)
        samples.append(time.perf_counter() - started)
    return samples


def pg_store(url: str, table: str) -> PGVectorStore:
    """LlamaIndex's PGVectorStore on the embedded PostgreSQL (reached by its Unix socket)."""
    tail = url.split("://", 1)[1]
    return PGVectorStore.from_params(
        connection_string=f"postgresql+psycopg2://{tail}",
        async_connection_string=f"postgresql+asyncpg://{tail}",
        table_name=table,
        embed_dim=DIM,
        hnsw_kwargs={"hnsw_m": 16, "hnsw_ef_construction": 64, "hnsw_ef_search": 100},
    )


def main() -> None:
    """Run every case and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--port", type=int, default=18768)
    args = parser.parse_args()
    ingest = 1_000 if args.quick else 10_000
    large = 5_000 if args.quick else 100_000
    os.environ.setdefault("MNEMORA_EMBEDDING_MODEL_PATH", str(MODEL))
    embedder = build_embedder(Settings())
    local = InProcessEmbedding(embedder)
    rng = random.Random(9)
    queries = [sentence(rng) for _ in range(50 if args.quick else 200)]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, embedded_postgres() as pg_url:
        data = Path(tmp) / "data"
        bulk_load(data, "large", large)
        server = _start_server(data, args.port, workers=2, threads=8)
        url = f"http://127.0.0.1:{args.port}"
        try:
            key = provision(url)
            remote = MnemoraEmbedding(api_key=key, base_url=url)
            nodes = text_nodes(ingest, 1)
            rates = {
                "MnemoraVectorStore, server embeds (add)": ingest_rate(
                    MnemoraVectorStore(agent_id="ingest-a", api_key=key, base_url=url),
                    nodes,
                    None,
                ),
                "MnemoraVectorStore + MnemoraEmbedding (client_embeddings)": ingest_rate(
                    MnemoraVectorStore(
                        agent_id="ingest-b", api_key=key, base_url=url, client_embeddings=True
                    ),
                    [n.model_copy() for n in nodes],
                    remote,
                ),
                "SimpleVectorStore, model in process": ingest_rate(
                    SimpleVectorStore(), [n.model_copy() for n in nodes], local
                ),
                "PGVectorStore, model in process": ingest_rate(
                    pg_store(pg_url, "ingest"), [n.model_copy() for n in nodes], local
                ),
            }
            reference = rates["SimpleVectorStore, model in process"]
            for name, rate in rates.items():
                rows.append(
                    {
                        "case": f"ingest {ingest} nodes, {name}",
                        "nodes_per_s": rate,
                        "vs_Simple": round(rate / reference, 2),
                    }
                )
            big = text_nodes(large, 5)
            for node, vector in zip(big, random_vectors(large, 5), strict=True):
                node.embedding = vector.tolist()
            # SimpleVectorStore keeps no text: its index holds the nodes in a docstore.
            simple = VectorStoreIndex(big, embed_model=local, insert_batch_size=2000)
            pg = pg_store(pg_url, "large")
            for start in range(0, large, 2000):
                pg.add(big[start : start + 2000])
            mnemora = MnemoraVectorStore(agent_id="large", api_key=key, base_url=url)
            for name, index in (
                # The retriever sends the query text; the server embeds it (the model given
                # here is not called: is_embedding_query is false).
                (
                    "MnemoraVectorStore (query embedded by the server)",
                    VectorStoreIndex.from_vector_store(mnemora, embed_model=remote),
                ),
                ("SimpleVectorStore (query embedded in process)", simple),
                (
                    "PGVectorStore, HNSW (query embedded in process)",
                    VectorStoreIndex.from_vector_store(pg, embed_model=local),
                ),
            ):
                # SimpleVectorStore stacks every vector for each query: 20 queries tell enough.
                asked = queries[:20] if index is simple else queries
                rows.append(
                    {
                        "case": f"retrieve top 5 of {large} nodes, {name}",
                        **retrieval(index, asked),
                        "queries": len(asked),
                    }
                )
            with_embedding = percentiles(_timed(lambda q: remote.get_query_embedding(q), queries))
            rows.append({"case": "one query's embedding alone (/v1/embeddings)", **with_embedding})
        finally:
            server.terminate()
            server.wait()
    print_table(rows)


if __name__ == "__main__":
    sys.exit(main())
