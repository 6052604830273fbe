"""Working memory on DynamoDB (``dynamodb://table?region=..&endpoint_url=..``).

Single-table design. Every item of an agent lives under the partition key ``tenant#agent``
(built by :func:`~mnemora_server.stores.dynamodb.keys.dynamo_agent_pk`): sessions under sort keys
``SESSION#<id>``. A tenant's registry of agents lives under ``tenant#/`` (``AGENT#<id>``), so
tenant-wide operations never need a Scan. Versions are enforced with conditional writes;
expired state is filtered on read (DynamoDB's own TTL deletion runs later, on ``ttl``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mnemora_server.aws import AwsLocation, parse_aws_url
from mnemora_server.errors import UnavailableError, VersionConflictError
from mnemora_server.stores.base import (
    BackedStore,
    NextVersion,
    StateRecord,
    StateStats,
    StoredVersion,
    StoreOptions,
    TtlChange,
    require_version,
)
from mnemora_server.stores.dynamodb.keys import dynamo_agent_pk, dynamo_tenant_pk
from mnemora_server.stores.dynamodb.table import DynamoTable, number_attr

_SESSION = "SESSION#"
_AGENT = "AGENT#"
_RACE_ATTEMPTS = 20
_TTL_GRACE_SECONDS = 86400


class DynamoStateStore(BackedStore):
    """:class:`~mnemora_server.stores.base.StateStore` on one DynamoDB table.

    Args:
        location: Table name, region and endpoint.
    """

    def __init__(self, location: AwsLocation) -> None:
        self.table = DynamoTable(location)
        super().__init__(self.table)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> DynamoStateStore:
        """The store of a ``dynamodb://table?region=..&endpoint_url=..`` URL."""
        return cls(parse_aws_url(url, "dynamodb"))

    # -- helpers -----------------------------------------------------------------------------

    def _item(self, tenant_id: str, agent_id: str, session_id: str) -> dict[str, Any] | None:
        return self.table.get(dynamo_agent_pk(tenant_id, agent_id), _SESSION + session_id)

    @staticmethod
    def _stored(item: dict[str, Any] | None) -> StoredVersion | None:
        if item is None:
            return None
        expires = item.get("expires_at", {}).get("N")
        return StoredVersion(
            version=int(item["version"]["N"]),
            created_at=float(item["created_at"]["N"]),
            expires_at=None if expires is None else float(expires),
            deleted=bool(item.get("deleted", {}).get("BOOL")),
        )

    @classmethod
    def _live(cls, item: dict[str, Any] | None, now: float) -> bool:
        stored = cls._stored(item)
        return stored is not None and stored.is_live(now)

    @staticmethod
    def _record(agent_id: str, session_id: str, item: dict[str, Any]) -> StateRecord:
        expires = item.get("expires_at", {}).get("N")
        return StateRecord(
            agent_id=agent_id,
            session_id=session_id,
            data=json.loads(item["data"]["S"]),
            version=int(item["version"]["N"]),
            created_at=float(item["created_at"]["N"]),
            updated_at=float(item["updated_at"]["N"]),
            expires_at=None if expires is None else float(expires),
        )

    def _write(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        ttl: TtlChange,
        now: float,
        current: dict[str, Any] | None,
    ) -> StateRecord:
        upcoming = NextVersion.after(self._stored(current), ttl, now)
        item: dict[str, Any] = {
            "pk": {"S": dynamo_agent_pk(tenant_id, agent_id)},
            "sk": {"S": _SESSION + session_id},
            "data": {"S": json.dumps(data, separators=(",", ":"))},
            "version": number_attr(upcoming.version),
            "created_at": number_attr(upcoming.created_at),
            "updated_at": number_attr(now),
            "deleted": {"BOOL": False},
            # Marks this very write, so that a retry whose first attempt landed (and whose
            # answer was lost) recognises it instead of reporting a conflict.
            "write_id": {"S": uuid.uuid4().hex},
        }
        if upcoming.expires_at is not None:
            item["expires_at"] = number_attr(upcoming.expires_at)
            item["ttl"] = number_attr(int(upcoming.expires_at) + _TTL_GRACE_SECONDS)
        condition: dict[str, Any]
        if current is None:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": current["version"]},
            }
        put = {"TableName": self.table.name, "Item": item, **condition}
        register = {
            "TableName": self.table.name,
            "Item": {"pk": {"S": dynamo_tenant_pk(tenant_id)}, "sk": {"S": _AGENT + agent_id}},
        }
        try:
            if current is None:
                # A new session and its agent's registry entry change together.
                self.table.transact([{"Put": put}, {"Put": register}])
            else:
                self.table.call("put_item", Item=item, **condition)
        except ClientError:
            landed = self._item(tenant_id, agent_id, session_id)
            if landed is None or landed.get("write_id") != item["write_id"]:
                raise
        return self._record(agent_id, session_id, item)

    # -- the protocol ------------------------------------------------------------------------

    def put(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        ttl: TtlChange,
        now: float,
    ) -> StateRecord:
        """Write unconditionally; concurrent writers each get their own next version."""
        for _ in range(_RACE_ATTEMPTS):
            current = self._item(tenant_id, agent_id, session_id)
            try:
                return self._write(tenant_id, agent_id, session_id, data, ttl, now, current)
            except ClientError:
                continue  # someone wrote in between: read again and write the next version
        raise UnavailableError("the session changed too often to write; retry")

    def put_if_version(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        expected_version: int,
        ttl: TtlChange,
        now: float,
    ) -> StateRecord:
        """Write only if the live document has ``expected_version``."""
        current = self._item(tenant_id, agent_id, session_id)
        require_version(
            self._stored(current), expected_version, now, agent_id=agent_id, session_id=session_id
        )
        try:
            return self._write(tenant_id, agent_id, session_id, data, ttl, now, current)
        except ClientError as exc:
            raise VersionConflictError(
                f"version {expected_version} is stale; the document changed meanwhile",
                details={"expected_version": expected_version},
            ) from exc

    def get(self, tenant_id: str, agent_id: str, session_id: str, now: float) -> StateRecord | None:
        """The live document, or ``None``."""
        item = self._item(tenant_id, agent_id, session_id)
        if not self._live(item, now):
            return None
        assert item is not None
        return self._record(agent_id, session_id, item)

    def list_sessions(
        self, tenant_id: str, agent_id: str, now: float, *, limit: int, after: str | None
    ) -> list[str]:
        """Live session ids in ascending order after ``after``."""
        found: list[str] = []
        for item in self.table.query(dynamo_agent_pk(tenant_id, agent_id), _SESSION, after):
            if self._live(item, now):
                found.append(item["sk"]["S"][len(_SESSION) :])
                if len(found) == limit:
                    break
        return found

    def delete(self, tenant_id: str, agent_id: str, session_id: str, now: float) -> bool:
        """Turn a live document into a tombstone that keeps its version."""
        current = self._item(tenant_id, agent_id, session_id)
        if not self._live(current, now):
            return False
        assert current is not None
        try:
            self.table.call(
                "update_item",
                Key={"pk": current["pk"], "sk": current["sk"]},
                UpdateExpression="SET deleted = :t, updated_at = :now, #d = :empty"
                " REMOVE expires_at, #ttl",
                ConditionExpression="version = :v",
                ExpressionAttributeNames={"#d": "data", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":t": {"BOOL": True},
                    ":now": number_attr(now),
                    ":empty": {"S": "{}"},
                    ":v": current["version"],
                },
            )
        except ClientError:
            return self.delete(tenant_id, agent_id, session_id, now)
        return True

    def _agents(self, tenant_id: str) -> list[str]:
        return [
            item["sk"]["S"][len(_AGENT) :]
            for item in self.table.query(dynamo_tenant_pk(tenant_id), _AGENT)
        ]

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Live documents, per agent (one Query of each agent's partition)."""
        counts = {
            agent: sum(
                self._live(i, now)
                for i in self.table.query(dynamo_agent_pk(tenant_id, agent), _SESSION)
            )
            for agent in self._agents(tenant_id)
        }
        return {agent: count for agent, count in counts.items() if count}

    def export(self, tenant_id: str, agent_id: str | None, now: float) -> Iterator[StateRecord]:
        """Every live document of the tenant (or agent)."""
        for agent in [agent_id] if agent_id else self._agents(tenant_id):
            for item in self.table.query(dynamo_agent_pk(tenant_id, agent), _SESSION):
                if self._live(item, now):
                    yield self._record(agent, item["sk"]["S"][len(_SESSION) :], item)

    def stats(self, tenant_id: str, now: float) -> StateStats:
        """Agents, sessions and bytes of the tenant's live documents."""
        agents = sessions = size = 0
        for agent in self._agents(tenant_id):
            live = [
                i
                for i in self.table.query(dynamo_agent_pk(tenant_id, agent), _SESSION)
                if self._live(i, now)
            ]
            agents += bool(live)
            sessions += len(live)
            size += sum(len(i["data"]["S"].encode()) for i in live)
        return StateStats(agents=agents, sessions=sessions, bytes=size)

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove the agent's working memory, tombstones included, then its registry entry.

        Only ``SESSION#`` items: the agent's partition may be shared with other stores on the
        same table (hot episodes), which purge their own items and count them.
        """
        items = list(self.table.query(dynamo_agent_pk(tenant_id, agent_id), _SESSION))
        documents = sum(
            1
            for i in items
            if i["sk"]["S"].startswith(_SESSION) and not i.get("deleted", {}).get("BOOL")
        )
        self.table.delete_items([{"pk": i["pk"], "sk": i["sk"]} for i in items])
        self.table.delete_items(
            [{"pk": {"S": dynamo_tenant_pk(tenant_id)}, "sk": {"S": _AGENT + agent_id}}]
        )
        return documents

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every item of every agent of the tenant."""
        return sum(self.purge_agent(tenant_id, agent) for agent in self._agents(tenant_id))
