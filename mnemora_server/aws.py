"""boto3 clients for the AWS stores, built from store URLs (``dynamodb://``, ``s3://``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass(frozen=True)
class AwsLocation:
    """Where an AWS store lives.

    Attributes:
        name: Table or bucket name.
        prefix: Key prefix inside a bucket (S3 only; empty or ending in ``/``).
        region: AWS region.
        endpoint_url: A non-default endpoint (moto, LocalStack, VPC endpoints), or ``None``.
        read_timeout: Seconds to wait for an answer before the attempt counts as failed.
        max_attempts: Attempts per call (botocore's standard retry mode, with back-off, for
            throttling, 5xx answers and timeouts). With the defaults a store that hangs
            fails a call after about 3 x 5 s, which the API answers with 503.
    """

    name: str
    prefix: str
    region: str
    endpoint_url: str | None
    read_timeout: float = 5.0
    max_attempts: int = 3


def parse_aws_url(url: str, scheme: str) -> AwsLocation:
    """Parse ``dynamodb://table?region=..&endpoint_url=..`` or ``s3://bucket/prefix?...``
    (also ``read_timeout`` and ``max_attempts``).

    Raises:
        ValueError: If the URL has another scheme or no name.
    """
    parsed = urlparse(url)
    if parsed.scheme != scheme or not parsed.netloc:
        raise ValueError(f"not a {scheme} URL with a name: {url!r}")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    prefix = parsed.path.strip("/")
    return AwsLocation(
        name=parsed.netloc,
        prefix=prefix + "/" if prefix else "",
        region=query.get("region", "us-east-1"),
        endpoint_url=query.get("endpoint_url"),
        read_timeout=float(query.get("read_timeout", 5.0)),
        max_attempts=int(query.get("max_attempts", 3)),
    )


class LazyClient:
    """A boto3 client created on first use (no I/O or credential lookup in constructors)."""

    def __init__(self, service: str, location: AwsLocation) -> None:
        self._service = service
        self._location = location
        self._client: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    self._client = boto3.client(
                        self._service,
                        region_name=self._location.region,
                        endpoint_url=self._location.endpoint_url,
                        config=Config(
                            retries={
                                "max_attempts": self._location.max_attempts,
                                "mode": "standard",
                            },
                            connect_timeout=3,
                            read_timeout=self._location.read_timeout,
                        ),
                    )
        return self._client


def is_error(exc: Exception, *codes: str) -> bool:
    """Whether ``exc`` is a botocore ``ClientError`` with one of ``codes``."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    return response.get("Error", {}).get("Code") in codes
