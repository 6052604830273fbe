"""Usage counters and burst windows on DynamoDB.

``/usage/<tenant>`` -> ``<YYYY-MM-DD>`` holds a day's counters; ``/burst/<tenant>`` ->
``<second>`` a second's calls (expired by TTL). Counting a call and checking its limit are
conditional atomic updates, so counters stay exact with any number of server processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from mnemora_server.stores.base import CallDecision, UsageCounters, UsageDay
from mnemora_server.stores.dynamodb.table import DynamoTable, number_attr, string_attr

_BURST_TTL = 120
_COUNTERS = ("calls", "accepted", "rejected", "embeddings")
_GAUGES = ("vectors", "storage_bytes")


class DynamoUsageCounters:
    """:class:`~mnemora_server.stores.base.UsageStore` operations over ``self.table``."""

    table: DynamoTable

    def _add(self, pk: str, sk: str, counters: dict[str, int], **extra: Any) -> dict[str, Any]:
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        values = {f":v{i}": number_attr(v) for i, v in enumerate(counters.values())}
        expression = "ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(counters)))
        if "set" in extra:
            expression += " SET " + extra.pop("set")
        answer = self.table.call(
            "update_item",
            Key={"pk": string_attr(pk), "sk": string_attr(sk)},
            UpdateExpression=expression,
            ExpressionAttributeNames={**names, **extra.pop("names", {})},
            ExpressionAttributeValues={**values, **extra.pop("values", {})},
            ReturnValues="UPDATED_NEW",
            **extra,
        )
        attributes: dict[str, Any] = answer.get("Attributes", {})
        return attributes

    def record_call(
        self, tenant_id: str, now: float, *, calls_per_day: int, burst_per_second: int
    ) -> CallDecision:
        """Count one call; admit it only if the burst and daily limits allow (atomically)."""
        today = UsageDay.of(now)
        burst = self._add(
            f"/burst/{tenant_id}",
            str(today.second),
            {"calls": 1},
            set="#ttl = :ttl",
            names={"#ttl": "ttl"},
            values={":ttl": number_attr(today.second + _BURST_TTL)},
        )
        usage_pk = f"/usage/{tenant_id}"
        refused: Literal["daily", "burst"] | None = None
        if int(burst["calls"]["N"]) > burst_per_second:
            refused = "burst"
        accepted = 0
        if refused is None:
            try:
                answer = self._add(
                    usage_pk,
                    today.day,
                    {"calls": 1, "accepted": 1},
                    ConditionExpression="attribute_not_exists(accepted) OR accepted < :limit",
                    values={":limit": number_attr(calls_per_day)},
                )
                accepted = int(answer["accepted"]["N"])
            except ClientError:
                refused = "daily"
        if refused is not None:
            answer = self._add(usage_pk, today.day, {"calls": 1, "rejected": 1})
            accepted = int(answer.get("accepted", {}).get("N", calls_per_day))
        return today.decision(refused, accepted=accepted, calls_per_day=calls_per_day)

    def add(self, tenant_id: str, counter: str, amount: int, now: float) -> None:
        """Add ``amount`` to a named daily counter."""
        self._add(f"/usage/{tenant_id}", UsageDay.of(now).day, {counter: amount})

    def set_gauge(self, tenant_id: str, gauge: str, value: int, now: float) -> None:
        """Replace today's value of a named gauge."""
        self.table.call(
            "update_item",
            Key={
                "pk": string_attr(f"/usage/{tenant_id}"),
                "sk": string_attr(UsageDay.of(now).day),
            },
            UpdateExpression="SET #g = :v",
            ExpressionAttributeNames={"#g": gauge},
            ExpressionAttributeValues={":v": number_attr(value)},
        )

    def daily(self, tenant_id: str, first_day: str) -> list[tuple[str, str, int]]:
        """Every counter and gauge of the tenant from ``first_day`` on (one Query of the
        tenant's usage partition), oldest first."""
        before = (datetime.fromisoformat(first_day) - timedelta(days=1)).strftime("%Y-%m-%d")
        return sorted(
            (item["sk"]["S"], name, int(item[name]["N"]))
            for item in self.table.query(f"/usage/{tenant_id}", "", after=before)
            for name in (*_COUNTERS, *_GAUGES)
            if name in item
        )

    def counters(self, tenant_id: str, now: float) -> UsageCounters:
        """The tenant's counters for the day and month containing ``now``."""
        today = UsageDay.of(now)
        rows = (
            (item["sk"]["S"], name, int(item[name]["N"]))
            for item in self.table.query(f"/usage/{tenant_id}", today.month)
            for name in _COUNTERS
            if name in item
        )
        return today.counters(rows)
