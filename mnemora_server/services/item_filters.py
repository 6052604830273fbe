"""Filters of the long-term store, with LangGraph's semantics.

A value filter names top-level keys of an item's value. A plain filter value must equal the
item's (a nested object matches key by key, a list element by element); an object of
operators compares: ``$eq``, ``$ne``, and ``$gt $gte $lt $lte`` on numbers. A value missing
from the item compares as null, and an ordering comparison with something that is not a
number does not match. Namespace conditions match a path of labels at the start (``prefix``)
or the end (``suffix``) of a namespace, ``*`` standing for any one label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from mnemora_server.errors import ValidationError

OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})
_MAX_DEPTH = 16


def check_filter(spec: Mapping[str, Any] | None) -> None:
    """Refuse a filter with an operator the store does not have.

    Raises:
        ValidationError: An unknown ``$`` operator, or a filter nested too deep.
    """

    def walk(value: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise ValidationError(f"filter nests deeper than {_MAX_DEPTH}")
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if isinstance(key, str) and key.startswith("$") and key not in OPERATORS:
                    raise ValidationError(
                        f"unknown filter operator {key!r}; use {', '.join(sorted(OPERATORS))}"
                    )
                walk(inner, depth + 1)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, depth + 1)

    walk(spec or {}, 0)


def value_matches(value: Mapping[str, Any], spec: Mapping[str, Any] | None) -> bool:
    """Whether an item's value passes a filter (checked by :func:`check_filter`)."""
    return not spec or all(_compare(value.get(key), wanted) for key, wanted in spec.items())


def _compare(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        if any(str(k).startswith("$") for k in wanted):
            return all(_apply(actual, op, operand) for op, operand in wanted.items())
        return isinstance(actual, Mapping) and all(
            _compare(actual.get(k), v) for k, v in wanted.items()
        )
    if isinstance(wanted, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(wanted)
            and all(_compare(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return bool(actual == wanted)


def _apply(actual: Any, op: str, operand: Any) -> bool:
    if op == "$eq":
        return bool(actual == operand)
    if op == "$ne":
        return bool(actual != operand)
    try:
        left, right = float(actual), float(operand)
    except (TypeError, ValueError):
        return False
    if op == "$gt":
        return left > right
    if op == "$gte":
        return left >= right
    if op == "$lt":
        return left < right
    return left <= right


def namespace_matches(
    namespace: Sequence[str], match_type: Literal["prefix", "suffix"], path: Sequence[str]
) -> bool:
    """Whether a namespace starts (``prefix``) or ends (``suffix``) with ``path``."""
    if len(namespace) < len(path):
        return False
    pairs = (
        zip(namespace, path, strict=False)
        if match_type == "prefix"
        else zip(reversed(namespace), reversed(path), strict=False)
    )
    return all(wanted == "*" or label == wanted for label, wanted in pairs)
