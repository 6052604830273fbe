"""Idempotency records on DynamoDB: ``/idem/<tenant>`` -> ``<Idempotency-Key>``."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from mnemora_server.stores.base import IdempotencyRecord
from mnemora_server.stores.dynamodb.table import DynamoTable, number_attr, string_attr


class DynamoIdempotencyRecords:
    """:class:`~mnemora_server.stores.base.IdempotencyStore` operations over ``self.table``."""

    table: DynamoTable

    def begin(
        self, tenant_id: str, key: str, fingerprint: str, now: float, *, lock_seconds: int
    ) -> IdempotencyRecord | None:
        """Claim the key (conditional put), take over a lapsed attempt of the same request
        (conditional update), or return the record that holds it."""
        pk, sk = string_attr(f"/idem/{tenant_id}"), string_attr(key)
        item = {
            "pk": pk,
            "sk": sk,
            "fingerprint": string_attr(fingerprint),
            "finished": {"BOOL": False},
            "expires_at": number_attr(now + lock_seconds),
            "started_at": number_attr(now),
        }
        try:
            self.table.call(
                "put_item",
                Item=item,
                # Free, or lapsed and not an unfinished attempt of this very request.
                ConditionExpression="attribute_not_exists(pk) OR (expires_at <= :now"
                " AND (finished = :t OR fingerprint <> :fp))",
                ExpressionAttributeValues={
                    ":now": number_attr(now),
                    ":t": {"BOOL": True},
                    ":fp": string_attr(fingerprint),
                },
            )
            return None
        except ClientError:
            held = self.table.get(f"/idem/{tenant_id}", key)
        if held is None:
            return self.begin(tenant_id, key, fingerprint, now, lock_seconds=lock_seconds)
        if float(held["expires_at"]["N"]) > now:
            return IdempotencyRecord(
                fingerprint=held["fingerprint"]["S"],
                finished=held["finished"]["BOOL"],
                status=int(held.get("status", {}).get("N", 0)),
                body=held.get("body", {}).get("S"),
            )
        try:
            self.table.call(
                "update_item",
                Key={"pk": pk, "sk": sk},
                UpdateExpression="SET expires_at = :until",
                ConditionExpression="expires_at = :seen AND finished = :f AND fingerprint = :fp",
                ExpressionAttributeValues={
                    ":until": number_attr(now + lock_seconds),
                    ":seen": held["expires_at"],
                    ":f": {"BOOL": False},
                    ":fp": string_attr(fingerprint),
                },
            )
        except ClientError:  # another retry took it first, or it changed: look again
            return self.begin(tenant_id, key, fingerprint, now, lock_seconds=lock_seconds)
        started = float(held.get("started_at", {}).get("N", now))
        return IdempotencyRecord(fingerprint, finished=False, reclaimed=True, started_at=started)

    def finish(
        self,
        tenant_id: str,
        key: str,
        *,
        status: int,
        body: str | None,
        agent_id: str | None,
        now: float,
        ttl_seconds: int,
    ) -> None:
        """Store the answer of a claimed key."""
        item: dict[str, Any] = {
            "pk": string_attr(f"/idem/{tenant_id}"),
            "sk": string_attr(key),
            "finished": {"BOOL": True},
            "status": number_attr(status),
            "expires_at": number_attr(now + ttl_seconds),
            "fingerprint": string_attr(""),
        }
        held = self.table.get(f"/idem/{tenant_id}", key)
        if held is not None:
            item["fingerprint"] = held["fingerprint"]
        if body is not None:
            item["body"] = string_attr(body)
        if agent_id is not None:
            item["agent_id"] = string_attr(agent_id)
        self.table.call("put_item", Item=item)

    def release(self, tenant_id: str, key: str) -> None:
        """Let a retry take over an unfinished claim at once (fingerprint and start kept)."""
        try:
            self.table.call(
                "update_item",
                Key={"pk": string_attr(f"/idem/{tenant_id}"), "sk": string_attr(key)},
                UpdateExpression="SET expires_at = :zero",
                ConditionExpression="finished = :f",
                ExpressionAttributeValues={":f": {"BOOL": False}, ":zero": number_attr(0)},
            )
        except ClientError:
            return

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the records of writes to one agent."""
        keys = [
            {"pk": i["pk"], "sk": i["sk"]}
            for i in self.table.query(f"/idem/{tenant_id}", "")
            if i.get("agent_id", {}).get("S") == agent_id
        ]
        self.table.delete_items(keys)
        return len(keys)
