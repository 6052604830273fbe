"""Metadata filters: ``{"k": v}``, ``$eq $ne $gt $gte $lt $lte $in $nin $exists``, the
containment operators ``$contains $icontains $contains_any $contains_all $empty``, and
``$and $or $not``.

``$contains`` is true when the field is a list holding the value, or a string holding the
value as a substring; ``$icontains`` is a substring test ignoring case; ``$contains_any`` /
``$contains_all`` apply ``$contains`` to each value of a list; ``$empty: true`` matches a
field that is missing, ``null``, ``""`` or ``[]``. A missing or ``null`` field contains
nothing.

A filter is parsed once into a tree (validated, 400 on anything unknown) that stores evaluate:
in process with :meth:`MetadataFilter.matches`, or compiled to their own query language.
Field names may use dots to reach into nested objects (``"a.b"``). Comparisons never mix
kinds: ``true`` is not ``1``, and a string never orders against a number; ``1`` equals ``1.0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mnemora_server.errors import ValidationError

_MAX_DEPTH = 8
_MAX_TERMS = 64
_MISSING = object()
_COMPARISONS = frozenset(
    {
        "$eq",
        "$ne",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$in",
        "$nin",
        "$exists",
        "$contains",
        "$icontains",
        "$contains_any",
        "$contains_all",
        "$empty",
    }
)
_SCALAR = (str, int, float, bool)


@dataclass(frozen=True)
class Condition:
    """One operator applied to one (possibly dotted) field."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Group:
    """``$and`` or ``$or`` of sub-filters, or ``$not`` of one."""

    op: str
    children: tuple[Condition | Group, ...]


class MetadataFilter:
    """A validated metadata filter.

    Args:
        spec: The filter as sent by the client (``None`` or ``{}`` matches everything).

    Raises:
        ValidationError: For unknown operators, wrong operand types, or too deep a filter.
    """

    def __init__(self, spec: Mapping[str, Any] | None) -> None:
        self._terms = 0
        self.root: Group | None = self._parse(spec, 0) if spec else None

    @property
    def empty(self) -> bool:
        """Whether the filter matches everything."""
        return self.root is None

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        """Evaluate the filter against one record's metadata."""
        return self.root is None or _evaluate(self.root, metadata)

    def _parse(self, spec: Any, depth: int) -> Group:
        if not isinstance(spec, Mapping):
            raise ValidationError("a metadata filter must be a JSON object")
        if depth > _MAX_DEPTH:
            raise ValidationError(f"metadata filter nests deeper than {_MAX_DEPTH}")
        children: list[Condition | Group] = []
        for key, value in spec.items():
            if key in ("$and", "$or"):
                if not isinstance(value, list) or not value:
                    raise ValidationError(f"{key} takes a non-empty list of filters")
                children.append(Group(key, tuple(self._parse(v, depth + 1) for v in value)))
            elif key == "$not":
                if not isinstance(value, Mapping) or not value:
                    raise ValidationError("$not takes one non-empty filter")
                children.append(Group(key, (self._parse(value, depth + 1),)))
            elif key.startswith("$"):
                raise ValidationError(f"unknown filter operator {key!r}")
            else:
                children.extend(self._field(key, value))
        return Group("$and", tuple(children))

    def _field(self, field: str, value: Any) -> list[Condition]:
        if not field or len(field) > 256:
            raise ValidationError("metadata filter field names are 1-256 characters")
        is_operators = (
            isinstance(value, Mapping) and value and all(str(k).startswith("$") for k in value)
        )
        if not is_operators:
            return [self._condition(field, "$eq", value)]
        return [self._condition(field, op, operand) for op, operand in value.items()]

    def _condition(self, field: str, op: str, value: Any) -> Condition:
        self._terms += 1
        if self._terms > _MAX_TERMS:
            raise ValidationError(f"metadata filter has more than {_MAX_TERMS} conditions")
        if op not in _COMPARISONS:
            raise ValidationError(f"unknown filter operator {op!r}")
        if op in ("$in", "$nin") and not isinstance(value, list):
            raise ValidationError(f"{op} takes a list")
        if op in ("$gt", "$gte", "$lt", "$lte") and (
            isinstance(value, bool) or not isinstance(value, int | float | str)
        ):
            raise ValidationError(f"{op} takes a number or a string")
        if op in ("$exists", "$empty") and not isinstance(value, bool):
            raise ValidationError(f"{op} takes true or false")
        if op == "$contains" and not isinstance(value, _SCALAR):
            raise ValidationError("$contains takes a string, a number or a boolean")
        if op == "$icontains" and not isinstance(value, str):
            raise ValidationError("$icontains takes a string")
        if op in ("$contains_any", "$contains_all") and not (
            isinstance(value, list) and all(isinstance(v, _SCALAR) for v in value)
        ):
            raise ValidationError(f"{op} takes a list of strings, numbers or booleans")
        return Condition(field, op, value)


def lookup(metadata: Mapping[str, Any], field: str) -> Any:
    """The value at a dotted path, or a sentinel when absent."""
    if field in metadata:
        return metadata[field]
    current: Any = metadata
    for part in field.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def same_value(a: Any, b: Any) -> bool:
    """JSON equality where booleans never equal numbers and 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _ordered(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    numbers = isinstance(a, int | float) and isinstance(b, int | float)
    return numbers or (isinstance(a, str) and isinstance(b, str))


def _contains(actual: Any, value: Any) -> bool:
    if isinstance(actual, list):
        return any(same_value(item, value) for item in actual)
    return isinstance(actual, str) and isinstance(value, str) and value in actual


def _containment(op: str, actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    if op == "$contains":
        return _contains(actual, expected)
    if op == "$icontains":
        return isinstance(actual, str) and expected.lower() in actual.lower()
    if op == "$contains_any":
        return any(_contains(actual, value) for value in expected)
    return all(_contains(actual, value) for value in expected)


def _evaluate(node: Condition | Group, metadata: Mapping[str, Any]) -> bool:
    if isinstance(node, Group):
        results = (_evaluate(child, metadata) for child in node.children)
        if node.op == "$not":
            return not all(results)
        return all(results) if node.op == "$and" else any(results)
    actual = lookup(metadata, node.field)
    present = actual is not _MISSING
    op, expected = node.op, node.value
    if op == "$exists":
        return present is expected
    if op == "$empty":
        empty = not present or actual is None or actual == "" or actual == []
        return empty is expected
    if op in ("$contains", "$icontains", "$contains_any", "$contains_all"):
        return present and _containment(op, actual, expected)
    if op == "$eq":
        return present and (
            same_value(actual, expected)
            or (isinstance(actual, list) and any(same_value(x, expected) for x in actual))
        )
    if op == "$ne":
        return not present or not same_value(actual, expected)
    if op == "$in":
        return present and any(same_value(actual, option) for option in expected)
    if op == "$nin":
        return not present or not any(same_value(actual, option) for option in expected)
    if not present or not _ordered(actual, expected):
        return False
    if op == "$gt":
        return bool(actual > expected)
    if op == "$gte":
        return bool(actual >= expected)
    if op == "$lt":
        return bool(actual < expected)
    return bool(actual <= expected)
