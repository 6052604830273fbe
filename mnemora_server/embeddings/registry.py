"""Build the embedder named by the settings."""

from __future__ import annotations

from mnemora_server.embeddings.base import Embedder
from mnemora_server.embeddings.hashing import HashEmbedder
from mnemora_server.embeddings.local import FastEmbedEmbedder
from mnemora_server.embeddings.remote import OpenAICompatibleEmbedder
from mnemora_server.embeddings.unavailable import UnavailableEmbedder
from mnemora_server.errors import UnavailableError
from mnemora_server.settings import Settings


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder (``MNEMORA_EMBEDDER``: ``local`` by default, ``openai`` for
    any OpenAI-compatible endpoint, ``bedrock`` for Titan v2 on Amazon Bedrock (boto3 from
    the ``aws`` extra; ``MNEMORA_EMBEDDING_URL`` is then an optional endpoint), or ``hash``
    for tests).

    Raises:
        ValueError: For an unknown or not yet supported embedder.
    """
    kind = settings.embedder
    if kind == "local":
        return FastEmbedEmbedder(
            settings.embedding_model,
            settings.embedding_model_path,
            cache_dir=settings.model_cache,
        )
    if kind == "hash":
        return HashEmbedder(settings.embedding_dimension or 384)
    if kind == "openai":
        if not settings.embedding_url or not settings.embedding_dimension:
            raise ValueError(
                "MNEMORA_EMBEDDER=openai needs MNEMORA_EMBEDDING_URL and "
                "MNEMORA_EMBEDDING_DIMENSION (and MNEMORA_EMBEDDING_MODEL)"
            )
        return OpenAICompatibleEmbedder(
            settings.embedding_url,
            settings.embedding_model,
            settings.embedding_dimension,
            settings.embedding_api_key,
        )
    if kind == "bedrock":
        from mnemora_server.embeddings.bedrock import TITAN_V2, BedrockEmbedder

        model = settings.embedding_model
        if model == Settings.model_fields["embedding_model"].default:
            model = TITAN_V2  # the local default names no Bedrock model
        return BedrockEmbedder(
            model,
            settings.embedding_dimension or 1024,
            region=settings.aws_region,
            endpoint_url=settings.embedding_url,
        )
    raise ValueError(f"MNEMORA_EMBEDDER={kind!r} is not supported")


def ready_embedder(settings: Settings, embedder: Embedder | None = None) -> Embedder:
    """The configured embedder (or ``embedder``) with its model loaded.

    Raises:
        UnavailableError: The model cannot be loaded and ``embedder_required`` is set; the
            message names the setting that fixes it.
    """
    chosen = embedder or build_embedder(settings)
    try:
        chosen.load()
    except UnavailableError as exc:
        if settings.embedder_required:
            raise
        return UnavailableEmbedder(chosen.name, chosen.dimension, exc.message)
    return chosen


def probe_embedder(settings: Settings) -> str:
    """Load the embedder in a separate, short-lived process (fetching the model once if it
    must be downloaded) and return its description; the serving master stays free of model
    threads, which must not be forked into its workers.

    Raises:
        UnavailableError: The model cannot be loaded and ``embedder_required`` is set.
    """
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        described, failure = pool.apply(_describe_ready, (settings,))
    if failure is not None:
        raise UnavailableError(failure)
    return str(described)


def _describe_ready(settings: Settings) -> tuple[str | None, str | None]:
    try:
        return ready_embedder(settings).describe(), None
    except UnavailableError as exc:
        return None, exc.message
