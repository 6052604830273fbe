"""The API's Lambda handler: the same Falcon app as ``mnemora-server serve``, through
``apig-wsgi`` (REST API v1 and HTTP API v2 events), with the tenant taken from the
authorizer's context only."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import falcon
from apig_wsgi import make_lambda_handler

from mnemora_server.app import create_app
from mnemora_server.aws_lambda.environment import lambda_settings


def authorizer_claims(req: falcon.Request) -> Mapping[str, Any] | None:
    """What the authorizer attached to the request: ``requestContext.authorizer`` (REST
    API) or ``requestContext.authorizer.lambda`` (HTTP API); ``None`` when absent.

    Set by API Gateway from the authorizer's answer; a client cannot write it (a header
    reaches the app as ``HTTP_*`` only).
    """
    context = req.env.get("apig_wsgi.request_context") or {}
    authorizer = context.get("authorizer") or {}
    if isinstance(authorizer.get("lambda"), Mapping):
        authorizer = authorizer["lambda"]
    return authorizer or None


@cache
def _handler() -> Any:
    app = create_app(lambda_settings(), tenant_claims=authorizer_claims)
    return make_lambda_handler(app, binary_support=True)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one API Gateway event."""
    answer: dict[str, Any] = _handler()(event, context)
    return answer
