"""One DynamoDB table and the calls every DynamoDB store makes on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mnemora_server.aws import AwsLocation, LazyClient, is_error
from mnemora_server.errors import UnavailableError


def string_attr(value: str) -> dict[str, str]:
    """A DynamoDB string attribute value."""
    return {"S": value}


def number_attr(value: float | int) -> dict[str, str]:
    """A DynamoDB number attribute value (floats keep their full precision)."""
    return {"N": repr(float(value)) if isinstance(value, float) else str(value)}


class DynamoTable:
    """A table with ``pk``/``sk`` string keys; every failure becomes ``UnavailableError``,
    except failed conditions, which callers handle (``ClientError`` is re-raised).

    Args:
        location: Table name, region and endpoint.
    """

    def __init__(self, location: AwsLocation) -> None:
        self._table = location.name
        self._db = LazyClient("dynamodb", location)

    def setup(self, *, session_index: bool = True) -> None:
        """Create the table (on-demand, TTL on ``ttl``, the ``session`` index) if missing."""
        index = {
            "IndexName": "session",
            "KeySchema": [
                {"AttributeName": "gsi_session", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        attributes = [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gsi_session", "AttributeType": "S"},
        ]
        try:
            try:
                described = self._db().describe_table(TableName=self._table)["Table"]
            except ClientError as exc:
                if not is_error(exc, "ResourceNotFoundException"):
                    raise
                self._db().create_table(
                    TableName=self._table,
                    KeySchema=[
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    AttributeDefinitions=attributes,
                    GlobalSecondaryIndexes=[index],
                    BillingMode="PAY_PER_REQUEST",
                )
                self._db().get_waiter("table_exists").wait(TableName=self._table)
                self._db().update_time_to_live(
                    TableName=self._table,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
                )
                return
            names = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
            if session_index and "session" not in names:
                self._db().update_table(
                    TableName=self._table,
                    AttributeDefinitions=attributes,
                    GlobalSecondaryIndexUpdates=[{"Create": index}],
                )
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError(f"DynamoDB table {self._table} cannot be set up") from exc

    def check_health(self) -> None:
        """Raise ``UnavailableError`` unless the table answers."""
        try:
            self._db().describe_table(TableName=self._table)
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError("DynamoDB is unavailable") from exc

    def close(self) -> None:
        """Nothing to release (boto3 pools connections itself)."""

    @property
    def name(self) -> str:
        """The table's name."""
        return self._table

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        """The item with this key (a strongly consistent read), or ``None``."""
        key = {"pk": string_attr(pk), "sk": string_attr(sk)}
        item: dict[str, Any] | None = self.call("get_item", Key=key, ConsistentRead=True).get(
            "Item"
        )
        return item

    def call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._db(), operation)(TableName=self._table, **kwargs)
        except ClientError as exc:
            if is_error(exc, "ConditionalCheckFailedException", "TransactionCanceledException"):
                raise
            raise UnavailableError("DynamoDB failed; nothing was written") from exc
        except BotoCoreError as exc:
            raise UnavailableError("DynamoDB failed; nothing was written") from exc

    def transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self._db().transact_write_items(TransactItems=items)
        except ClientError as exc:
            if is_error(exc, "TransactionCanceledException"):
                raise
            raise UnavailableError("DynamoDB failed; nothing was written") from exc
        except BotoCoreError as exc:
            raise UnavailableError("DynamoDB failed; nothing was written") from exc

    def query(self, pk: str, prefix: str, after: str | None = None) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
            "ConsistentRead": True,
        }
        if not prefix:  # the whole partition
            kwargs["KeyConditionExpression"] = "pk = :pk"
            kwargs["ExpressionAttributeValues"] = {":pk": {"S": pk}}
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": prefix + after}}
        while True:
            answer = self.call("query", **kwargs)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def delete_items(self, keys: list[dict[str, Any]]) -> None:
        for start in range(0, len(keys), 25):  # BatchWriteItem takes at most 25
            requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
            while requests:
                try:
                    answer = self._db().batch_write_item(RequestItems={self._table: requests})
                except (BotoCoreError, ClientError) as exc:
                    raise UnavailableError("DynamoDB failed while deleting; run it again") from exc
                requests = answer.get("UnprocessedItems", {}).get(self._table, [])

    def query_raw(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a query with the given arguments, page after page."""
        while True:
            answer = self.call("query", **kwargs)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def batch_write(self, requests: list[dict[str, Any]]) -> None:
        """Put/delete requests in batches of at most 25, retrying unprocessed ones."""
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            while pending:
                try:
                    answer = self._db().batch_write_item(RequestItems={self._table: pending})
                except (BotoCoreError, ClientError) as exc:
                    raise UnavailableError("DynamoDB failed while writing; retry") from exc
                pending = answer.get("UnprocessedItems", {}).get(self._table, [])
