"""Store protocols and the records they exchange with services.

Every method takes the tenant id explicitly; a store never decides the tenant itself.
Stores are synchronous (the server is WSGI). A backend failure is raised as
:class:`mnemora_server.errors.UnavailableError`, after which the write did not happen.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Protocol

KeyScope = Literal["read_write", "read_only"]


@dataclass(frozen=True)
class Tenant:
    """A customer of the SaaS platform.

    Attributes:
        tenant_id: The tenant's identifier.
        tier: Name of the tier whose limits apply.
        limits: Per-tenant overrides of tier limits (field name -> value).
        created_at: Creation time, seconds since the epoch.
    """

    tenant_id: str
    tier: str
    limits: dict[str, int] = field(default_factory=dict)
    created_at: float = 0.0


@dataclass(frozen=True)
class ApiKeyRecord:
    """What is stored of an API key: never the key itself, only its SHA-256.

    Attributes:
        key_id: Public identifier of the key (safe to log and list).
        tenant_id: The tenant the key authenticates.
        key_hash: Hex SHA-256 of the full key.
        prefix: The first characters of the key, to help people recognise it.
        scope: ``read_write`` or ``read_only``.
        created_at: Creation time (epoch seconds).
        expires_at: Expiry (epoch seconds) or ``None``.
        revoked_at: Revocation time or ``None``.
    """

    key_id: str
    tenant_id: str
    key_hash: str
    prefix: str
    scope: KeyScope
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None


@dataclass(frozen=True)
class CallDecision:
    """The outcome of counting one authenticated call against its limits.

    Attributes:
        allowed: Whether the call may proceed.
        reason: ``None`` when allowed, else ``"daily"`` or ``"burst"``.
        daily_limit: Calls allowed per UTC day.
        daily_remaining: Calls left today after this one.
        reset_at: Epoch second at which the daily window resets.
        retry_after: Seconds to wait before retrying, when refused.
    """

    allowed: bool
    reason: Literal["daily", "burst"] | None
    daily_limit: int
    daily_remaining: int
    reset_at: int
    retry_after: int = 0


@dataclass(frozen=True)
class UsageCounters:
    """Exact per-tenant counters for one day and its month.

    Attributes:
        calls_today: Authenticated calls today (accepted or refused).
        accepted_today: Calls accepted today (counted against the daily limit).
        calls_month: Authenticated calls this month.
        rejected_month: Calls refused by a limit this month.
        embeddings_today: Embeddings generated today.
        embeddings_month: Embeddings generated this month.
    """

    calls_today: int = 0
    accepted_today: int = 0
    calls_month: int = 0
    rejected_month: int = 0
    embeddings_today: int = 0
    embeddings_month: int = 0


@dataclass(frozen=True)
class IdempotencyRecord:
    """A remembered answer to a write sent with an ``Idempotency-Key``.

    Attributes:
        fingerprint: Hash of method, path and body of the first request.
        finished: Whether the first request finished (else it is still running).
        status: HTTP status of the first answer.
        body: The first answer's ``data`` (JSON text), or ``None``.
        reclaimed: This request takes over an earlier attempt of the same request that
            failed or died without an answer; it should redo exactly what that one did.
        started_at: When the first attempt started (for a reclaimed key).
    """

    fingerprint: str
    finished: bool
    status: int = 0
    body: str | None = None
    reclaimed: bool = False
    started_at: float = 0.0


@dataclass(frozen=True)
class StateRecord:
    """One working-memory document of an agent session.

    Attributes:
        agent_id: Owning agent.
        session_id: Session within the agent.
        data: The JSON document.
        version: Monotonic version; never reset for the same session key.
        created_at: When the current document was created (epoch seconds).
        updated_at: Last write (epoch seconds).
        expires_at: Expiry (epoch seconds) or ``None``.
    """

    agent_id: str
    session_id: str
    data: dict[str, Any]
    version: int
    created_at: float
    updated_at: float
    expires_at: float | None


@dataclass(frozen=True)
class TtlChange:
    """How a write changes a session's expiry.

    Attributes:
        mode: ``keep`` the current expiry, ``set`` a new one, or ``clear`` it.
        expires_at: The new expiry when ``mode`` is ``set``.
    """

    mode: Literal["keep", "set", "clear"] = "keep"
    expires_at: float | None = None

    def applied_to(self, current_expiry: float | None, *, live: bool) -> float | None:
        """The expiry after a write, given the document's current one and whether it is live
        (an expired or deleted document has nothing to keep)."""
        if self.mode == "set":
            return self.expires_at
        if self.mode == "keep" and live:
            return current_expiry
        return None


@dataclass(frozen=True)
class StateStats:
    """Aggregate figures of one tenant's working memory.

    Attributes:
        agents: Agents with at least one live session.
        sessions: Live sessions.
        bytes: Bytes of live documents.
    """

    agents: int = 0
    sessions: int = 0
    bytes: int = 0


class Store(Protocol):
    """What every store does besides its own operations."""

    def setup(self) -> None:
        """Create or migrate the schema (versioned, idempotent)."""

    def check_health(self) -> None:
        """Raise :class:`~mnemora_server.errors.UnavailableError` if the backend is down."""

    def close(self) -> None:
        """Release connections held by this process."""


class AccountStore(Store, Protocol):
    """Tenants and their API keys."""

    def create_tenant(self, tenant: Tenant) -> Tenant:
        """Insert a tenant; raise ``AlreadyExistsError`` if the id is taken."""

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """Return the tenant or ``None``."""

    def list_tenants(self, *, limit: int, after: str | None) -> list[Tenant]:
        """Tenants ordered by id, starting after ``after``."""

    def update_tenant(
        self, tenant_id: str, *, tier: str | None, limits: dict[str, int] | None
    ) -> Tenant | None:
        """Change tier and/or limit overrides; ``None`` if there is no such tenant."""

    def delete_tenant(self, tenant_id: str) -> bool:
        """Delete the tenant row and every key of the tenant."""

    def create_key(self, record: ApiKeyRecord) -> None:
        """Insert a key record (hash only)."""

    def find_key(self, key_hash: str) -> tuple[ApiKeyRecord, Tenant] | None:
        """The key with this hash and its tenant, revoked or not, or ``None``."""

    def list_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        """Every key of the tenant, newest first."""

    def revoke_key(self, key_id: str, now: float, *, tenant_id: str | None = None) -> bool:
        """Revoke a key (of ``tenant_id``, when given); ``False`` if not found."""

    def revoke_tenant_keys(self, tenant_id: str, now: float) -> int:
        """Revoke every key of a tenant; return how many were live."""


class UsageStore(Store, Protocol):
    """Exact per-tenant counters and call limits, safe across processes."""

    def record_call(
        self, tenant_id: str, now: float, *, calls_per_day: int, burst_per_second: int
    ) -> CallDecision:
        """Count one authenticated call and decide, atomically, whether it is within limits."""

    def add(self, tenant_id: str, counter: str, amount: int, now: float) -> None:
        """Add ``amount`` to a named daily counter (for example ``embeddings``)."""

    def counters(self, tenant_id: str, now: float) -> UsageCounters:
        """The tenant's counters for the day and month containing ``now``."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete every counter of the tenant."""


