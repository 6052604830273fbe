"""Where ``mnemora-server export`` writes and ``import`` reads: a local file or an S3 object.

``s3://bucket/path/file.ndjson.gz?region=..&endpoint_url=..`` names an object (gzip when the
key ends in ``.gz``). An export is written to a temporary file first and uploaded when it is
complete (multipart for large ones), so a failed export never leaves a partial object under
the name; an import downloads the object before reading it.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from mnemora_server.aws import LazyClient, parse_aws_url
from mnemora_server.errors import UnavailableError


def is_s3(location: str) -> bool:
    return location.startswith("s3://")


def _aws_errors() -> tuple[type[Exception], ...]:
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, S3UploadFailedError)


def _object(location: str) -> tuple[Any, str, str]:
    parsed = parse_aws_url(location, "s3")
    key = parsed.prefix.rstrip("/")
    if not key:
        raise ValueError(f"name an object, not a bucket: {location!r}")
    return LazyClient("s3", parsed)(), parsed.name, key


@contextmanager
def open_output(location: str) -> Iterator[IO[str]]:
    """A text stream that ends up at ``location`` (a path or an S3 URL) when the block ends
    without an error."""
    if not is_s3(location):
        with open(location, "w", encoding="utf-8") as handle:
            yield handle
        return
    client, bucket, key = _object(location)
    with tempfile.TemporaryDirectory(prefix="mnemora-export-") as tmp:
        path = Path(tmp) / "export"
        opener: Any = gzip.open if key.endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8") as handle:
            yield handle
        try:
            client.upload_file(str(path), bucket, key)
        except _aws_errors() as exc:
            raise UnavailableError(f"the export could not be uploaded to S3: {exc}") from exc


@contextmanager
def open_input(location: str) -> Iterator[IO[bytes]]:
    """The bytes at ``location`` (a path or an S3 URL; ``.gz`` objects are decompressed)."""
    if not is_s3(location):
        with open(location, "rb") as handle:
            yield handle
        return
    client, bucket, key = _object(location)
    with tempfile.TemporaryDirectory(prefix="mnemora-import-") as tmp:
        path = Path(tmp) / "import"
        try:
            client.download_file(bucket, key, str(path))
        except _aws_errors() as exc:
            raise UnavailableError(f"the import could not be read from S3: {exc}") from exc
        if key.endswith(".gz"):
            plain = Path(tmp) / "import.ndjson"
            with gzip.open(path, "rb") as packed, open(plain, "wb") as out:
                shutil.copyfileobj(packed, out)
            path = plain
        with open(path, "rb") as handle:
            yield handle
