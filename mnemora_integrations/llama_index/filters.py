"""LlamaIndex ``MetadataFilters`` as Mnemora metadata filters, evaluated by the server.

Every ``FilterOperator`` and ``FilterCondition`` (``AND``, ``OR``, ``NOT``, nested to any
depth the server allows) keeps the meaning LlamaIndex's own evaluator gives it: a missing or
``null`` value matches only ``!=`` and ``nin``; ``==`` is exact (a list never equals a value);
``contains``, ``any`` and ``all`` look into lists and, for text, into strings;
``text_match`` is a substring test (``text_match_insensitive`` ignoring case); ``is_empty``
matches a missing, ``null``, ``""`` or ``[]`` value. One deliberate difference: a boolean never
equals a number here (Python's ``True == 1`` does not carry over to JSON metadata).
"""

from __future__ import annotations

from typing import Any

from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from mnemora_integrations._errors import UnsupportedFilterError

_ORDERED = {
    FilterOperator.GT: "$gt",
    FilterOperator.GTE: "$gte",
    FilterOperator.LT: "$lt",
    FilterOperator.LTE: "$lte",
}
_LISTS = {FilterOperator.IN: "$in", FilterOperator.NIN: "$nin"}
_CONTAINS_MANY = {FilterOperator.ANY: "$contains_any", FilterOperator.ALL: "$contains_all"}


def translate_filters(filters: MetadataFilters | None) -> dict[str, Any] | None:
    """Mnemora's metadata filter for LlamaIndex ``filters`` (``None`` when there are none).

    Raises:
        UnsupportedFilterError: An operand the operator cannot take (e.g. ``in`` without a
            list, ``text_match`` without a string).
    """
    if filters is None or not filters.filters:
        return None
    return _group(filters)


def _group(filters: MetadataFilters) -> dict[str, Any]:
    parts = [_group(f) if isinstance(f, MetadataFilters) else _leaf(f) for f in filters.filters]
    if not parts:
        raise UnsupportedFilterError("a nested MetadataFilters has no filters")
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if condition == FilterCondition.OR:
        return parts[0] if len(parts) == 1 else {"$or": parts}
    if condition == FilterCondition.NOT:
        return {"$not": parts[0] if len(parts) == 1 else {"$or": parts}}
    raise UnsupportedFilterError(f"unsupported filter condition {condition!r}")


def _leaf(f: MetadataFilter) -> dict[str, Any]:
    key, op, value = f.key, f.operator, f.value
    if op == FilterOperator.IS_EMPTY:
        return {key: {"$empty": True}}
    if op == FilterOperator.EQ:
        # Exact: "$in" of one never matches inside a list, as Python's == does not.
        return {key: {"$in": [] if value is None else [value]}}
    if op == FilterOperator.NE:
        return {key: {"$nin": [] if value is None else [value]}}
    if op in _ORDERED:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise UnsupportedFilterError(f"{op.value} on {key!r} takes a number or a string")
        return {key: {_ORDERED[op]: value}}
    if op in _LISTS or op in _CONTAINS_MANY:
        if not isinstance(value, list):
            raise UnsupportedFilterError(f"{op.value} on {key!r} takes a list")
        name = _LISTS.get(op) or _CONTAINS_MANY[op]
        return {key: {name: list(value)}}
    if op == FilterOperator.CONTAINS:
        if value is None or isinstance(value, list):
            raise UnsupportedFilterError(f"contains on {key!r} takes one value")
        return {key: {"$contains": value}}
    if op in (FilterOperator.TEXT_MATCH, FilterOperator.TEXT_MATCH_INSENSITIVE):
        if not isinstance(value, str):
            raise UnsupportedFilterError(f"{op.value} on {key!r} takes a string")
        name = "$contains" if op == FilterOperator.TEXT_MATCH else "$icontains"
        return {key: {name: value}}
    raise UnsupportedFilterError(f"unsupported filter operator {op!r} on {key!r}")
