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

The memory budget bounds all of it (see :class:`VectorIndex`): an agent too large for the
budget keeps only its int8 codes, or nothing at all.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numkong
import numpy as np
import numpy.typing as npt

from mnemora_server.beside import beside
from mnemora_server.stores.base import Matcher
from mnemora_server.stores.sqlite.vector_blocks import RowBlocks

SCREEN_CANDIDATES = 256
"""Candidates the int8 screen passes to the exact ranking, at least (more when the limit is
high or a metadata filter rejects candidates)."""


SYNC_SLICE_ROWS = 2_000
"""Changed rows a sync reads at a time."""

SCAN_PART_ROWS = 10_000
"""Rows of a screen one thread takes at least: a larger partition is screened in parts at
once (numkong releases the GIL), one per core up to four; at 100,000 rows two cores screen a
query in 1.2 ms instead of 1.7 ms."""

_SCAN_THREADS = min(4, os.cpu_count() or 1)


def screened_dots(
    codes: npt.NDArray[np.int8],
    int8_vectors: RowBlocks,
    int8_scales: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """The int8 screen's scores: each query code row's dot product with each of the first
    ``len(int8_scales)`` stored code rows, scaled back by the stored row's factor (queries x
    rows). Large screens are split into parts that run at once, the calling thread taking
    the first."""
    rows = len(int8_scales)
    scores = np.empty((len(codes), rows), dtype=np.float32)
    pieces = list(int8_vectors.pieces(rows))

    def part(first: int, last: int) -> None:
        for start, piece in pieces:
            low, high = max(first, start), min(last, start + len(piece))
            if low < high:
                dots = numkong.cdist(
                    codes, piece[low - start : high - start], metric="dot", out_dtype="float32"
                )
                scores[:, low:high] = np.asarray(dots)
                scores[:, low:high] *= int8_scales[low:high]

    parts = max(1, min(_SCAN_THREADS, rows // SCAN_PART_ROWS))
    bounds = [rows * i // parts for i in range(parts + 1)]
    others = [beside(part, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    part(bounds[0], bounds[1])
    for other in others:
        other.result()
    return scores


def quantise(
    vectors: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """int8 codes of ``vectors`` (rows scaled to +-127 by their largest component) and the
    per-row factor that maps a code dot product back to the float scale."""
    peaks = np.abs(vectors).max(axis=-1)
    peaks = np.where(peaks > 0, peaks, 1.0).astype(np.float32)
    codes = np.rint(vectors * (127.0 / peaks[..., None])).astype(np.int8)
    return codes, (peaks / 127.0).astype(np.float32)


ROW_OBJECT_BYTES = 330
"""What a held row costs beside its vectors: its id, metadata, slot and namespace as Python
objects (measured: 32 MiB for 100,000 rows with empty metadata)."""


def row_bytes(dimension: int, *, floats: bool) -> int:
    """The memory one held row of ``dimension`` takes, with or without its float32 copy."""
    codes = dimension + 4 + 1 + 4 + 8  # int8 codes, scale, alive, namespace code, pk
    return codes + ROW_OBJECT_BYTES + (4 * dimension if floats else 0)


@dataclass
class _Partition:
    """One agent's rows. ``floats``: it holds their float32 vectors (else only the int8
    codes, and the exact ranking reads the candidates' vectors from SQLite); ``streamed``:
    it holds nothing and every search reads the agent's rows from SQLite."""

    dimension: int
    generation: int = -1
    last_seq: int = 0
    floats: bool = True
    streamed: bool = False
    ids: list[str] = field(default_factory=list)
    slots: dict[str, int] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    pks: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    vectors: RowBlocks = field(init=False)
    int8_vectors: RowBlocks = field(init=False)
    int8_scales: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros(0, dtype=np.float32)
    )
    alive: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    namespace_codes: npt.NDArray[np.int32] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int32)
    )
    codes: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.vectors = RowBlocks(self.dimension, np.float32)
        self.int8_vectors = RowBlocks(self.dimension, np.int8)

    def reset(self, generation: int) -> None:
        self.generation = generation
        self.last_seq = 0
        self.floats, self.streamed = True, False
        self.ids, self.slots, self.namespaces, self.metadata = [], {}, [], []
        self.pks = np.zeros(0, dtype=np.int64)
        self.vectors = RowBlocks(self.dimension, np.float32)
        self.int8_vectors = RowBlocks(self.dimension, np.int8)
        self.int8_scales = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self.namespace_codes = np.zeros(0, dtype=np.int32)
        self.codes = {}

    def drop_floats(self) -> None:
        """Keep only the int8 codes from now on."""
        self.floats = False
        self.vectors = RowBlocks(self.dimension, np.float32)

    def reserve(self, rows: int, most: int) -> None:
        """Room for ``rows`` vectors in all: a partition read at once is sized to fit; one
        that grows by a few rows at a time grows by a quarter (but to no more than ``most``
        rows, what the budget holds), so that writes one after the other grow its arrays
        only now and then, not on every write."""
        capacity = len(self.alive)
        if rows > capacity:
            wanted = max(rows, capacity + capacity // 4) if self.ids else rows
            self._grow(max(rows, min(wanted, most)))

    def _grow(self, capacity: int) -> None:
        used = len(self.ids)
        if self.floats:
            self.vectors.grow(capacity, used)
        self.pks = _grown(self.pks, used, capacity)
        self.int8_vectors.grow(capacity, used)
        self.int8_scales = _grown(self.int8_scales, used, capacity)
        self.alive = _grown(self.alive, used, capacity)
        self.namespace_codes = _grown(self.namespace_codes, used, capacity)

    def put(
        self,
        record_id: str,
        pk: int,
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
        self.pks[slot] = pk
        self.namespaces[slot] = namespace
        self.namespace_codes[slot] = self.codes.setdefault(namespace, len(self.codes))
        self.metadata[slot] = metadata
        if vector is None:
            self.alive[slot] = False
        else:
            if self.floats:
                self.vectors[slot] = vector
            self.int8_vectors[slot], self.int8_scales[slot] = quantise(vector)
            self.alive[slot] = True

    @property
    def size(self) -> int:
        return len(self.ids)

    def nbytes(self) -> int:
        """What the partition holds: its arrays and its rows' Python objects (estimated)."""
        arrays = (self.pks, self.int8_scales, self.alive, self.namespace_codes)
        held = self.vectors.nbytes + self.int8_vectors.nbytes + sum(a.nbytes for a in arrays)
        return int(held + ROW_OBJECT_BYTES * self.size)


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

    The budget bounds everything the index holds. Least recently searched partitions are
    dropped to keep within it; a partition whose float32 vectors alone would not fit keeps only
    its int8 codes (a fifth of the size) and ranks its screened candidates by their vectors
    read from SQLite; one whose codes would not fit either is held not at all and searched
    exactly by reading the agent's rows from SQLite in slices (slow, but within the budget).

    Args:
        dimension: Vector length.
        max_bytes: Memory budget.
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
            f"SELECT id, pk, namespace, metadata, embedding, deleted_at, seq FROM {tables.rows}"  # noqa: S608
            " WHERE tenant_id = ? AND agent_id = ? AND seq > ? ORDER BY seq"
        )
        self._count_sql = (
            f"SELECT COUNT(*) FROM {tables.rows}"  # noqa: S608
            " WHERE tenant_id = ? AND agent_id = ? AND seq > ?"
        )
        # "+tenant_id": look the rows up by key; SQLite 3.40 would otherwise walk an index of
        # the tenant's rows (18 ms instead of 0.6 ms for 256 rows of 100,000).
        self._vectors_sql = (
            f"SELECT pk, embedding FROM {tables.rows} WHERE +tenant_id = ? AND pk IN "  # noqa: S608
        )
        self._live_sql = (
            f"SELECT id, namespace, metadata, embedding FROM {tables.rows}"  # noqa: S608
            " WHERE tenant_id = ? AND agent_id = ? AND deleted_at IS NULL"
            " AND embedding IS NOT NULL AND (? IS NULL OR namespace = ?)"
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
        """Bytes held now (every partition's arrays and its rows' objects)."""
        with self._lock:
            return sum(p.nbytes() for p in self._partitions.values())

    def _evict(self) -> None:
        with self._lock:
            total = sum(p.nbytes() for p in self._partitions.values())
            while total > self._max_bytes and len(self._partitions) > 1:
                _, dropped = self._partitions.popitem(last=False)
                total -= dropped.nbytes()

    def _fits(self, rows: int, *, floats: bool) -> bool:
        return rows * row_bytes(self.dimension, floats=floats) <= self._max_bytes

    def _sync(
        self, conn: sqlite3.Connection, tenant_id: str, agent_id: str, partition: _Partition
    ) -> None:
        """Bring ``partition`` up to date with what ``conn`` sees (under the partition's
        lock): read the rows changed since it last looked, or decide it is too large to
        hold."""
        row = conn.execute(self._generation_sql, (tenant_id, agent_id)).fetchone()
        generation = int(row[0]) if row else 0  # 0: the agent has no rows
        if generation != partition.generation or partition.streamed:
            partition.reset(generation)
        if generation == 0:
            return
        changes = conn.execute(self._count_sql, (tenant_id, agent_id, partition.last_seq))
        changed = int(changes.fetchone()[0])
        rows = partition.size + changed  # at most
        if not self._fits(rows, floats=False):
            partition.reset(generation)
            partition.streamed = True
            return
        if partition.floats and not self._fits(rows, floats=True):
            partition.drop_floats()
        if changed:
            per_row = row_bytes(self.dimension, floats=partition.floats)
            partition.reserve(rows, most=self._max_bytes // per_row)
            cursor = conn.execute(self._changes_sql, (tenant_id, agent_id, partition.last_seq))
            # In slices: a partition read at once never holds all its rows' blobs at the
            # same time (100,000 rows would be 150 MB of them, which the allocator keeps).
            while slice_ := cursor.fetchmany(SYNC_SLICE_ROWS):
                for record_id, pk, namespace, metadata, embedding, deleted_at, seq in slice_:
                    vector = None
                    if embedding is not None and deleted_at is None:
                        vector = np.frombuffer(embedding, dtype=np.float32)
                    partition.put(record_id, pk, namespace, json.loads(metadata), vector)
                    partition.last_seq = max(partition.last_seq, int(seq))
        self._evict()

    def _exact_vectors(
        self, conn: sqlite3.Connection, tenant_id: str, partition: _Partition
    ) -> Callable[[npt.NDArray[np.intp]], npt.NDArray[np.float32]]:
        """How the exact ranking gets some slots' float32 vectors: from the partition, or,
        where it keeps only codes, from SQLite by primary key (within the tenant)."""
        if partition.floats:
            return partition.vectors.take

        def read(slots: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
            pks = partition.pks[slots].tolist()
            found: dict[int, bytes] = {}
            for first in range(0, len(pks), 500):
                part = pks[first : first + 500]
                sql = self._vectors_sql + "(" + ",".join("?" * len(part)) + ")"
                found.update(conn.execute(sql, (tenant_id, *part)).fetchall())
            vectors = np.zeros((len(pks), self.dimension), dtype=np.float32)
            for row, pk in enumerate(pks):
                if found.get(pk) is not None:
                    vectors[row] = np.frombuffer(found[pk], dtype=np.float32)
            return vectors

        return read

    def _live_rows(
        self, conn: sqlite3.Connection, tenant_id: str, agent_id: str, namespace: str | None
    ) -> Iterator[tuple[list[str], list[str], npt.NDArray[np.float32]]]:
        """An agent's live rows read from SQLite in slices: ids, metadata JSON, vectors."""
        cursor = conn.execute(self._live_sql, (tenant_id, agent_id, namespace, namespace))
        while slice_ := cursor.fetchmany(SYNC_SLICE_ROWS):
            yield (
                [row[0] for row in slice_],
                [row[2] for row in slice_],
                np.frombuffer(b"".join(row[3] for row in slice_), dtype=np.float32).reshape(
                    len(slice_), self.dimension
                ),
            )

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
            partition = self._partition((tenant_id, agent_id))
            with partition.lock:
                self._sync(conn, tenant_id, agent_id, partition)
                if partition.streamed:
                    rows = self._live_rows(conn, tenant_id, agent_id, namespace)
                    found.extend(_search_rows(rows, query, matches, limit, threshold))
                    continue
                exact = self._exact_vectors(conn, tenant_id, partition)
                found.extend(
                    _search_partition(partition, exact, query, namespace, matches, limit, threshold)
                )
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
        partition = self._partition((tenant_id, agent_id))
        with partition.lock:
            self._sync(conn, tenant_id, agent_id, partition)
            if partition.streamed:
                rows = self._live_rows(conn, tenant_id, agent_id, namespace)
                return _nearest_in_rows(rows, queries)
            exact = self._exact_vectors(conn, tenant_id, partition)
            return _nearest_in_partition(partition, exact, queries, namespace)

    def drop(self, tenant_id: str, agent_id: str | None = None) -> None:
        """Forget cached partitions (the next sync rebuilds them)."""
        with self._lock:
            for key in [
                k
                for k in self._partitions
                if k[0] == tenant_id and (agent_id is None or k[1] == agent_id)
            ]:
                del self._partitions[key]


_Exact = Callable[[npt.NDArray[np.intp]], npt.NDArray[np.float32]]


def _search_rows(
    rows: Iterator[tuple[list[str], list[str], npt.NDArray[np.float32]]],
    query: npt.NDArray[np.float32],
    matches: Matcher | None,
    limit: int,
    threshold: float,
) -> list[VectorMatch]:
    """The best ``limit`` of rows read slice by slice, by exact similarity."""
    best: list[VectorMatch] = []
    for ids, metadata, vectors in rows:
        scores = vectors @ query
        taken = 0
        for row in np.argsort(-scores, kind="stable").tolist():
            score = float(scores[row])
            if score < threshold or taken == limit:
                break
            if matches is None or matches(json.loads(metadata[row])):
                best.append(VectorMatch(ids[row], score))
                taken += 1
        best = sorted(best, key=lambda m: m.similarity, reverse=True)[:limit]
    return best


def _nearest_in_rows(
    rows: Iterator[tuple[list[str], list[str], npt.NDArray[np.float32]]],
    queries: npt.NDArray[np.float32],
) -> list[VectorMatch | None]:
    """Each query's most similar row of rows read slice by slice."""
    found: list[VectorMatch | None] = [None] * len(queries)
    for ids, _, vectors in rows:
        scores = queries @ vectors.T
        best = np.argmax(scores, axis=1)
        for query, row in enumerate(best.tolist()):
            score = float(scores[query, row])
            current = found[query]
            if current is None or score > current.similarity:
                found[query] = VectorMatch(ids[row], score)
    return found


def _search_partition(
    partition: _Partition,
    exact: _Exact,
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
    screen = _Screen(partition, exact, query, rows)
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
    partition: _Partition, exact: _Exact, queries: npt.NDArray[np.float32], namespace: str
) -> list[VectorMatch | None]:
    size = partition.size
    code = partition.codes.get(namespace)
    valid = partition.alive[:size]
    if code is None or not valid.any():
        return [None] * len(queries)
    valid = valid & (partition.namespace_codes[:size] == code)
    if not valid.any():
        return [None] * len(queries)
    if len(queries) >= EXACT_FROM_QUERIES and partition.floats:
        return _nearest_exact(partition, queries, valid)
    query_codes, _ = quantise(queries)  # a query's own scale does not change its order
    coarse = screened_dots(query_codes, partition.int8_vectors, partition.int8_scales[:size])
    coarse[:, ~valid] = -np.inf
    pool = min(NEAREST_CANDIDATES, size)
    candidates = np.argpartition(-coarse, pool - 1, axis=1)[:, :pool]
    found: list[VectorMatch | None] = []
    for query, slots in zip(queries, candidates, strict=True):
        slots = slots[valid[slots]]
        scores = exact(slots) @ query
        best = int(np.argmax(scores))
        found.append(VectorMatch(partition.ids[int(slots[best])], float(scores[best])))
    return found


def _nearest_exact(
    partition: _Partition, queries: npt.NDArray[np.float32], valid: npt.NDArray[np.bool_]
) -> list[VectorMatch | None]:
    """Each query's most similar valid row by exact float32 similarity."""
    pieces = list(partition.vectors.pieces(partition.size))
    excluded = np.flatnonzero(~valid)
    found: list[VectorMatch | None] = []
    for first in range(0, len(queries), _EXACT_CHUNK):
        chunk = queries[first : first + _EXACT_CHUNK]
        scores = np.empty((len(chunk), partition.size), dtype=np.float32)
        for start, piece in pieces:
            scores[:, start : start + len(piece)] = chunk @ piece.T
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
        exact: _Exact,
        query: npt.NDArray[np.float32],
        rows: npt.NDArray[np.intp],
    ) -> None:
        self._partition = partition
        self._exact = exact
        self._query = query
        self._rows = rows
        self._coarse: npt.NDArray[np.float32] | None = None

    def _coarse_scores(self) -> npt.NDArray[np.float32]:
        if self._coarse is None:
            partition, size = self._partition, self._partition.size
            codes, _ = quantise(self._query)
            dots = screened_dots(
                codes[None, :], partition.int8_vectors, partition.int8_scales[:size]
            )[0]
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
        exact = self._exact(rows) @ self._query
        order = np.argsort(-exact, kind="stable")[:want]
        return rows[order], exact[order]
