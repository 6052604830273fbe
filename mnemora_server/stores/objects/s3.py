"""The cold tier on S3 (``s3://bucket/prefix?region=..&endpoint_url=..``)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from mnemora_server.aws import AwsLocation, LazyClient, is_error, parse_aws_url
from mnemora_server.errors import UnavailableError
from mnemora_server.stores.base import StoreOptions


class S3ColdStore:
    """Objects under ``prefix + tenant/agent/...``; deleting a prefix removes every version.

    Args:
        location: Bucket, key prefix, region and endpoint.
    """

    def __init__(self, location: AwsLocation) -> None:
        self._location = location
        self._bucket = location.name
        self._prefix = location.prefix
        self._s3 = LazyClient("s3", location)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> S3ColdStore:
        """The store of an ``s3://bucket/prefix?region=..&endpoint_url=..`` URL."""
        return cls(parse_aws_url(url, "s3"))

    def setup(self) -> None:
        """Create the bucket if it is missing and turn versioning on."""
        try:
            try:
                self._s3().head_bucket(Bucket=self._bucket)
            except ClientError as exc:
                if not is_error(exc, "404", "NoSuchBucket", "NotFound"):
                    raise
                self._s3().create_bucket(Bucket=self._bucket)
            self._s3().put_bucket_versioning(
                Bucket=self._bucket, VersioningConfiguration={"Status": "Enabled"}
            )
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError(f"S3 bucket {self._bucket} cannot be set up") from exc

    def check_health(self) -> None:
        """Raise ``UnavailableError`` unless the bucket answers."""
        try:
            self._s3().head_bucket(Bucket=self._bucket)
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError("S3 is unavailable") from exc

    def close(self) -> None:
        """Nothing to release (boto3 pools connections itself)."""

    def put(self, key: str, data: bytes) -> None:
        """Write an object (S3 writes are atomic: complete or absent)."""
        try:
            self._s3().put_object(Bucket=self._bucket, Key=self._prefix + key, Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError("S3 failed; nothing was written") from exc

    def get(self, key: str) -> bytes | None:
        """An object's bytes, or ``None``."""
        try:
            answer = self._s3().get_object(Bucket=self._bucket, Key=self._prefix + key)
            return bytes(answer["Body"].read())
        except ClientError as exc:
            if is_error(exc, "NoSuchKey", "404"):
                return None
            raise UnavailableError("S3 failed") from exc
        except BotoCoreError as exc:
            raise UnavailableError("S3 failed") from exc

    def keys(self, prefix: str) -> list[str]:
        """Every current object key under ``prefix``."""
        found: list[str] = []
        try:
            pages = (
                self._s3()
                .get_paginator("list_objects_v2")
                .paginate(Bucket=self._bucket, Prefix=self._prefix + prefix)
            )
            for page in pages:
                found.extend(item["Key"][len(self._prefix) :] for item in page.get("Contents", []))
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError("S3 failed") from exc
        return sorted(found)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every version and delete marker under ``prefix``; return keys removed."""
        keys: set[str] = set()
        try:
            pages = (
                self._s3()
                .get_paginator("list_object_versions")
                .paginate(Bucket=self._bucket, Prefix=self._prefix + prefix)
            )
            batch: list[dict[str, str]] = []
            for page in pages:
                for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    keys.add(item["Key"])
                    batch.append({"Key": item["Key"], "VersionId": item["VersionId"]})
                    if len(batch) == 1000:
                        self._delete(batch)
                        batch = []
            if batch:
                self._delete(batch)
        except (BotoCoreError, ClientError) as exc:
            raise UnavailableError("S3 failed while deleting; run the purge again") from exc
        return len(keys)

    def _delete(self, batch: list[dict[str, str]]) -> None:
        answer = self._s3().delete_objects(
            Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True}
        )
        if answer.get("Errors"):
            raise UnavailableError("S3 refused to delete some objects; run the purge again")