class IdempotencyStore(Store, Protocol):
    """Remembered answers to writes, keyed by tenant and ``Idempotency-Key``."""

    def begin(
        self, tenant_id: str, key: str, fingerprint: str, now: float, *, lock_seconds: int
    ) -> IdempotencyRecord | None:
        """Claim the key. Return ``None`` if claimed afresh; a ``reclaimed`` record if an
        earlier attempt of the same request (same fingerprint) failed or died unanswered and
        its claim has lapsed; else the record that holds the key."""

    def finish(
        self,
        tenant_id: str,
        key: str,
        *,
        status: int,
        body: str | None,
        agent_id: str | None,
        now: float,
        ttl_seconds: int,
    ) -> None:
        """Store the answer of a claimed key."""

    def release(self, tenant_id: str, key: str) -> None:
        """Let a retry take over an unfinished claim at once (it keeps its fingerprint and
        start time, so the retry can redo the same write instead of a second one)."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the records of writes to one agent."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete every record of the tenant."""


class StateStore(Store, Protocol):
    """Working memory: one versioned JSON document per tenant, agent and session."""

    def put(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        ttl: TtlChange,
        now: float,
    ) -> StateRecord:
        """Write unconditionally; the version grows by one from the last one ever stored."""

    def put_if_version(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        expected_version: int,
        ttl: TtlChange,
        now: float,
    ) -> StateRecord:
        """Write only if the live document has ``expected_version``.

        Raises:
            NotFoundError: No live document.
            VersionConflictError: The version differs.
        """

    def get(self, tenant_id: str, agent_id: str, session_id: str, now: float) -> StateRecord | None:
        """The live document, or ``None`` (absent, deleted or expired)."""

    def list_sessions(
        self, tenant_id: str, agent_id: str, now: float, *, limit: int, after: str | None
    ) -> list[str]:
        """Live session ids of an agent in ascending order, starting after ``after``."""

    def delete(self, tenant_id: str, agent_id: str, session_id: str, now: float) -> bool:
        """Delete a live document (its version is remembered); ``False`` if none."""

    def stats(self, tenant_id: str, now: float) -> StateStats:
        """Aggregate figures of the tenant's live documents."""

    def export(self, tenant_id: str, agent_id: str | None, now: float) -> Iterator[StateRecord]:
        """Every live document of the tenant (or agent)."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every row of the agent, tombstones included; return live documents removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every row of the tenant; return live documents removed."""


