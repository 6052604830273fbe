"""The in-process vector index of the embedded default.

SQLite cannot load a vector extension here, so each server process keeps the vectors of the
agents it serves in memory, one partition per tenant and agent, and brings a partition up to
date before every search by reading only the rows whose change sequence is newer than the last
one it saw. A purge bumps the partition's generation, which makes every process rebuild it.

A search screens every row of the partition with int8 copies of the vectors (each row scaled
by its own largest component; a SIMD int8 dot product reads a quarter of the memory a float32
product does), keeps the best few hundred candidates, and ranks those by their exact float32
cosine similarity. Rows that a namespace excludes are removed before screening, so a selective
filter never loses matches to rows it would reject. Recall@10 against the exact scan is
measured in ``tests/stores/test_vector_screen.py`` and in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numkong
import numpy as np
import numpy.typing as npt

from mnemora_server.stores.base import Matcher

SCREEN_CANDIDATES = 256
"""Candidates the int8 screen passes to the exact ranking, at least (more when the limit is
high or a metadata filter rejects candidates)."""


def quantise(
    vectors: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """int8 codes of ``vectors`` (rows scaled to +-127 by their largest component) and the
    per-row factor that maps a code dot product back to the float scale."""
    peaks = np.abs(vectors).max(axis=-1)
    peaks = np.where(peaks > 0, peaks, 1.0).astype(np.float32)
    codes = np.rint(vectors * (127.0 / peaks[..., None])).astype(np.int8)
    return codes, (peaks / 127.0).astype(np.float32)


@dataclass
class _Partition:
    dimension: int
    generation: int = -1
    last_seq: int = 0
    ids: list[str] = field(default_factory=list)
    slots: dict[str, int] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    vectors: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, 0), dtype=np.float32)
    )
    int8_vectors: npt.NDArray[np.int8] = field(
        default_factory=lambda: np.zeros((0, 0), dtype=np.int8)
    )
    int8_scales: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros(0, dtype=np.float32)
    )
    alive: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    namespace_codes: npt.NDArray[np.int32] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int32)
    )
    codes: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, generation: int) -> None:
        self.generation = generation
        self.last_seq = 0
        self.ids, self.slots, self.namespaces, self.metadata = [], {}, [], []
        self.vectors = np.zeros((0, self.dimension), dtype=np.float32)
        self.int8_vectors = np.zeros((0, self.dimension), dtype=np.int8)
        self.int8_scales = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self.namespace_codes = np.zeros(0, dtype=np.int32)
        self.codes = {}

    def reserve(self, rows: int) -> None:
        """Room for ``rows`` vectors in all: a partition read at once is sized to fit; one
        that grows by a few rows at a time grows by a quarter, so that writes one after the
        other copy its arrays only now and then, not on every write."""
        capacity = len(self.alive)
        if rows > capacity:
            self._grow(rows if not self.ids else max(rows, capacity + capacity // 4))

    def _grow(self, capacity: int) -> None:
        used = len(self.ids)
        self.vectors = _grown(self.vectors, used, capacity)
        self.int8_vectors = _grown(self.int8_vectors, used, capacity)
        self.int8_scales = _grown(self.int8_scales, used, capacity)
        self.alive = _grown(self.alive, used, capacity)
        self.namespace_codes = _grown(self.namespace_codes, used, capacity)

    def put(
        self,
        record_id: str,
        namespace: str,
        metadata: dict[str, Any],
        vector: npt.NDArray[np.float32] | None,
    ) -> None:
        slot = self.slots.get(record_id)
        if slot is None:
            if vector is None:
                return
            slot = len(self.ids)
            if slot >= len(self.alive):
                self._grow(max(8, 2 * len(self.alive)))
            self.ids.append(record_id)
            self.namespaces.append(namespace)
            self.metadata.append(metadata)
            self.slots[record_id] = slot
        self.namespaces[slot] = namespace
        self.namespace_codes[slot] = self.codes.setdefault(namespace, len(self.codes))
        self.metadata[slot] = metadata
        if vector is None:
            self.alive[slot] = False
        else:
            self.vectors[slot] = vector
            self.int8_vectors[slot], self.int8_scales[slot] = quantise(vector)
            self.alive[slot] = True

    @property
    def size(self) -> int:
        return len(self.ids)

    def nbytes(self) -> int:
        return int(self.vectors.nbytes + self.int8_vectors.nbytes)


def _grown(array: npt.NDArray[Any], used: int, capacity: int) -> npt.NDArray[Any]:
    """A copy of ``array`` with room for ``capacity`` rows, the first ``used`` kept."""
    bigger = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    bigger[:used] = array[:used]
    return bigger


@dataclass(frozen=True)
class VectorMatch:
    """A record id and its cosine similarity to the query."""

    record_id: str
    similarity: float


@dataclass(frozen=True)
class VectorTables:
    """Where an index reads its vectors: a table of rows (``tenant_id``, ``agent_id``, ``id``,
    ``namespace``, ``metadata``, ``embedding``, ``deleted_at``, ``seq``) and a table of each
    agent's partition generation (``tenant_id``, ``agent_id``, ``generation``)."""

    rows: str = "semantic"
    partitions: str = "semantic_partitions"

    def __post_init__(self) -> None:
        if not (self.rows.isidentifier() and self.partitions.isidentifier()):
            raise ValueError("vector table names must be identifiers")


