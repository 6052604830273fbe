"""LangChain's Mongo-style metadata filters, translated to Mnemora's.

LangChain has no standard filter language; PGVector's dialect is the one most code is written
for: ``{"field": value}``, ``{"field": {"$op": operand}}`` with ``$eq $ne $lt $lte $gt $gte
$in $nin $between $exists``, and ``$and``, ``$or``, ``$not`` over lists of filters. Mnemora
evaluates the same operators on the server (``$between`` becomes ``$gte`` plus ``$lte``);
the pattern operators (``$like``, ``$ilike``) and any other operator raise
:class:`UnsupportedFilterError` here, before any request, instead of matching nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mnemora_integrations._errors import UnsupportedFilterError

_FIELD_OPERATORS = frozenset({"$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$exists"})
_GROUPS = frozenset({"$and", "$or"})

__all__ = ["UnsupportedFilterError", "translate_filter"]


def translate_filter(spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Mnemora's metadata filter for a LangChain (PGVector-style) filter.

    Args:
        spec: The filter, or ``None`` / ``{}`` for no filter.

    Returns:
        The filter to send, or ``None``.

    Raises:
        UnsupportedFilterError: An unknown operator, a pattern operator, or a malformed
            ``$between`` / ``$and`` / ``$or`` / ``$not``.
    """
    if not spec:
        return None
    if not isinstance(spec, Mapping):
        raise UnsupportedFilterError(f"a filter is a dict, not {type(spec).__name__}")
    return _translate(spec)


def _translate(spec: Mapping[str, Any]) -> dict[str, Any]:
    parts = [_clause(key, value) for key, value in spec.items()]
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _clause(key: str, value: Any) -> dict[str, Any]:
    if key in _GROUPS:
        if not isinstance(value, list) or not value:
            raise UnsupportedFilterError(f"{key} takes a non-empty list of filters")
        return {key: [_sub_filter(key, item) for item in value]}
    if key == "$not":
        items = value if isinstance(value, list) else [value]
        if not items:
            raise UnsupportedFilterError("$not takes a filter or a non-empty list of filters")
        inner = [_sub_filter(key, item) for item in items]
        return {"$not": inner[0] if len(inner) == 1 else {"$and": inner}}
    if key.startswith("$"):
        raise UnsupportedFilterError(
            f"unsupported filter operator {key!r}: use $and, $or or $not at the top level"
        )
    if isinstance(value, Mapping) and any(str(k).startswith("$") for k in value):
        return {key: _operators(key, value)}
    return {key: value}


def _sub_filter(group: str, item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping) or not item:
        raise UnsupportedFilterError(f"{group} takes filters (non-empty dicts)")
    return _translate(item)


def _operators(field: str, ops: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op, operand in ops.items():
        if op == "$between":
            if not isinstance(operand, list | tuple) or len(operand) != 2:
                raise UnsupportedFilterError(f"$between on {field!r} takes [low, high]")
            out["$gte"], out["$lte"] = operand
        elif op in _FIELD_OPERATORS:
            out[op] = list(operand) if isinstance(operand, tuple) else operand
        elif op in ("$like", "$ilike"):
            raise UnsupportedFilterError(
                f"{op} on {field!r} is not supported: Mnemora filters match exact values and "
                "ranges; search by meaning with the query instead, or use $in"
            )
        else:
            raise UnsupportedFilterError(
                f"unsupported filter operator {op!r} on {field!r}; supported: "
                + ", ".join(sorted(_FIELD_OPERATORS | {"$between"}))
            )
    return out