# -- semantic memory ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SemanticRecord:
    """One semantic memory (or one chunk of a long one).

    Attributes:
        id: Identifier, unique within the tenant.
        agent_id: Owning agent.
        namespace: Partition within the agent.
        content: The text.
        metadata: The user's metadata, exactly as given.
        created_at: Creation time (epoch seconds).
        updated_at: Last change (epoch seconds).
        parent_id: For a chunk, the record it was cut from.
        chunk_index: For a chunk, its position (0-based).
        chunk_count: For a chunked record and its chunks, how many chunks there are.
        deleted_at: Soft-deletion time, or ``None``.
        embedding: The vector, only where asked for (export).
    """

    id: str
    agent_id: str
    namespace: str
    content: str
    metadata: dict[str, Any]
    created_at: float
    updated_at: float
    parent_id: str | None = None
    chunk_index: int | None = None
    chunk_count: int | None = None
    deleted_at: float | None = None
    embedding: list[float] | None = None


@dataclass(frozen=True)
class SemanticDraft:
    """A semantic memory to write.

    Attributes:
        agent_id: Owning agent.
        namespace: Partition within the agent.
        content: The full text.
        metadata: The user's metadata.
        embedding: The vector of ``content`` (``None`` when it is chunked).
        chunks: For long text: each chunk's text and vector; empty otherwise.
        id: A client-chosen id (upsert), or ``None`` for a new server id.
        dedup: Whether near-duplicates in the same agent and namespace are merged.
        created_at: Creation time to keep (imports); ``None`` means now.
    """

    agent_id: str
    namespace: str
    content: str
    metadata: dict[str, Any]
    embedding: Any
    chunks: tuple[tuple[str, Any], ...] = ()
    id: str | None = None
    dedup: bool = True
    created_at: float | None = None


@dataclass(frozen=True)
class SemanticWrite:
    """The outcome of writing one draft.

    Attributes:
        record: The stored record.
        deduplicated: Whether the draft was merged into an existing near-duplicate.
        created: Whether a new record was created (else an existing one changed).
    """

    record: SemanticRecord
    deduplicated: bool
    created: bool