class VectorIndex:
    """Per-process cache of vectors, partitioned by tenant and agent, synced from SQLite.

    Args:
        dimension: Vector length.
        max_bytes: Memory budget; least recently used partitions are dropped beyond it.
        tables: The tables it reads (semantic memory's by default).
    """

    def __init__(
        self, dimension: int, max_bytes: int = 2 * 1024**3, tables: VectorTables | None = None
    ) -> None:
        self.dimension = dimension
        tables = tables or VectorTables()
        # Identifiers checked by VectorTables; values are always parameters.
        self._generation_sql = (
            f"SELECT generation FROM {tables.partitions}"  # noqa: S608
            " WHERE tenant_id = ? AND agent_id = ?"
        )
        self._changes_sql = (
            f"SELECT id, namespace, metadata, embedding, deleted_at, seq FROM {tables.rows}"  # noqa: S608
            " WHERE tenant_id = ? AND agent_id = ? AND seq > ? ORDER BY seq"
        )
        self._max_bytes = max_bytes
        self._partitions: OrderedDict[tuple[str, str], _Partition] = OrderedDict()
        self._lock = threading.Lock()

    def _partition(self, key: tuple[str, str]) -> _Partition:
        with self._lock:
            partition = self._partitions.get(key)
            if partition is None:
                partition = _Partition(self.dimension)
                self._partitions[key] = partition
            self._partitions.move_to_end(key)
            return partition

    def nbytes(self) -> int:
        """Bytes of vectors held now (every partition)."""
        with self._lock:
            return sum(p.nbytes() for p in self._partitions.values())

    def _evict(self) -> None:
        with self._lock:
            total = sum(p.nbytes() for p in self._partitions.values())
            while total > self._max_bytes and len(self._partitions) > 1:
                _, dropped = self._partitions.popitem(last=False)
                total -= dropped.nbytes()

    def sync(self, conn: sqlite3.Connection, tenant_id: str, agent_id: str) -> _Partition:
        """Bring one partition up to date with what ``conn`` sees (call under its lock)."""
        partition = self._partition((tenant_id, agent_id))
        row = conn.execute(self._generation_sql, (tenant_id, agent_id)).fetchone()
        generation = int(row[0]) if row else 0  # 0: the agent has no rows
        if generation != partition.generation:
            partition.reset(generation)
        if generation == 0:
            return partition
        rows = conn.execute(self._changes_sql, (tenant_id, agent_id, partition.last_seq)).fetchall()
        partition.reserve(len(partition.ids) + len(rows))
        for record_id, namespace, metadata, embedding, deleted_at, seq in rows:
            vector = None
            if embedding is not None and deleted_at is None:
                vector = np.frombuffer(embedding, dtype=np.float32)
            partition.put(record_id, namespace, json.loads(metadata), vector)
            partition.last_seq = max(partition.last_seq, int(seq))
        if rows:
            self._evict()
        return partition

    def search(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        agent_ids: list[str],
        query: npt.NDArray[np.float32],
        *,
        namespace: str | None,
        matches: Matcher | None,
        limit: int,
        threshold: float,
    ) -> list[VectorMatch]:
        """The ``limit`` most similar live vectors of the agents, best first."""
        found: list[VectorMatch] = []
        grown = False
        for agent_id in agent_ids:
            partition = self.sync(conn, tenant_id, agent_id)
            with partition.lock:
                before = partition.nbytes()
                found.extend(
                    _search_partition(partition, query, namespace, matches, limit, threshold)
                )
                grown = grown or partition.nbytes() > before  # a search may build int8 copies
        if grown:
            self._evict()
        found.sort(key=lambda m: m.similarity, reverse=True)
        return found[:limit]

    def nearest_many(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        agent_id: str,
        namespace: str,
        queries: npt.NDArray[np.float32],
    ) -> list[VectorMatch | None]:
        """For each row of ``queries``, the most similar live vector in one agent and
        namespace (``None`` where there is none), in one pass: a few queries are screened
        with int8 codes (one product) and each one's best screened rows ranked exactly; from
        :data:`EXACT_FROM_QUERIES` queries on, every row is scored exactly (one float32
        matrix product per chunk of queries)."""
        partition = self.sync(conn, tenant_id, agent_id)
        with partition.lock:
            return _nearest_in_partition(partition, queries, namespace)

    def drop(self, tenant_id: str, agent_id: str | None = None) -> None:
        """Forget cached partitions (the next sync rebuilds them)."""
        with self._lock:
            for key in [
                k
                for k in self._partitions
                if k[0] == tenant_id and (agent_id is None or k[1] == agent_id)
            ]:
                del self._partitions[key]


