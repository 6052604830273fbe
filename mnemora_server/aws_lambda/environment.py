"""The settings of a Lambda function: the server's, with PostgreSQL's credentials read from
Secrets Manager at cold start (never from the function's environment)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import quote

from mnemora_server.settings import Settings

_POSTGRES_STORES = ("vector_url", "procedures_url", "checkpoints_url", "items_url")


@cache
def lambda_settings() -> Settings:
    """The function's settings, once per cold start.

    With ``MNEMORA_POSTGRES_SECRET_ARN`` (the application role's secret: ``username`` and
    ``password``, and optionally ``host``, ``port`` and ``dbname``), every PostgreSQL store
    without a URL of its own gets one built from it; with
    ``MNEMORA_POSTGRES_ADMIN_SECRET_ARN`` (the cluster's master secret) so does
    ``postgres_admin_url``, which only migrations use.
    """
    settings = Settings()
    update: dict[str, Any] = {}
    if settings.postgres_secret_arn:
        url = postgres_url(read_secret(settings.postgres_secret_arn, settings.aws_region), settings)
        update |= {name: url for name in _POSTGRES_STORES if not getattr(settings, name)}
    if settings.postgres_admin_secret_arn and not settings.postgres_admin_url:
        secret = read_secret(settings.postgres_admin_secret_arn, settings.aws_region)
        update["postgres_admin_url"] = postgres_url(secret, settings)
    return settings.model_copy(update=update)


def read_secret(arn: str, region: str) -> dict[str, Any]:
    """A JSON secret from Secrets Manager."""
    import boto3

    client = boto3.client("secretsmanager", region_name=region)
    value = client.get_secret_value(SecretId=arn)["SecretString"]
    secret: dict[str, Any] = json.loads(value)
    return secret


def postgres_url(secret: dict[str, Any], settings: Settings) -> str:
    """A ``postgresql://`` URL from a Secrets Manager secret and the settings' host, port,
    database and TLS mode (the secret's own ``host``/``port``/``dbname`` win)."""
    host = str(secret.get("host") or settings.postgres_host or "")
    if not host:
        raise ValueError("no PostgreSQL host: set MNEMORA_POSTGRES_HOST or put one in the secret")
    port = int(secret.get("port") or settings.postgres_port)
    database = str(secret.get("dbname") or settings.postgres_database)
    user = quote(str(secret["username"]), safe="")
    password = quote(str(secret.get("password") or ""), safe="")
    return (
        f"postgresql://{user}:{password}@/{quote(database, safe='')}"
        f"?host={quote(host, safe='/')}&port={port}&sslmode={settings.postgres_sslmode}"
    )