@dataclass(frozen=True)
class SemanticHit:
    """A search result.

    Attributes:
        record: The matching record.
        similarity: Cosine similarity to the query vector (``None`` if not computed).
        keyword_score: Keyword relevance (higher is better), or ``None`` if no keyword match.
    """

    record: SemanticRecord
    similarity: float | None
    keyword_score: float | None = None


@dataclass(frozen=True)
class MemoryTotals:
    """A tenant's semantic-memory totals.

    Attributes:
        records: Live records (chunked records count once).
        vectors: Live vectors (one per unchunked record, one per chunk).
        bytes: Bytes of live content and metadata.
        agents: Agents with live records.
    """

    records: int = 0
    vectors: int = 0
    bytes: int = 0
    agents: int = 0


class SemanticStore(Store, Protocol):
    """Texts with vectors and metadata, searched by meaning and by keywords."""

    dimension: int

    def write(
        self,
        tenant_id: str,
        drafts: list[SemanticDraft],
        now: float,
        *,
        dedup_threshold: float,
        max_vectors: int | None,
    ) -> list[SemanticWrite]:
        """Write drafts atomically (all or none), merging near-duplicates race-free.

        Raises:
            QuotaExceededError: The tenant would hold more than ``max_vectors`` vectors.
        """

    def get(self, tenant_id: str, record_id: str) -> SemanticRecord | None:
        """A live record of the tenant, or ``None``."""

    def list_memories(
        self,
        tenant_id: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        limit: int,
        after: int | None,
    ) -> list[tuple[SemanticRecord, int]]:
        """Live records (chunks excluded) in insertion order, each with its position."""

    def update(
        self,
        tenant_id: str,
        record_id: str,
        now: float,
        *,
        metadata: dict[str, Any] | None,
        content: str | None = None,
        embedding: Any = None,
        chunks: tuple[tuple[str, Any], ...] = (),
    ) -> SemanticRecord | None:
        """Change a live record's metadata and/or content (with new vectors)."""

    def soft_delete(self, tenant_id: str, record_id: str, now: float) -> bool:
        """Hide a live record (and its chunks) from reads and search."""

    def search_vector(
        self,
        tenant_id: str,
        query: Any,
        *,
        agent_id: str | None,
        namespace: str | None,
        matches: Any,
        limit: int,
        threshold: float,
    ) -> list[SemanticHit]:
        """Exact nearest neighbours by cosine similarity, filtered, best first."""

    def search_keyword(
        self,
        tenant_id: str,
        text: str,
        *,
        agent_id: str | None,
        namespace: str | None,
        matches: Any,
        limit: int,
    ) -> list[SemanticHit]:
        """Records matching the words of ``text``, most relevant first."""

    def totals(self, tenant_id: str) -> MemoryTotals:
        """The tenant's live totals."""

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[SemanticRecord]:
        """Every record (live or soft-deleted), with embeddings, in insertion order."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every row of the agent; return records removed (chunks not counted)."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every row of the tenant; return records removed."""


# -- episodic memory ---------------------------------------------------------------------------

EpisodeType = Literal["conversation", "action", "observation", "tool_call"]


@dataclass(frozen=True)
class Episode:
    """One immutable event of an agent session.

    Attributes:
        id: Server-assigned id, unique within the tenant.
        agent_id: The agent.
        session_id: The session.
        type: ``conversation``, ``action``, ``observation`` or ``tool_call``.
        content: The event (text or any JSON value).
        metadata: The user's metadata.
        timestamp: When it happened (epoch seconds; a client may set it for imports).
        ingested_at: When the server received it.
    """

    id: str
    agent_id: str
    session_id: str
    type: str
    content: Any
    metadata: dict[str, Any]
    timestamp: float
    ingested_at: float

    @property
    def stored_bytes(self) -> int:
        """What the episode counts toward storage: its content and metadata as JSON."""
        return len(json.dumps(self.content)) + len(json.dumps(self.metadata))


