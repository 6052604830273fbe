"""The default embedder: all-MiniLM-L6-v2 as ONNX through fastembed, in process."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from mnemora_server.embeddings.base import Vectors, normalise
from mnemora_server.errors import UnavailableError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@contextmanager
def _onnx_threads_that_sleep() -> Iterator[None]:
    """Make the ONNX sessions created inside this block park idle threads instead of spinning.

    onnxruntime's worker threads busy-wait after each run by default; in a server that also
    does a vector search (numpy) right after embedding the query, they steal the CPU from it
    (measured on 2 cores: embedding 9.4 -> 5.5 ms, a 100K-vector search 14.8 -> 6.4 ms).
    fastembed does not expose the option, so the session options class is swapped while it
    builds its session.
    """
    import onnxruntime

    original = onnxruntime.SessionOptions

    class _SleepingThreads(original):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self.add_session_config_entry("session.inter_op.allow_spinning", "0")

    onnxruntime.SessionOptions = _SleepingThreads
    try:
        yield
    finally:
        onnxruntime.SessionOptions = original


class FastEmbedEmbedder:
    """Local ONNX embeddings (384 dimensions for the default model).

    The model is loaded on first use, never in the constructor. With ``model_path`` it is read
    from that directory and nothing is downloaded; without it fastembed fetches the model once.

    Args:
        model: The fastembed model name.
        model_path: A local copy of the model (``MNEMORA_EMBEDDING_MODEL_PATH``).
        dimension: The model's output dimension.
        batch_size: Texts per ONNX run.
        threads: ONNX intra-op threads (``None``: onnxruntime's default).
        cache_dir: Where a downloaded model is kept (fastembed's default when ``None``).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        model_path: Path | None = None,
        *,
        dimension: int = 384,
        batch_size: int = 32,
        threads: int | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.name = model
        self.dimension = dimension
        self._model_path = model_path
        self._batch_size = batch_size
        self._threads = threads
        self._cache_dir = cache_dir
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from fastembed import TextEmbedding

                kwargs: dict[str, Any] = {"threads": self._threads}
                if self._model_path is not None:
                    if not (self._model_path / "model.onnx").exists():
                        raise UnavailableError(
                            f"no model.onnx in MNEMORA_EMBEDDING_MODEL_PATH={self._model_path}: "
                            f"point it at a copy of {self.name} (ONNX)"
                        )
                    kwargs["specific_model_path"] = str(self._model_path)
                    kwargs["local_files_only"] = True
                elif self._cache_dir is not None:
                    kwargs["cache_dir"] = str(self._cache_dir)
                try:
                    with _onnx_threads_that_sleep():
                        self._model = TextEmbedding(self.name, **kwargs)
                except Exception as exc:  # fastembed raises plain exceptions on load failure
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    raise UnavailableError(
                        f"the embedding model {self.name} could not be loaded ({first}); set "
                        "MNEMORA_EMBEDDING_MODEL_PATH to a local copy of it, or allow the "
                        f"server to download it into {self._cache_dir or 'the fastembed cache'}"
                    ) from exc
            return self._model

    def load(self) -> None:
        """Read (or download, once) the model now."""
        self._load()

    def describe(self) -> str:
        """The model and where it is read from, for logs."""
        source = (
            f"from {self._model_path}"
            if self._model_path is not None
            else f"downloaded once into {self._cache_dir or 'the fastembed cache'}"
        )
        return f"{self.name} ({self.dimension}-d, ONNX in process) {source}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``; shape ``(len(texts), dimension)``, rows of unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = np.stack(list(model.embed(list(texts), batch_size=self._batch_size)))
        return normalise(vectors)
