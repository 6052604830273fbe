"""Validation of client-chosen identifiers (agent ids, session ids, namespaces, names)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from mnemora_server.errors import ValidationError

_IDENTIFIER = re.compile(r"[A-Za-z0-9_:@.\-]{1,256}")

#: Words that route to collections and therefore cannot be agent ids.
RESERVED_AGENT_IDS = frozenset({"semantic", "episodic", "procedural", "search"})


def identifier_problem(value: object, *, agent: bool = False) -> str | None:
    """Say what is wrong with a candidate identifier, or ``None`` if it is valid.

    Args:
        value: The candidate.
        agent: Also refuse the words reserved for routes (agent ids).
    """
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value) or value.startswith("."):
        return "must be 1-256 characters from [A-Za-z0-9._:@-] and not start with '.'"
    if agent and value in RESERVED_AGENT_IDS:
        return f"{value!r} is reserved"
    return None


def check_identifier(value: object, field: str, *, agent: bool = False) -> str:
    """Return ``value`` if it is a valid identifier, else raise a 400 naming ``field``.

    Raises:
        ValidationError: If the value is not a valid identifier.
    """
    problem = identifier_problem(value, agent=agent)
    if problem is not None:
        raise ValidationError(f"{field} {problem}", details={"field": field})
    assert isinstance(value, str)
    return value


def _as_pydantic(agent: bool) -> AfterValidator:
    def validate(value: str) -> str:
        problem = identifier_problem(value, agent=agent)
        if problem is not None:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


Identifier = Annotated[str, _as_pydantic(agent=False)]
"""A pydantic field type for identifiers."""

AgentId = Annotated[str, _as_pydantic(agent=True)]
"""A pydantic field type for agent ids."""
