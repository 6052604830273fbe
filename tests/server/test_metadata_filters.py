"""The metadata filter language, operator by operator (evaluated in process by every store)."""

from __future__ import annotations

from typing import Any

import pytest

from mnemora_server.errors import ValidationError
from mnemora_server.services.filters import MetadataFilter

ROW = {
    "tags": ["billing", "urgent", 3],
    "title": "Refund for Order 4711",
    "n": 2,
    "flag": True,
    "none": None,
    "blank": "",
    "nothing": [],
    "nested": {"level": 5},
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"tags": {"$contains": "urgent"}}, True),
        ({"tags": {"$contains": 3.0}}, True),
        ({"tags": {"$contains": "urg"}}, False),  # a list holds whole values
        ({"title": {"$contains": "Order"}}, True),  # a string holds substrings
        ({"title": {"$contains": "order"}}, False),
        ({"title": {"$icontains": "ORDER 47"}}, True),
        ({"tags": {"$icontains": "billing"}}, False),  # only strings
        ({"n": {"$contains": 2}}, False),
        ({"none": {"$contains": "x"}}, False),
        ({"missing": {"$contains": "x"}}, False),
        ({"tags": {"$contains_any": ["nope", "urgent"]}}, True),
        ({"tags": {"$contains_any": []}}, False),
        ({"tags": {"$contains_all": ["billing", 3]}}, True),
        ({"tags": {"$contains_all": ["billing", "nope"]}}, False),
        ({"tags": {"$contains_all": []}}, True),
        ({"missing": {"$contains_all": []}}, False),
        ({"title": {"$contains_any": ["Refund", "zzz"]}}, True),
        ({"missing": {"$empty": True}}, True),
        ({"none": {"$empty": True}}, True),
        ({"blank": {"$empty": True}}, True),
        ({"nothing": {"$empty": True}}, True),
        ({"n": {"$empty": True}}, False),
        ({"tags": {"$empty": False}}, True),
        ({"flag": {"$contains": 1}}, False),  # booleans never equal numbers
        ({"nested.level": {"$in": [5]}}, True),
        ({"$not": {"tags": {"$contains": "urgent"}}}, False),
        ({"$or": [{"n": {"$gt": 5}}, {"title": {"$icontains": "refund"}}]}, True),
    ],
)
def test_each_operator(spec: dict[str, Any], expected: bool) -> None:
    assert MetadataFilter(spec).matches(ROW) is expected


@pytest.mark.parametrize(
    "spec",
    [
        {"a": {"$contains": [1]}},
        {"a": {"$contains": {"x": 1}}},
        {"a": {"$icontains": 3}},
        {"a": {"$contains_any": "x"}},
        {"a": {"$contains_all": [["x"]]}},
        {"a": {"$empty": "yes"}},
        {"a": {"$like": "x%"}},
    ],
)
def test_bad_operands_are_refused(spec: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MetadataFilter(spec)
