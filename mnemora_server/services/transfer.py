"""Export of a tenant (or one agent) as NDJSON, and import of such a file into any tenant.

Each line is one JSON object with a ``kind``: ``header``, ``state``, ``semantic`` (with its
vector, or its chunks and their vectors), ``episode`` (both tiers), ``procedure`` (every
version), ``checkpoint`` (with its pending writes and channel values), ``item`` (a
long-term store item with its vectors). Import keeps ids,
vectors, versions and timestamps, and is idempotent: importing the same file twice stores
everything once.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mnemora_server.errors import QuotaExceededError, ValidationError
from mnemora_server.identifiers import check_identifier
from mnemora_server.services import checkpoint_lines, item_lines
from mnemora_server.services.episodes import EPISODE_TYPES, EpisodicMemoryService
from mnemora_server.services.procedures import PROCEDURE_TYPES
from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.stores.base import (
    Episode,
    Procedure,
    SemanticDraft,
    SemanticRecord,
    Stores,
    TtlChange,
)
from mnemora_server.tiers import TierLimits

FORMAT = "mnemora-export"
VERSION = 1
_BATCH = 200


KINDS = ("state", "semantic", "episode", "procedure", "checkpoint", "item")
"""The kinds of record an export holds (besides its header)."""


@dataclass
class ImportReport:
    """What an import stored and skipped, by kind: a record the tenant holds already (the
    same id; for state, the same document) is skipped, so importing a file twice stores
    nothing the second time."""

    stored: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    lines: int = 0

    def count(self, kind: str, stored: bool) -> None:
        """Count one record of ``kind`` as stored or (already present) skipped."""
        (self.stored if stored else self.skipped)[kind] += 1


class TransferService:
    """Streams exports and applies imports over the stores."""

    def __init__(
        self, stores: Stores, episodic: EpisodicMemoryService, clock: Callable[[], float]
    ) -> None:
        self._stores = stores
        self._episodic = episodic
        self._clock = clock

    # -- export ------------------------------------------------------------------------------

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[dict[str, Any]]:
        """Every live record of the tenant (or agent), one dict per line."""
        now = self._clock()
        yield {
            "kind": "header",
            "format": FORMAT,
            "version": VERSION,
            "exported_at": now,
            "agent_id": agent_id,
            "dimension": self._stores.semantic.dimension,
        }
        for record in self._stores.state.export(tenant_id, agent_id, now):
            yield {
                "kind": "state",
                "agent_id": record.agent_id,
                "session_id": record.session_id,
                "data": record.data,
                "version": record.version,
                "created_at": record.created_at,
                "updated_at": record.updated_at,
                "expires_at": record.expires_at,
            }
        yield from self._export_semantic(tenant_id, agent_id)
        for episode in self._episodic.export(tenant_id, agent_id):
            yield {
                "kind": "episode",
                "id": episode.id,
                "agent_id": episode.agent_id,
                "session_id": episode.session_id,
                "type": episode.type,
                "content": episode.content,
                "metadata": episode.metadata,
                "timestamp": episode.timestamp,
                "ingested_at": episode.ingested_at,
            }
        for proc in self._stores.procedures.export(tenant_id, agent_id):
            yield {
                "kind": "procedure",
                "agent_id": proc.agent_id,
                "name": proc.name,
                "version": proc.version,
                "type": proc.type,
                "definition": proc.definition,
                "description": proc.description,
                "active": proc.active,
                "created_at": proc.created_at,
            }
        yield from checkpoint_lines.export_lines(self._stores.checkpoints, tenant_id, agent_id)
        yield from item_lines.export_lines(self._stores.items, tenant_id, agent_id, now)

    def _export_semantic(self, tenant_id: str, agent_id: str | None) -> Iterator[dict[str, Any]]:
        pending: dict[str, Any] | None = None
        for record in self._stores.semantic.export(tenant_id, agent_id):
            if record.deleted_at is not None:
                continue
            if record.parent_id is None:
                if pending is not None:
                    yield pending
                pending = _semantic_line(record)
            elif pending is not None and pending["id"] == record.parent_id:
                pending["chunks"].append({"content": record.content, "embedding": record.embedding})
        if pending is not None:
            yield pending

    # -- import ------------------------------------------------------------------------------

    def import_lines(
        self, tenant_id: str, limits: TierLimits, lines: Iterable[bytes | str]
    ) -> ImportReport:
        """Restore an export into ``tenant_id`` (the file's own tenant plays no part).

        The whole file is validated before anything is written, so a bad line anywhere
        writes nothing. If a store fails during the writing pass, running the same import
        again completes it (ids, versions and timestamps are kept, so nothing doubles).

        Raises:
            ValidationError: A line is malformed (its number is in the message).
            QuotaExceededError: The import would exceed the tenant's vector quota.
        """
        with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as spool:
            vectors = 0
            for number, item in self._parse(lines):
                vectors += self._validate(number, item)
                spool.write(json.dumps(item).encode() + b"\n")
            current = self._stores.semantic.totals(tenant_id).vectors
            if current + vectors > limits.max_vectors:
                raise QuotaExceededError(
                    f"the import holds {vectors} vectors; with the {current} stored that "
                    f"exceeds the tier's {limits.max_vectors}",
                    details={"limit": limits.max_vectors, "would_be": current + vectors},
                )
            spool.seek(0)
            return self._write(tenant_id, limits, (json.loads(line) for line in spool))

    @staticmethod
    def _parse(lines: Iterable[bytes | str]) -> Iterator[tuple[int, dict[str, Any]]]:
        for number, raw in enumerate(lines, start=1):
            text = raw.decode() if isinstance(raw, bytes) else raw
            if not text.strip():
                continue
            try:
                item = json.loads(text)
            except ValueError as exc:
                raise ValidationError(f"line {number} is not JSON") from exc
            if not isinstance(item, dict) or "kind" not in item:
                raise ValidationError(f"line {number} has no 'kind'")
            yield number, item

    def _validate(self, number: int, item: dict[str, Any]) -> int:
        """Check one line as the writing pass will read it; return the vectors it holds."""
        kind = item["kind"]
        dimension = self._stores.semantic.dimension
        try:
            if kind == "header":
                self._check_header(item)
            elif kind == "state":
                _state(item)
            elif kind == "procedure":
                _procedure(item)
            elif kind == "episode":
                _episode(item)
            elif kind == "checkpoint":
                checkpoint_lines.parse_line(item)
            elif kind == "item":
                item_lines.parse_line(item, dimension)
            elif kind == "semantic":
                draft = _draft(item, dimension)
                return len(draft.chunks) or 1
            else:
                raise ValidationError(f"unknown kind {kind!r}")
        except ValidationError as exc:
            raise ValidationError(f"line {number}: {exc.message}", details=exc.details) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"line {number}: malformed {kind} record: {exc!r}") from exc
        return 0

    def _write(
        self, tenant_id: str, limits: TierLimits, items: Iterable[dict[str, Any]]
    ) -> ImportReport:
        report = ImportReport()
        batches: dict[str, list[dict[str, Any]]] = {"semantic": [], "episode": []}
        for item in items:
            report.lines += 1
            kind = item["kind"]
            if kind == "state":
                report.count(kind, self._restore_state(tenant_id, item))
            elif kind == "procedure":
                report.count(
                    kind, self._stores.procedures.restore_version(tenant_id, _procedure(item))
                )
            elif kind == "checkpoint":
                agent, checkpoint = checkpoint_lines.parse_line(item)
                report.count(
                    kind,
                    checkpoint_lines.restore(
                        self._stores.checkpoints, tenant_id, agent, checkpoint
                    ),
                )
            elif kind == "item":
                agent, write = item_lines.parse_line(item, self._stores.semantic.dimension)
                report.count(
                    kind,
                    item_lines.restore(self._stores.items, tenant_id, agent, write, self._clock()),
                )
            elif kind in batches:
                batches[kind].append(item)
                if len(batches[kind]) >= _BATCH:
                    self._flush(tenant_id, limits, kind, batches[kind], report)
        for kind, batch in batches.items():
            self._flush(tenant_id, limits, kind, batch, report)
        return report

    def _restore_state(self, tenant_id: str, item: dict[str, Any]) -> bool:
        """Write a session's state unless the same document is live already."""
        agent, session, data, ttl = _state(item)
        now = self._clock()
        current = self._stores.state.get(tenant_id, agent, session, now)
        if current is not None and current.data == data:
            return False
        self._stores.state.put(tenant_id, agent, session, data, ttl, now)
        return True

    def _check_header(self, item: dict[str, Any]) -> None:
        if item.get("format") != FORMAT or item.get("version") != VERSION:
            raise ValidationError(f"not a {FORMAT} version {VERSION} file")
        dimension = item.get("dimension")
        if dimension is not None and dimension != self._stores.semantic.dimension:
            raise ValidationError(
                f"the export holds {dimension}-d vectors; this server uses "
                f"{self._stores.semantic.dimension}"
            )

    def _flush(
        self,
        tenant_id: str,
        limits: TierLimits,
        kind: str,
        batch: list[dict[str, Any]],
        report: ImportReport,
    ) -> None:
        if not batch:
            return
        if kind == "episode":
            episodes = [_episode(item) for item in batch]
            stored = self._stores.episodes.append(tenant_id, episodes, restore=True)
            report.stored["episode"] += stored
            report.skipped["episode"] += len(episodes) - stored
        else:
            drafts = [_draft(item, self._stores.semantic.dimension) for item in batch]
            present = {
                record.id
                for record in self._stores.semantic.get_many(
                    tenant_id, [d.id for d in drafts if d.id is not None]
                )
            }
            new = [d for d in drafts if d.id not in present]
            if new:
                self._stores.semantic.write(
                    tenant_id,
                    new,
                    self._clock(),
                    SemanticWriteRules(max_vectors=limits.max_vectors),
                )
            report.stored["semantic"] += len(new)
            report.skipped["semantic"] += len(drafts) - len(new)
        batch.clear()


def _state(item: dict[str, Any]) -> tuple[str, str, dict[str, Any], TtlChange]:
    agent = check_identifier(item["agent_id"], "agent_id", agent=True)
    session = check_identifier(item["session_id"], "session_id")
    if not isinstance(item["data"], dict):
        raise ValidationError("state data must be an object")
    expires = item.get("expires_at")
    ttl = TtlChange("set", float(expires)) if expires else TtlChange("clear")
    return agent, session, item["data"], ttl


def _procedure(item: dict[str, Any]) -> Procedure:
    if item["type"] not in PROCEDURE_TYPES:
        raise ValidationError(f"unknown procedure type {item['type']!r}")
    return Procedure(
        agent_id=check_identifier(item["agent_id"], "agent_id", agent=True),
        name=check_identifier(item["name"], "name"),
        version=int(item["version"]),
        type=item["type"],
        definition=item["definition"],
        description=item.get("description"),
        active=bool(item.get("active", True)),
        created_at=float(item["created_at"]),
    )


def _semantic_line(record: SemanticRecord) -> dict[str, Any]:
    return {
        "kind": "semantic",
        "id": record.id,
        "agent_id": record.agent_id,
        "namespace": record.namespace,
        "content": record.content,
        "metadata": record.metadata,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "embedding": record.embedding,
        "chunks": [],
    }


def _vector(values: Any, dimension: int) -> list[float]:
    if not isinstance(values, list) or len(values) != dimension:
        raise ValidationError(f"embedding must be a list of {dimension} numbers")
    return [float(v) for v in values]


def _draft(item: dict[str, Any], dimension: int) -> SemanticDraft:
    chunks = tuple(
        (str(c["content"]), _vector(c["embedding"], dimension)) for c in item.get("chunks") or []
    )
    embedding = None if chunks else _vector(item["embedding"], dimension)
    if not isinstance(item.get("metadata", {}), dict):
        raise ValidationError("metadata must be an object")
    return SemanticDraft(
        agent_id=check_identifier(item["agent_id"], "agent_id", agent=True),
        namespace=check_identifier(item["namespace"], "namespace"),
        content=str(item["content"]),
        metadata=item.get("metadata", {}),
        embedding=embedding,
        chunks=chunks,
        id=check_identifier(item["id"], "id"),
        dedup=False,
        created_at=float(item["created_at"]),
    )


def _episode(item: dict[str, Any]) -> Episode:
    if item["type"] not in EPISODE_TYPES:
        raise ValidationError(f"unknown episode type {item['type']!r}")
    if not isinstance(item.get("metadata", {}), dict):
        raise ValidationError("metadata must be an object")
    return Episode(
        id=check_identifier(item["id"], "id"),
        agent_id=check_identifier(item["agent_id"], "agent_id", agent=True),
        session_id=check_identifier(item["session_id"], "session_id"),
        type=item["type"],
        content=item["content"],
        metadata=item.get("metadata", {}),
        timestamp=float(item["timestamp"]),
        ingested_at=float(item["ingested_at"]),
    )
