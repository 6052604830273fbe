"""Tenants, keys, usage counters and idempotency records on DynamoDB.

Items live under partition keys that start with ``/`` (which no identifier may contain), so
they never meet an agent's ``tenant#agent`` partition in a shared table:

- ``/tenants`` -> ``<tenant_id>``: the registry that lists tenants without a Scan;
- ``/tenant/<id>`` -> ``TENANT`` (tier, limits) and ``KEY#<key_id>`` (the key's record);
- ``/key/<sha256>`` -> ``KEY``: lookup by hash; ``/keyid/<key_id>`` -> ``KEY``: by id;
- usage counters and idempotency records: see :mod:`.usage` and :mod:`.idempotency`, whose
  operations the store class here joins over the one table.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from mnemora_server.aws import AwsLocation, parse_aws_url
from mnemora_server.errors import AlreadyExistsError
from mnemora_server.stores.base import (
    ApiKeyRecord,
    BackedStore,
    StoreOptions,
    Tenant,
)
from mnemora_server.stores.dynamodb.idempotency import DynamoIdempotencyRecords
from mnemora_server.stores.dynamodb.table import DynamoTable, number_attr, string_attr
from mnemora_server.stores.dynamodb.usage import DynamoUsageCounters


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


class DynamoAccountStore(DynamoUsageCounters, DynamoIdempotencyRecords, BackedStore):
    """Account, usage and idempotency stores on one DynamoDB table."""

    def __init__(self, location: AwsLocation) -> None:
        self.table = DynamoTable(location)
        super().__init__(self.table)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> DynamoAccountStore:
        """The store of a ``dynamodb://table?region=..&endpoint_url=..`` URL."""
        return cls(parse_aws_url(url, "dynamodb"))

    def _put(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self.table.name, "Item": item}}

    # -- tenants -----------------------------------------------------------------------------

    def create_tenant(self, tenant: Tenant) -> Tenant:
        """Insert a tenant and its registry entry together."""
        fields = {
            "tenant_id": string_attr(tenant.tenant_id),
            "tier": string_attr(tenant.tier),
            "limits": string_attr(json.dumps(tenant.limits)),
            "created_at": number_attr(tenant.created_at),
        }
        item = {
            "pk": string_attr(f"/tenant/{tenant.tenant_id}"),
            "sk": string_attr("TENANT"),
            **fields,
        }
        put = self._put(item)
        put["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self.table.transact(
                [
                    put,
                    self._put({"pk": string_attr("/tenants"), "sk": string_attr(tenant.tenant_id)}),
                ]
            )
        except ClientError as exc:
            raise AlreadyExistsError(f"tenant {tenant.tenant_id!r} already exists") from exc
        return tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """Return the tenant or ``None``."""
        item = self.table.get(f"/tenant/{tenant_id}", "TENANT")
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
            values[":tier"] = string_attr(tier)
        if limits is not None:
            sets.append("limits = :limits")
            values[":limits"] = string_attr(json.dumps(limits))
        if sets:
            self.table.call(
                "update_item",
                Key={"pk": string_attr(f"/tenant/{tenant_id}"), "sk": string_attr("TENANT")},
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
                keys.append(
                    {"pk": string_attr(f"/key/{item['key_hash']['S']}"), "sk": string_attr("KEY")}
                )
                keys.append(
                    {"pk": string_attr(f"/keyid/{item['key_id']['S']}"), "sk": string_attr("KEY")}
                )
        keys.append({"pk": string_attr("/tenants"), "sk": string_attr(tenant_id)})
        self.table.delete_items(keys)
        return True

    # -- keys --------------------------------------------------------------------------------

    def _key_fields(self, record: ApiKeyRecord) -> dict[str, Any]:
        fields = {
            "key_id": string_attr(record.key_id),
            "tenant_id": string_attr(record.tenant_id),
            "key_hash": string_attr(record.key_hash),
            "prefix": string_attr(record.prefix),
            "scope": string_attr(record.scope),
            "created_at": number_attr(record.created_at),
        }
        if record.expires_at is not None:
            fields["expires_at"] = number_attr(record.expires_at)
        if record.revoked_at is not None:
            fields["revoked_at"] = number_attr(record.revoked_at)
        return fields

    def create_key(self, record: ApiKeyRecord) -> None:
        """Write the key's three items together (by hash, by id, under its tenant)."""
        fields = self._key_fields(record)
        self.table.transact(
            [
                self._put(
                    {
                        "pk": string_attr(f"/key/{record.key_hash}"),
                        "sk": string_attr("KEY"),
                        **fields,
                    }
                ),
                self._put(
                    {
                        "pk": string_attr(f"/keyid/{record.key_id}"),
                        "sk": string_attr("KEY"),
                        **fields,
                    }
                ),
                self._put(
                    {
                        "pk": string_attr(f"/tenant/{record.tenant_id}"),
                        "sk": string_attr(f"KEY#{record.key_id}"),
                        **fields,
                    }
                ),
            ]
        )

    def find_key(self, key_hash: str) -> tuple[ApiKeyRecord, Tenant] | None:
        """The key with this hash and its tenant, or ``None``."""
        item = self.table.get(f"/key/{key_hash}", "KEY")
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
        item = self.table.get(f"/keyid/{key_id}", "KEY")
        if item is None or (tenant_id is not None and item["tenant_id"]["S"] != tenant_id):
            return False
        if "revoked_at" in item:
            return True
        owner = item["tenant_id"]["S"]
        update = {
            "UpdateExpression": "SET revoked_at = :now",
            "ExpressionAttributeValues": {":now": number_attr(now)},
        }
        self.table.transact(
            [
                {
                    "Update": {
                        "TableName": self.table.name,
                        **update,
                        "Key": {
                            "pk": string_attr(f"/key/{item['key_hash']['S']}"),
                            "sk": string_attr("KEY"),
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": self.table.name,
                        **update,
                        "Key": {"pk": string_attr(f"/keyid/{key_id}"), "sk": string_attr("KEY")},
                    }
                },
                {
                    "Update": {
                        "TableName": self.table.name,
                        **update,
                        "Key": {
                            "pk": string_attr(f"/tenant/{owner}"),
                            "sk": string_attr(f"KEY#{key_id}"),
                        },
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

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete the tenant's counters and idempotency records."""
        keys = [
            {"pk": i["pk"], "sk": i["sk"]}
            for pk in (f"/usage/{tenant_id}", f"/burst/{tenant_id}", f"/idem/{tenant_id}")
            for i in self.table.query(pk, "")
        ]
        self.table.delete_items(keys)
        return len(keys)