@dataclass(frozen=True)
class EpisodeFilter:
    """Which episodes of one agent a listing wants (all conditions apply before the limit).

    Attributes:
        agent_id: The agent.
        session_id: One session, or all.
        type: One type, or all.
        start: Earliest timestamp (inclusive), or none.
        end: Latest timestamp (inclusive), or none.
    """

    agent_id: str
    session_id: str | None = None
    type: str | None = None
    start: float | None = None
    end: float | None = None

    def matches(self, episode: Episode) -> bool:
        """Whether an episode passes the filter."""
        return (
            episode.agent_id == self.agent_id
            and (self.session_id is None or episode.session_id == self.session_id)
            and (self.type is None or episode.type == self.type)
            and (self.start is None or episode.timestamp >= self.start)
            and (self.end is None or episode.timestamp <= self.end)
        )


@dataclass(frozen=True)
class Segment:
    """A cold-tier object holding episodes of one agent (compressed NDJSON).

    Attributes:
        segment_id: Identifier of the segment.
        agent_id: The agent.
        key: The object key in the cold store.
        count: Episodes in the segment.
        bytes: Uncompressed size.
        min_ts: Earliest episode timestamp.
        max_ts: Latest episode timestamp.
        sessions: Sessions with episodes in the segment.
    """

    segment_id: str
    agent_id: str
    key: str
    count: int
    bytes: int
    min_ts: float
    max_ts: float
    sessions: tuple[str, ...]


@dataclass(frozen=True)
class EpisodeTotals:
    """A tenant's episodic totals (hot and cold).

    Attributes:
        episodes: Episodes stored.
        bytes: Bytes of content and metadata.
        agents: Agents with episodes.
    """

    episodes: int = 0
    bytes: int = 0
    agents: int = 0