def _search_partition(
    partition: _Partition,
    query: npt.NDArray[np.float32],
    namespace: str | None,
    matches: Matcher | None,
    limit: int,
    threshold: float,
) -> list[VectorMatch]:
    size = partition.size
    valid = partition.alive[:size]
    if namespace is not None:
        code = partition.codes.get(namespace)
        if code is None:
            return []
        valid = valid & (partition.namespace_codes[:size] == code)
    rows = np.flatnonzero(valid)
    if len(rows) == 0:
        return []
    screen = _Screen(partition, query, rows)
    # Rank only as many as needed; widen when the metadata filter rejects candidates.
    want = min(len(rows), limit if matches is None else limit * 4)
    while True:
        slots, scores = screen.best(want)
        result: list[VectorMatch] = []
        for slot, score in zip(slots.tolist(), scores.tolist(), strict=True):
            if score < threshold:
                return result
            if matches is None or matches(partition.metadata[slot]):
                result.append(VectorMatch(partition.ids[slot], score))
                if len(result) == limit:
                    return result
        if want >= len(rows):
            return result
        want = min(len(rows), want * 4)


NEAREST_CANDIDATES = 32
"""Screened rows each query of :meth:`VectorIndex.nearest_many` ranks exactly, when there are
few queries. The screen's scores are close to the exact ones, so the nearest row is among
them unless dozens of rows are about as near; then one of those is found, which decides a
duplicate check the same."""

EXACT_FROM_QUERIES = 8
"""From this many queries on, :meth:`VectorIndex.nearest_many` scores them exactly instead:
one float32 matrix product (BLAS) per chunk of queries costs less than the int8 screen of
each query plus the selection of its candidates (measured at 100,000 rows and 100 queries:
52 ms against 209 ms for the int8 product and 250 ms for selecting the candidates)."""

