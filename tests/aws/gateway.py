"""API Gateway in front of the Lambda handlers, in process: an ``httpx`` transport that turns
each request into a REST API (payload 1.0) or HTTP API (payload 2.0) event, asks the
authorizer first (caching its answer per ``Authorization`` header for the authorizer's TTL,
as API Gateway does), refuses what it denies, attaches its context, and turns the API
handler's answer back into a response. So an SDK client can be pointed at "the Lambda path"."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Gateway(httpx.BaseTransport):
    """One API stage with a Lambda ``REQUEST`` authorizer whose identity source is the
    ``Authorization`` header.

    Attributes:
        version: ``"1.0"`` (REST API) or ``"2.0"`` (HTTP API).
        authorizer: The authorizer's handler.
        api: The API's handler.
        ttl: Seconds an authorizer answer is cached per identity (0: never).
        clock: The time source for that cache.
    """

    version: str
    authorizer: Handler
    api: Handler
    ttl: float
    clock: Callable[[], float]
    authorizer_calls: int = 0
    _cache: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Authorize, then invoke the API."""
        headers = {name.lower(): value for name, value in request.headers.items()}
        identity = headers.get("authorization")
        if not identity:  # API Gateway answers without calling the authorizer
            return httpx.Response(401, json={"message": "Unauthorized"}, request=request)
        allowed, context = self._authorize(identity, request, headers)
        if not allowed:
            return httpx.Response(403, json={"message": "Forbidden"}, request=request)
        event = self._event(request, headers, context)
        answer = self.api(event, None)
        body = answer.get("body") or ""
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
        out_headers = list((answer.get("headers") or {}).items())
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            out_headers += [(name, value) for value in values]
        return httpx.Response(
            answer["statusCode"], headers=out_headers, content=data, request=request
        )

    def _authorize(
        self, identity: str, request: httpx.Request, headers: dict[str, str]
    ) -> tuple[bool, dict[str, Any]]:
        now = self.clock()
        cached = self._cache.get(identity)
        if cached is not None and cached[0] > now:
            decision = cached[1]
        else:
            self.authorizer_calls += 1
            decision = self.authorizer(self._authorizer_event(request, headers), None)
            if self.ttl > 0:
                self._cache[identity] = (now + self.ttl, decision)
        if self.version == "2.0":
            return bool(decision["isAuthorized"]), dict(decision.get("context") or {})
        effect = decision["policyDocument"]["Statement"][0]["Effect"]
        return effect == "Allow", {
            **decision.get("context", {}),
            "principalId": decision["principalId"],
        }

    def _authorizer_event(self, request: httpx.Request, headers: dict[str, str]) -> dict[str, Any]:
        method, path = request.method, request.url.path
        if self.version == "2.0":
            return {
                "version": "2.0",
                "type": "REQUEST",
                "routeArn": f"arn:aws:execute-api:us-east-1:1:api/$default/{method}{path}",
                "identitySource": [headers["authorization"]],
                "routeKey": "$default",
                "rawPath": path,
                "rawQueryString": request.url.query.decode(),
                "headers": headers,
                "requestContext": self._http_context(request),
            }
        return {
            "type": "REQUEST",
            "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:api/prod/{method}{path}",
            "resource": "/{proxy+}",
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "queryStringParameters": dict(parse_qsl(request.url.query.decode())) or None,
            "requestContext": {"stage": "prod", "httpMethod": method, "path": path},
        }

    def _http_context(self, request: httpx.Request) -> dict[str, Any]:
        return {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": request.url.host,
            "http": {
                "method": request.method,
                "path": request.url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
        }

    def _event(
        self, request: httpx.Request, headers: dict[str, str], context: dict[str, Any]
    ) -> dict[str, Any]:
        body = request.read()
        encoded = {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
        query = request.url.query.decode()
        if self.version == "2.0":
            return {
                "version": "2.0",
                "routeKey": "$default",
                "rawPath": request.url.path,
                "rawQueryString": query,
                "headers": headers,
                "requestContext": {
                    **self._http_context(request),
                    "authorizer": {"lambda": context},
                },
                **encoded,
            }
        pairs = parse_qsl(query, keep_blank_values=True)
        multi: dict[str, list[str]] = {}
        for name, value in pairs:
            multi.setdefault(name, []).append(value)
        return {
            "resource": "/{proxy+}",
            "path": request.url.path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
            "multiValueQueryStringParameters": multi or None,
            "pathParameters": {"proxy": request.url.path.lstrip("/")},
            "requestContext": {
                "resourcePath": "/{proxy+}",
                "httpMethod": request.method,
                "path": "/prod" + request.url.path,
                "stage": "prod",
                "identity": {"sourceIp": "203.0.113.9"},
                "authorizer": {**context, "integrationLatency": 0},
            },
            **encoded,
        }


def forged_event(version: str, path: str, claims: dict[str, Any] | None) -> dict[str, Any]:
    """An event as it would arrive with ``claims`` as its authorizer context (``None``: no
    authorizer in front at all)."""
    body = json.dumps({"agent_id": "bot", "data": {"x": 1}})
    if version == "2.0":
        context: dict[str, Any] = {
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
            }
        }
        if claims is not None:
            context["authorizer"] = {"lambda": claims}
        return {
            "version": "2.0",
            "rawPath": path,
            "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": context,
            "body": body,
            "isBase64Encoded": False,
        }
    context = {"httpMethod": "POST", "path": path, "identity": {"sourceIp": "203.0.113.9"}}
    if claims is not None:
        context["authorizer"] = claims
    return {
        "path": path,
        "httpMethod": "POST",
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }
