"""The in-process vector index of the embedded default.

SQLite cannot load a vector extension here, so each server process keeps the vectors of the
agents it serves in memory, one partition per tenant and agent, and brings a partition up to
date before every search by reading only the rows whose change sequence is newer than the last
one it saw. A purge bumps the partition's generation, which makes every process rebuild it.
Searches are exact (a matrix product over the partition), so recall is 1.0 and filtered
searches never miss a match however selective the filter is.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Matcher = Callable[[Mapping[str, Any]], bool]


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
        self.vectors = np.zeros((64, self.dimension), dtype=np.float32)
        self.alive = np.zeros(64, dtype=bool)
        self.namespace_codes = np.zeros(64, dtype=np.int32)
        self.codes = {}

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
                grown = max(64, 2 * len(self.alive))
                vectors = np.zeros((grown, self.dimension), dtype=np.float32)
                vectors[:slot] = self.vectors[:slot]
                alive = np.zeros(grown, dtype=bool)
                alive[:slot] = self.alive[:slot]
                codes = np.zeros(grown, dtype=np.int32)
                codes[:slot] = self.namespace_codes[:slot]
                self.vectors, self.alive, self.namespace_codes = vectors, alive, codes
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
            self.alive[slot] = True

    @property
    def size(self) -> int:
        return len(self.ids)

    def nbytes(self) -> int:
        return int(self.vectors.nbytes)


@dataclass(frozen=True)
class VectorMatch:
    """A record id and its cosine similarity to the query."""

    record_id: str
    similarity: float


class VectorIndex:
    """Per-process cache of vectors, partitioned by tenant and agent, synced from SQLite.

    Args:
        dimension: Vector length.
        max_bytes: Memory budget; least recently used partitions are dropped beyond it.
    """

    def __init__(self, dimension: int, max_bytes: int = 2 * 1024**3) -> None:
        self.dimension = dimension
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

    def _evict(self) -> None:
        with self._lock:
            total = sum(p.nbytes() for p in self._partitions.values())
            while total > self._max_bytes and len(self._partitions) > 1:
                _, dropped = self._partitions.popitem(last=False)
                total -= dropped.nbytes()

    def sync(self, conn: sqlite3.Connection, tenant_id: str, agent_id: str) -> _Partition:
        """Bring one partition up to date with what ``conn`` sees (call under its lock)."""
        partition = self._partition((tenant_id, agent_id))
        row = conn.execute(
            "SELECT generation FROM semantic_partitions WHERE tenant_id = ? AND agent_id = ?",
            (tenant_id, agent_id),
        ).fetchone()
        generation = int(row[0]) if row else 0  # 0: the agent has no rows
        if generation != partition.generation:
            partition.reset(generation)
        if generation == 0:
            return partition
        rows = conn.execute(
            "SELECT id, namespace, metadata, embedding, deleted_at, seq FROM semantic"
            " WHERE tenant_id = ? AND agent_id = ? AND seq > ? ORDER BY seq",
            (tenant_id, agent_id, partition.last_seq),
        ).fetchall()
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
        for agent_id in agent_ids:
            partition = self.sync(conn, tenant_id, agent_id)
            with partition.lock:
                found.extend(
                    _search_partition(partition, query, namespace, matches, limit, threshold)
                )
        found.sort(key=lambda m: m.similarity, reverse=True)
        return found[:limit]

    def nearest(
        self,
        conn: sqlite3.Connection,
        tenant_id: str,
        agent_id: str,
        namespace: str,
        query: npt.NDArray[np.float32],
    ) -> VectorMatch | None:
        """The single most similar live vector in one agent and namespace."""
        matches = self.search(
            conn,
            tenant_id,
            [agent_id],
            query,
            namespace=namespace,
            matches=None,
            limit=1,
            threshold=-1.0,
        )
        return matches[0] if matches else None

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
    if size == 0:
        return []
    scores = partition.vectors[:size] @ query
    # Rows that cannot match sink below every real score, so one partial sort over the whole
    # partition finds the best ones (cheaper than collecting the valid rows first).
    invalid = ~partition.alive[:size]
    if namespace is not None:
        code = partition.codes.get(namespace)
        if code is None:
            return []
        invalid |= partition.namespace_codes[:size] != code
    scores[invalid] = -np.inf
    valid_count = size - int(np.count_nonzero(invalid))
    if valid_count == 0:
        return []
    # Rank only as many as needed; widen when the metadata filter rejects candidates.
    want = min(valid_count, limit if matches is None else limit * 4)
    while True:
        top = np.argpartition(-scores, want - 1)[:want] if want < size else np.arange(size)
        ordered = top[np.argsort(-scores[top], kind="stable")]
        result: list[VectorMatch] = []
        for slot in ordered:
            score = float(scores[slot])
            if score < threshold:  # also stops at the sunk rows (-inf)
                return result
            if matches is None or matches(partition.metadata[slot]):
                result.append(VectorMatch(partition.ids[slot], score))
                if len(result) == limit:
                    return result
        if want >= valid_count:
            return result
        want = min(valid_count, want * 4)