_EXACT_CHUNK = 32
"""Queries scored together in the exact path (bounds its scratch matrix: 32 x rows floats)."""


def _nearest_in_partition(
    partition: _Partition, queries: npt.NDArray[np.float32], namespace: str
) -> list[VectorMatch | None]:
    size = partition.size
    code = partition.codes.get(namespace)
    valid = partition.alive[:size]
    if code is None or not valid.any():
        return [None] * len(queries)
    valid = valid & (partition.namespace_codes[:size] == code)
    if not valid.any():
        return [None] * len(queries)
    if len(queries) >= EXACT_FROM_QUERIES:
        return _nearest_exact(partition, queries, valid)
    query_codes, _ = quantise(queries)  # a query's own scale does not change its order
    coarse = np.asarray(
        numkong.cdist(query_codes, partition.int8_vectors[:size], metric="dot", out_dtype="float32")
    )
    coarse *= partition.int8_scales[:size]
    coarse[:, ~valid] = -np.inf
    pool = min(NEAREST_CANDIDATES, size)
    candidates = np.argpartition(-coarse, pool - 1, axis=1)[:, :pool]
    found: list[VectorMatch | None] = []
    for query, slots in zip(queries, candidates, strict=True):
        slots = slots[valid[slots]]
        exact = partition.vectors[slots] @ query
        best = int(np.argmax(exact))
        found.append(VectorMatch(partition.ids[int(slots[best])], float(exact[best])))
    return found


def _nearest_exact(
    partition: _Partition, queries: npt.NDArray[np.float32], valid: npt.NDArray[np.bool_]
) -> list[VectorMatch | None]:
    """Each query's most similar valid row by exact float32 similarity."""
    vectors = partition.vectors[: partition.size]
    excluded = np.flatnonzero(~valid)
    found: list[VectorMatch | None] = []
    for first in range(0, len(queries), _EXACT_CHUNK):
        scores = queries[first : first + _EXACT_CHUNK] @ vectors.T
        scores[:, excluded] = -np.inf
        best = np.argmax(scores, axis=1)
        found.extend(
            VectorMatch(partition.ids[int(slot)], float(scores[row, slot]))
            for row, slot in enumerate(best)
        )
    return found


class _Screen:
    """The candidate rows of one search, screened by int8 scores, ranked by exact ones."""

    def __init__(
        self,
        partition: _Partition,
        query: npt.NDArray[np.float32],
        rows: npt.NDArray[np.intp],
    ) -> None:
        self._partition = partition
        self._query = query
        self._rows = rows
        self._coarse: npt.NDArray[np.float32] | None = None

    def _coarse_scores(self) -> npt.NDArray[np.float32]:
        if self._coarse is None:
            partition, size = self._partition, self._partition.size
            codes, _ = quantise(self._query)
            dots = np.asarray(
                numkong.cdist(
                    codes[None, :],
                    partition.int8_vectors[:size],
                    metric="dot",
                    out_dtype="float32",
                )
            )[0]
            dots *= partition.int8_scales[:size]
            self._coarse = dots[self._rows] if len(self._rows) < size else dots
        return self._coarse

    def best(self, want: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        """The ``want`` best rows by exact similarity (best first) and their scores."""
        rows = self._rows
        pool = max(SCREEN_CANDIDATES, 4 * want)
        if pool < len(rows):
            # Every row scoring at least the pool-th best screened score (ties may add a few);
            # a partition for that one value is cheaper than arg-partitioning all rows.
            coarse = self._coarse_scores()
            cut = np.partition(coarse, len(rows) - pool)[len(rows) - pool]
            rows = rows[coarse >= cut]
        exact = self._partition.vectors[rows] @ self._query
        order = np.argsort(-exact, kind="stable")[:want]
        return rows[order], exact[order]