class EpisodeStore(Store, Protocol):
    """The hot tier of episodic memory and the manifest of its cold segments."""

    def append(self, tenant_id: str, episodes: list[Episode], *, restore: bool = False) -> int:
        """Store episodes; an id the tenant already holds is not stored again (with
        ``restore``: an imported episode it has; without: the same request's earlier attempt,
        since ids are server-made and a retry reuses them).

        Returns:
            How many were written now.
        """

    def list_hot(
        self,
        tenant_id: str,
        query: EpisodeFilter,
        *,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[Episode]:
        """Hot episodes passing ``query``, newest first, strictly before position ``before``."""

    def session_hot(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        *,
        after: tuple[float, str] | None,
        limit: int,
    ) -> list[Episode]:
        """Hot episodes of one session, oldest first, strictly after ``after``."""

    def get_hot(self, tenant_id: str, refs: list[tuple[str, str, float]]) -> dict[str, Episode]:
        """Hot episodes by ``(episode_id, agent_id, timestamp)``, keyed by id."""

    def search_text(
        self, tenant_id: str, text: str, *, agent_id: str | None, limit: int
    ) -> list[tuple[str, str, float, float]]:
        """Episodes (hot or cold) whose content matches the words of ``text``:
        ``(episode_id, agent_id, timestamp, score)``, most relevant first."""

    def agents(self, tenant_id: str) -> list[str]:
        """Agents of the tenant with episodes in either tier."""

    def tiering_candidates(self, cutoff: float) -> list[tuple[str, str]]:
        """``(tenant_id, agent_id)`` pairs with hot episodes older than ``cutoff``."""

    def old_hot(self, tenant_id: str, agent_id: str, cutoff: float, limit: int) -> list[Episode]:
        """The oldest hot episodes of an agent before ``cutoff``, oldest first."""

    def commit_segment(self, tenant_id: str, segment: Segment, ids: list[str]) -> None:
        """Record a written segment and delete its episodes from the hot tier, atomically."""

    def segments(
        self,
        tenant_id: str,
        agent_id: str,
        *,
        start: float | None = None,
        end: float | None = None,
        session_id: str | None = None,
    ) -> list[Segment]:
        """Cold segments of an agent overlapping a time range (and holding a session)."""

    def segment_keys(self, tenant_id: str, agent_id: str | None) -> list[str]:
        """Every cold object key recorded for an agent (or the tenant)."""

    def forget_segments(self, tenant_id: str, agent_id: str | None) -> int:
        """Delete manifest rows of an agent (or the tenant); return how many."""

    def totals(self, tenant_id: str) -> EpisodeTotals:
        """The tenant's episodic totals."""

    def export_hot(self, tenant_id: str, agent_id: str | None) -> Iterator[Episode]:
        """Every hot episode, oldest first."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the agent's hot episodes and search rows; return hot episodes removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete the tenant's hot episodes and search rows; return hot episodes removed."""


class ColdStore(Store, Protocol):
    """Immutable objects under ``tenant/agent/...`` keys (files, or S3 in production)."""

    def put(self, key: str, data: bytes) -> None:
        """Write an object durably (complete or not at all)."""

    def get(self, key: str) -> bytes | None:
        """An object's bytes, or ``None``."""

    def keys(self, prefix: str) -> list[str]:
        """Every object key under ``prefix``."""

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object (and every version of it) under ``prefix``; return how many."""


# -- procedural memory -------------------------------------------------------------------------


@dataclass(frozen=True)
class Procedure:
    """One immutable version of a procedural definition.

    Attributes:
        agent_id: The agent.
        name: The definition's name.
        version: 1, 2, ... per name, never reused.
        type: ``tool``, ``schema``, ``prompt`` or ``rule``.
        definition: The JSON body.
        description: What it is for.
        active: Whether reads of the name without a version may return it.
        created_at: When this version was added.
    """

    agent_id: str
    name: str
    version: int
    type: str
    definition: Any
    description: str | None
    active: bool
    created_at: float


class ProceduralStore(Store, Protocol):
    """Versioned tool definitions, schemas, prompts and rules per agent."""

    def add_version(
        self,
        tenant_id: str,
        agent_id: str,
        name: str,
        *,
        type: str,
        definition: Any,
        description: str | None,
        active: bool,
        now: float,
    ) -> Procedure:
        """Add the next version of a name (versions of a deleted name are never reused)."""

    def get(
        self, tenant_id: str, agent_id: str, name: str, version: int | None
    ) -> Procedure | None:
        """A given version, or the latest active one."""

    def versions(self, tenant_id: str, agent_id: str, name: str) -> list[Procedure]:
        """Every version of a name, oldest first."""

    def list_latest(
        self, tenant_id: str, agent_id: str, *, limit: int, after: str | None
    ) -> list[Procedure]:
        """The latest active version of each name, by name, after ``after``."""

    def restore_version(self, tenant_id: str, procedure: Procedure) -> bool:
        """Store an exported version as it was (``False`` if that version exists)."""

    def delete(self, tenant_id: str, agent_id: str, name: str) -> int:
        """Delete every version of a name; return how many."""

    def totals(self, tenant_id: str) -> tuple[int, int]:
        """``(versions, bytes)`` of the tenant."""

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[Procedure]:
        """Every version, in insertion order."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every version and counter of the agent; return versions removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every version and counter of the tenant; return versions removed."""


# -- the bundle ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stores:
    """Every store the server uses, one attribute per concern.

    Several attributes may be the same object (the embedded accounts database serves
    accounts, usage and idempotency).
    """

    accounts: AccountStore
    usage: UsageStore
    idempotency: IdempotencyStore
    state: StateStore
    semantic: SemanticStore
    episodes: EpisodeStore
    cold: ColdStore
    procedures: ProceduralStore

    def named(self) -> list[tuple[str, Store]]:
        """Each underlying store once, under the first field that holds it."""
        seen: list[tuple[str, Store]] = []
        for item in fields(self):
            store = getattr(self, item.name)
            if not any(store is other for _, other in seen):
                seen.append((item.name, store))
        return seen

    def distinct(self) -> list[Store]:
        """Each underlying store once, in field order."""
        return [store for _, store in self.named()]

    def setup(self) -> None:
        """Create or migrate every store's schema."""
        for store in self.distinct():
            store.setup()

    def close(self) -> None:
        """Close every store's connections in this process."""
        for store in self.distinct():
            store.close()
