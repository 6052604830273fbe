"""The API Gateway Lambda authorizer (``REQUEST`` type): the bearer key decides the tenant.

It hashes the presented key, finds its tenant, tier, limits, key id and scope (the accounts
store, DynamoDB in production) and allows the call with those in the authorizer context; an
unknown, revoked or expired key, or no key, is denied. For HTTP API (payload format 2.0,
simple responses) it answers ``{"isAuthorized": ..., "context": ...}``; for REST API an IAM
policy. API Gateway caches an answer per key for the authorizer's TTL, which is therefore
the longest a revoked key keeps working (``AuthorizerCacheSeconds`` in the template).
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from mnemora_server.auth import Authenticator, bearer_token, claims_of
from mnemora_server.aws_lambda.environment import lambda_settings
from mnemora_server.errors import UnauthorizedError
from mnemora_server.stores.base import StoreOptions
from mnemora_server.stores.registry import open_store


@cache
def _authenticator() -> Authenticator:
    settings = lambda_settings()
    accounts = open_store("accounts", settings.store_url("accounts"), StoreOptions())
    return Authenticator(accounts, settings.tiers)


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    """Decide one request (API Gateway ``REQUEST`` authorizer event, v1 or v2)."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    try:
        tenant = _authenticator().authenticate(
            bearer_token(headers.get("authorization")), time.time()
        )
    except UnauthorizedError:
        return _decision(event, None)
    return _decision(event, claims_of(tenant))


def _decision(event: dict[str, Any], claims: dict[str, str] | None) -> dict[str, Any]:
    if event.get("version") == "2.0":  # HTTP API, simple responses
        return {"isAuthorized": claims is not None, "context": claims or {}}
    answer: dict[str, Any] = {
        "principalId": claims["key_id"] if claims else "anonymous",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if claims else "Deny",
                    "Resource": _api_resource(event.get("methodArn", "*")),
                }
            ],
        },
    }
    if claims:
        answer["context"] = claims
    return answer


def _api_resource(method_arn: str) -> str:
    """Every method of the API (so that a cached answer serves the key's other calls)."""
    parts = method_arn.split("/")
    return "/".join(parts[:2]) + "/*" if len(parts) >= 2 else method_arn
