"""Tenants, keys, usage counters and idempotency records on DynamoDB.

Items live under partition keys that start with ``/`` (which no identifier may contain), so
they never meet an agent's ``tenant#agent`` partition in a shared table:

- ``/tenants`` -> ``<tenant_id>``: the registry that lists tenants without a Scan;
- ``/tenant/<id>`` -> ``TENANT`` (tier, limits) and ``KEY#<key_id>`` (the key's record);
- ``/key/<sha256>`` -> ``KEY``: lookup by hash; ``/keyid/<key_id>`` -> ``KEY``: by id;
- ``/usage/<tenant>`` -> ``<YYYY-MM-DD>``: daily counters; ``/burst/<tenant>`` -> ``<second>``;
- ``/idem/<tenant>`` -> ``<Idempotency-Key>``.

Counting a call and checking its limit are conditional atomic updates, so counters stay
exact with any number of server processes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from mnemora_server.aws import AwsLocation, parse_aws_url
from mnemora_server.errors import AlreadyExistsError
from mnemora_server.stores.base import (
    ApiKeyRecord,
    BackedStore,
    CallDecision,
    IdempotencyRecord,
    StoreOptions,
    Tenant,
    UsageCounters,
)
from mnemora_server.stores.dynamodb.table import DynamoTable

_BURST_TTL = 120


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float | int) -> dict[str, str]:
    return {"N": repr(float(value)) if isinstance(value, float) else str(value)}


def _opt(item: dict[str, Any], name: str) -> float | None:
    value = item.get(name, {}).get("N")
    return None if value is None else float(value)


def _tenant(item: dict[str, Any]) -> Tenant:
    return Tenant(
        tenant_id=item["tenant_id"]["S"],
        tier=item["tier"]["S"],
        limits=json.loads(item["limits"]["S"]),
        created_at=float(item["created_at"]["N"]),
    )


def _key(item: dict[str, Any]) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=item["key_id"]["S"],
        tenant_id=item["tenant_id"]["S"],
        key_hash=item["key_hash"]["S"],
        prefix=item["prefix"]["S"],
        scope=item["scope"]["S"],
        created_at=float(item["created_at"]["N"]),
        expires_at=_opt(item, "expires_at"),
        revoked_at=_opt(item, "revoked_at"),
    )


class DynamoAccountStore(BackedStore):
    """Account, usage and idempotency stores on one DynamoDB table."""

    def __init__(self, location: AwsLocation) -> None:
        self.table = DynamoTable(location)
        super().__init__(self.table)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> DynamoAccountStore:
        """The store of a ``dynamodb://table?region=..&endpoint_url=..`` URL."""
        return cls(parse_aws_url(url, "dynamodb"))

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        answer = self.table.call("get_item", Key={"pk": _s(pk), "sk": _s(sk)}, ConsistentRead=True)
        item: dict[str, Any] | None = answer.get("Item")
        return item

    def _put(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self.table.name, "Item": item}}

    # -- tenants -----------------------------------------------------------------------------

    def create_tenant(self, tenant: Tenant) -> Tenant:
        """Insert a tenant and its registry entry together."""
        fields = {
            "tenant_id": _s(tenant.tenant_id),
            "tier": _s(tenant.tier),
            "limits": _s(json.dumps(tenant.limits)),
            "created_at": _n(tenant.created_at),
        }
        item = {"pk": _s(f"/tenant/{tenant.tenant_id}"), "sk": _s("TENANT"), **fields}
        put = self._put(item)
        put["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self.table.transact(
                [put, self._put({"pk": _s("/tenants"), "sk": _s(tenant.tenant_id)})]
            )
        except ClientError as exc:
            raise AlreadyExistsError(f"tenant {tenant.tenant_id!r} already exists") from exc
        return tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """Return the tenant or ``None``."""
        item = self._get(f"/tenant/{tenant_id}", "TENANT")
        return None if item is None else _tenant(item)

    def list_tenants(self, *, limit: int, after: str | None) -> list[Tenant]:
        """Tenants ordered by id, starting after ``after``."""
        found: list[Tenant] = []
        for entry in self.table.query("/tenants", "", after=after):
            tenant = self.get_tenant(entry["sk"]["S"])
            if tenant is not None:
                found.append(tenant)
            if len(found) == limit:
                break
        return found

    def update_tenant(
        self, tenant_id: str, *, tier: str | None, limits: dict[str, int] | None
    ) -> Tenant | None:
        """Change tier and/or limit overrides."""
        if self.get_tenant(tenant_id) is None:
            return None
        sets, values = [], {}
        if tier is not None:
            sets.append("tier = :tier")
            values[":tier"] = _s(tier)
        if limits is not None:
            sets.append("limits = :limits")
            values[":limits"] = _s(json.dumps(limits))
        if sets:
            self.table.call(
                "update_item",
                Key={"pk": _s(f"/tenant/{tenant_id}"), "sk": _s("TENANT")},
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeValues=values,
            )
        return self.get_tenant(tenant_id)

    def delete_tenant(self, tenant_id: str) -> bool:
        """Delete the tenant, its registry entry and every key of it."""
        items = list(self.table.query(f"/tenant/{tenant_id}", ""))
        if not items:
            return False
        keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items]
        for item in items:
            if item["sk"]["S"].startswith("KEY#"):
                keys.append({"pk": _s(f"/key/{item['key_hash']['S']}"), "sk": _s("KEY")})
                keys.append({"pk": _s(f"/keyid/{item['key_id']['S']}"), "sk": _s("KEY")})
        keys.append({"pk": _s("/tenants"), "sk": _s(tenant_id)})
        self.table.delete_items(keys)
        return True

    # -- keys --------------------------------------------------------------------------------

    def _key_fields(self, record: ApiKeyRecord) -> dict[str, Any]:
        fields = {
            "key_id": _s(record.key_id),
            "tenant_id": _s(record.tenant_id),
            "key_hash": _s(record.key_hash),
            "prefix": _s(record.prefix),
            "scope": _s(record.scope),
            "created_at": _n(record.created_at),
        }
        if record.expires_at is not None:
            fields["expires_at"] = _n(record.expires_at)
        if record.revoked_at is not None:
            fields["revoked_at"] = _n(record.revoked_at)
        return fields

    def create_key(self, record: ApiKeyRecord) -> None:
        """Write the key's three items together (by hash, by id, under its tenant)."""
        fields = self._key_fields(record)
        self.table.transact(
            [
                self._put({"pk": _s(f"/key/{record.key_hash}"), "sk": _s("KEY"), **fields}),
                self._put({"pk": _s(f"/keyid/{record.key_id}"), "sk": _s("KEY"), **fields}),
                self._put(
                    {
                        "pk": _s(f"/tenant/{record.tenant_id}"),
                        "sk": _s(f"KEY#{record.key_id}"),
                        **fields,
                    }
                ),
            ]
        )

    def find_key(self, key_hash: str) -> tuple[ApiKeyRecord, Tenant] | None:
        """The key with this hash and its tenant, or ``None``."""
        item = self._get(f"/key/{key_hash}", "KEY")
        if item is None:
            return None
        tenant = self.get_tenant(item["tenant_id"]["S"])
        return None if tenant is None else (_key(item), tenant)

    def list_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        """Every key of the tenant, newest first."""
        keys = [_key(i) for i in self.table.query(f"/tenant/{tenant_id}", "KEY#")]
        return sorted(keys, key=lambda k: (-k.created_at, k.key_id))

    def revoke_key(self, key_id: str, now: float, *, tenant_id: str | None = None) -> bool:
        """Revoke a key in all three of its items."""
        item = self._get(f"/keyid/{key_id}", "KEY")
        if item is None or (tenant_id is not None and item["tenant_id"]["S"] != tenant_id):
            return False
        if "revoked_at" in item:
            return True
        owner = item["tenant_id"]["S"]
        update = {
            "UpdateExpression": "SET revoked_at = :now",
            "ExpressionAttributeValues": {":now": _n(now)},
        }
        self.table.transact(
            [
                {
                    "Update": {
                        "TableName": self.table.name,
                        **update,
                        "Key": {"pk": _s(f"/key/{item['key_hash']['S']}"), "sk": _s("KEY")},
                    }
                },
                {
                    "Update": {
                        "TableName": self.table.name,
                        **update,
                        "Key": {"pk": _s(f"/keyid/{key_id}"), "sk": _s("KEY")},
                    }
                },
                {
                    "Update": {
                        "TableName": self.table.name,
                        **update,
                        "Key": {"pk": _s(f"/tenant/{owner}"), "sk": _s(f"KEY#{key_id}")},
                    }
                },
            ]
        )
        return True

    def revoke_tenant_keys(self, tenant_id: str, now: float) -> int:
        """Revoke every live key of a tenant."""
        live = [k for k in self.list_keys(tenant_id) if k.revoked_at is None]
        for key in live:
            self.revoke_key(key.key_id, now)
        return len(live)

    # -- usage -------------------------------------------------------------------------------

    def _add(self, pk: str, sk: str, counters: dict[str, int], **extra: Any) -> dict[str, Any]:
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        values = {f":v{i}": _n(v) for i, v in enumerate(counters.values())}
        expression = "ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(counters)))
        if "set" in extra:
            expression += " SET " + extra.pop("set")
        answer = self.table.call(
            "update_item",
            Key={"pk": _s(pk), "sk": _s(sk)},
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
        moment = datetime.fromtimestamp(now, UTC)
        day = moment.strftime("%Y-%m-%d")
        reset_at = int(
            (
                moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            ).timestamp()
        )
        second = int(now)
        burst = self._add(
            f"/burst/{tenant_id}",
            str(second),
            {"calls": 1},
            set="#ttl = :ttl",
            names={"#ttl": "ttl"},
            values={":ttl": _n(second + _BURST_TTL)},
        )
        usage_pk = f"/usage/{tenant_id}"
        reason: str | None = "burst" if int(burst["calls"]["N"]) > burst_per_second else None
        accepted = 0
        if reason is None:
            try:
                answer = self._add(
                    usage_pk,
                    day,
                    {"calls": 1, "accepted": 1},
                    ConditionExpression="attribute_not_exists(accepted) OR accepted < :limit",
                    values={":limit": _n(calls_per_day)},
                )
                accepted = int(answer["accepted"]["N"])
            except ClientError:
                reason = "daily"
        if reason is not None:
            answer = self._add(usage_pk, day, {"calls": 1, "rejected": 1})
            accepted = int(answer.get("accepted", {}).get("N", calls_per_day))
        return CallDecision(
            allowed=reason is None,
            reason=reason,  # type: ignore[arg-type]
            daily_limit=calls_per_day,
            daily_remaining=max(0, calls_per_day - accepted),
            reset_at=reset_at,
            retry_after=0
            if reason is None
            else (1 if reason == "burst" else max(1, reset_at - second)),
        )

    def add(self, tenant_id: str, counter: str, amount: int, now: float) -> None:
        """Add ``amount`` to a named daily counter."""
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        self._add(f"/usage/{tenant_id}", day, {counter: amount})

    def counters(self, tenant_id: str, now: float) -> UsageCounters:
        """The tenant's counters for the day and month containing ``now``."""
        moment = datetime.fromtimestamp(now, UTC)
        day, month = moment.strftime("%Y-%m-%d"), moment.strftime("%Y-%m-")
        today: dict[str, int] = {}
        total: dict[str, int] = {}
        for item in self.table.query(f"/usage/{tenant_id}", month):
            for name in ("calls", "accepted", "rejected", "embeddings"):
                value = int(item.get(name, {}).get("N", 0))
                total[name] = total.get(name, 0) + value
                if item["sk"]["S"] == day:
                    today[name] = value
        return UsageCounters(
            calls_today=today.get("calls", 0),
            accepted_today=today.get("accepted", 0),
            calls_month=total.get("calls", 0),
            rejected_month=total.get("rejected", 0),
            embeddings_today=today.get("embeddings", 0),
            embeddings_month=total.get("embeddings", 0),
        )

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete the tenant's counters and idempotency records."""
        keys = [
            {"pk": i["pk"], "sk": i["sk"]}
            for pk in (f"/usage/{tenant_id}", f"/burst/{tenant_id}", f"/idem/{tenant_id}")
            for i in self.table.query(pk, "")
        ]
        self.table.delete_items(keys)
        return len(keys)

    # -- idempotency -------------------------------------------------------------------------

    def begin(
        self, tenant_id: str, key: str, fingerprint: str, now: float, *, lock_seconds: int
    ) -> IdempotencyRecord | None:
        """Claim the key (conditional put), take over a lapsed attempt of the same request
        (conditional update), or return the record that holds it."""
        pk, sk = _s(f"/idem/{tenant_id}"), _s(key)
        item = {
            "pk": pk,
            "sk": sk,
            "fingerprint": _s(fingerprint),
            "finished": {"BOOL": False},
            "expires_at": _n(now + lock_seconds),
            "started_at": _n(now),
        }
        try:
            self.table.call(
                "put_item",
                Item=item,
                # Free, or lapsed and not an unfinished attempt of this very request.
                ConditionExpression="attribute_not_exists(pk) OR (expires_at <= :now"
                " AND (finished = :t OR fingerprint <> :fp))",
                ExpressionAttributeValues={
                    ":now": _n(now),
                    ":t": {"BOOL": True},
                    ":fp": _s(fingerprint),
                },
            )
            return None
        except ClientError:
            held = self._get(f"/idem/{tenant_id}", key)
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
                    ":until": _n(now + lock_seconds),
                    ":seen": held["expires_at"],
                    ":f": {"BOOL": False},
                    ":fp": _s(fingerprint),
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
            "pk": _s(f"/idem/{tenant_id}"),
            "sk": _s(key),
            "finished": {"BOOL": True},
            "status": _n(status),
            "expires_at": _n(now + ttl_seconds),
            "fingerprint": _s(""),
        }
        held = self._get(f"/idem/{tenant_id}", key)
        if held is not None:
            item["fingerprint"] = held["fingerprint"]
        if body is not None:
            item["body"] = _s(body)
        if agent_id is not None:
            item["agent_id"] = _s(agent_id)
        self.table.call("put_item", Item=item)

    def release(self, tenant_id: str, key: str) -> None:
        """Let a retry take over an unfinished claim at once (fingerprint and start kept)."""
        try:
            self.table.call(
                "update_item",
                Key={"pk": _s(f"/idem/{tenant_id}"), "sk": _s(key)},
                UpdateExpression="SET expires_at = :zero",
                ConditionExpression="finished = :f",
                ExpressionAttributeValues={":f": {"BOOL": False}, ":zero": _n(0)},
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
