"""Named crash points for fault-injection tests.

``MNEMORA_FAILPOINTS=name1,name2`` (read by :class:`~mnemora_server.settings.Settings`, armed
by the app and the CLI at start-up) makes the process exit abruptly, as a crash or a kill
would, when it reaches one of the named points. Unarmed, a point costs one set lookup.
"""

from __future__ import annotations

import os

_armed: frozenset[str] = frozenset()


def arm(names: str) -> None:
    """Arm the comma-separated points in ``names`` for this process (empty: none)."""
    global _armed
    _armed = frozenset(name.strip() for name in names.split(",") if name.strip())


def failpoint(name: str) -> None:
    """Exit the process at once, without cleanup, if ``name`` is armed."""
    if name in _armed:
        os._exit(70)
