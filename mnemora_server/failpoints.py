"""Named crash points for fault-injection tests.

``MNEMORA_FAILPOINTS=name1,name2`` makes the process exit abruptly (as a crash or a kill
would) when it reaches one of the named points. Unset, every point costs one dict lookup.
"""

from __future__ import annotations

import os


def failpoint(name: str) -> None:
    """Exit the process at once, without cleanup, if ``name`` is armed."""
    armed = os.environ.get("MNEMORA_FAILPOINTS")
    if armed and name in armed.split(","):
        os._exit(70)
