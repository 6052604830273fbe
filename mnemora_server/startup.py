"""What the server says about itself when it starts, and what the CLI says it acts on."""

from __future__ import annotations

import re
from typing import get_args

from mnemora_server import __version__
from mnemora_server.settings import Settings, StoreKind

_CREDENTIALS = re.compile(r"(?<=://)([^/@:]+):([^/@]*)@")


def redacted(url: str) -> str:
    """``url`` without its password (``user:***@host``)."""
    return _CREDENTIALS.sub(lambda m: f"{m.group(1)}:***@", url)


def uses_data_dir(settings: Settings) -> bool:
    """Whether any store lives in the data directory (the embedded default)."""
    return any(settings.configured_url(kind) is None for kind in get_args(StoreKind))


def configuration(settings: Settings, embedder: str | None = None) -> list[str]:
    """The lines that describe a server's configuration (no secrets); ``embedder`` is the
    embedder's own description."""
    lines = [f"mnemora-server {__version__}"]
    if uses_data_dir(settings):
        lines.append(f"data directory: {settings.data_dir.resolve()}")
    lines += [
        f"  {kind} store: {redacted(settings.store_url(kind))}" for kind in get_args(StoreKind)
    ]
    if embedder is not None:
        lines.append(f"embedder: {embedder}")
    lines.append(
        "admin API: on"
        if settings.admin_token
        else "admin API: off (set MNEMORA_ADMIN_TOKEN to turn it on)"
    )
    lines.append("access log: " + ("on" if settings.access_log else "off"))
    return lines
