"""Server configuration.

Every ``MNEMORA_*`` environment variable is read here and nowhere else; the rest of the
server receives a :class:`Settings` instance explicitly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from mnemora_server.tiers import DEFAULT_TIERS, TierLimits

StoreKind = Literal[
    "accounts", "state", "semantic", "episodes", "procedures", "cold", "checkpoints", "items"
]
"""The stores the server uses, each chosen by its own URL."""

_URL_FIELDS: dict[str, str] = {
    "accounts": "accounts",
    "state": "state",
    "semantic": "vector",
    "episodes": "episodes",
    "procedures": "procedures",
    "cold": "cold",
    "checkpoints": "checkpoints",
    "items": "items",
}
_EMBEDDED_FILES: dict[str, str] = {
    "accounts": "accounts.db",
    "state": "state.db",
    "semantic": "semantic.db",
    "episodes": "episodes.db",
    "procedures": "procedures.db",
    "checkpoints": "checkpoints.db",
    "items": "items.db",
}


class Settings(BaseSettings):
    """Runtime settings, read from ``MNEMORA_*`` environment variables.

    Attributes:
        data_dir: Directory of the embedded default (SQLite databases, local files).
        admin_token: Token guarding the admin API; without it the admin routes answer 404.
        accounts_url: Store URL for tenants, keys, usage counters and idempotency records.
        state_url: Store URL for working memory.
        vector_url: Store URL for semantic memory.
        episodes_url: Store URL for the hot tier of episodic memory.
        procedures_url: Store URL for procedural memory.
        cold_url: Store URL of the cold tier (``file:///dir``; ``s3://`` in production).
        checkpoints_url: Store URL for agent-graph checkpoints (LangGraph).
        items_url: Store URL for the agents' long-term store items (LangGraph's store).
        hot_retention_hours: Age after which ``tier-episodes`` moves episodes to the cold tier.
        postgres_admin_url: An administrator's URL that ``migrate`` uses for PostgreSQL stores
            (creates tables, policies and the application role); default: the store URL.
        tiers: Limits per tier name.
        max_body_bytes: Largest request body accepted (413 above).
        max_state_bytes: Largest serialised working-memory document (413 above).
        max_import_bytes: Largest NDJSON import accepted.
        max_checkpoint_bytes: Largest checkpoint or pending-writes request accepted (a
            checkpoint carries the serialized values of the channels it changed).
        idempotency_ttl_seconds: How long a finished ``Idempotency-Key`` answer is replayed.
        idempotency_lock_seconds: How long an unfinished request holds its key.
        sqlite_busy_timeout_seconds: How long an embedded-database write waits for another
            writer before the request fails with 503.
        embedder: ``local`` (ONNX in process, default), ``openai`` (any OpenAI-compatible
            endpoint), ``bedrock`` (Titan Text Embeddings v2) or ``hash`` (tests only).
        embedding_model: Model name (local, OpenAI-compatible or Bedrock model id; for
            ``bedrock`` the local default means ``amazon.titan-embed-text-v2:0``).
        embedding_model_path: A local copy of the model; nothing is downloaded when set.
        model_cache: Where the local model is downloaded to, once, when no
            ``embedding_model_path`` is set (default ``~/.cache/mnemora/models``).
        embedder_required: Refuse to start when the embedding model cannot be loaded
            (default). ``false`` starts anyway: semantic routes then answer 503 at once,
            saying why, and ``/v1/health`` reports the embedder unavailable.
        embedding_dimension: Dimension of the ``hash``, ``openai`` and ``bedrock`` embedders
            (Bedrock: 1024 by default, or 512 or 256).
        embedding_url: API root of an OpenAI-compatible embedding service (``openai``), or a
            non-default Bedrock runtime endpoint (``bedrock``).
        embedding_api_key: Bearer token for that service, if it needs one.
        llm_url: An OpenAI-compatible API root for episode summaries (none: summaries 501).
        llm_model: The chat model for summaries.
        llm_api_key: Bearer token for that API, if it needs one.
        aws_region: Region of Bedrock embeddings (``MNEMORA_AWS_REGION``, else boto3's
            ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else ``us-east-1``); AWS stores take
            theirs from their URLs.
        host: Interface ``mnemora-server serve`` listens on (``--host`` overrides it).
        port: Port ``mnemora-server serve`` listens on (``--port`` overrides it).
        failpoints: Comma-separated crash points armed for fault-injection tests (see
            :mod:`mnemora_server.failpoints`); empty in production.
        access_log: Log one JSON line per request (method, route, status, latency, request
            id; never a key) to standard error (default on).
        metrics_tenant_labels: Count requests per tenant in ``/metrics`` (labels then name
            tenants; off by default).
        vector_index_mb: Memory budget (MiB) of each in-process vector index of the embedded
            default (semantic memory, store items), per worker process: beyond it the least
            recently searched agents are dropped and read again from SQLite when searched; an
            agent too large for it is held as int8 codes only, or not at all (searched from
            SQLite).
        postgres_secret_arn: On AWS Lambda, the Secrets Manager secret of PostgreSQL's
            application role (``username``, ``password``; optionally ``host``, ``port``,
            ``dbname``): PostgreSQL stores without a URL get one built from it.
        postgres_admin_secret_arn: On AWS Lambda, the cluster's master secret, for
            migrations (``postgres_admin_url``).
        postgres_host: PostgreSQL's host for URLs built from those secrets.
        postgres_port: Its port.
        postgres_database: Its database.
        postgres_sslmode: Its TLS mode (``require`` by default).
    """

    model_config = SettingsConfigDict(env_prefix="MNEMORA_", extra="ignore")

    data_dir: Path = Field(default=Path("./mnemora-data"))
    admin_token: str | None = None
    accounts_url: str | None = None
    state_url: str | None = None
    vector_url: str | None = None
    episodes_url: str | None = None
    procedures_url: str | None = None
    cold_url: str | None = None
    checkpoints_url: str | None = None
    items_url: str | None = None
    hot_retention_hours: float = 168.0
    postgres_admin_url: str | None = None
    tiers: dict[str, TierLimits] = Field(default_factory=lambda: dict(DEFAULT_TIERS))
    max_body_bytes: int = 1_048_576
    max_state_bytes: int = 400 * 1024
    max_import_bytes: int = 1024 * 1024 * 1024
    max_checkpoint_bytes: int = 32 * 1024 * 1024
    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_lock_seconds: int = 60
    sqlite_busy_timeout_seconds: float = 10.0
    embedder: str = "local"
    embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    embedding_model_path: Path | None = None
    model_cache: Path = Field(default_factory=lambda: Path.home() / ".cache" / "mnemora" / "models")
    embedder_required: bool = True
    embedding_dimension: int | None = None
    embedding_url: str | None = None
    embedding_api_key: str | None = None
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("MNEMORA_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    failpoints: str = ""
    access_log: bool = True
    metrics_tenant_labels: bool = False
    vector_index_mb: int = Field(default=2048, ge=1)
    postgres_secret_arn: str | None = None
    postgres_admin_secret_arn: str | None = None
    postgres_host: str | None = None
    postgres_port: int = 5432
    postgres_database: str = "mnemora"
    postgres_sslmode: str = "require"

    def configured_url(self, kind: StoreKind) -> str | None:
        """The URL set for one store (``MNEMORA_<KIND>_URL``), or ``None``."""
        configured: str | None = getattr(self, f"{_URL_FIELDS[kind]}_url")
        return configured or None

    def store_url(self, kind: StoreKind) -> str:
        """The URL of one store: its ``MNEMORA_<KIND>_URL``, or the embedded default in the
        data directory (a SQLite file; a directory for the cold tier)."""
        configured = self.configured_url(kind)
        if configured:
            return configured
        root = self.data_dir.resolve()
        if kind == "cold":
            return f"file://{root / 'cold'}"
        return f"sqlite:///{root / _EMBEDDED_FILES[kind]}"

    @staticmethod
    def store_url_variable(kind: StoreKind) -> str:
        """The environment variable that sets one store's URL."""
        return f"MNEMORA_{_URL_FIELDS[kind].upper()}_URL"
