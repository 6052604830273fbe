"""The OpenAPI 3.1 document, generated from the route table and the pydantic models."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from mnemora_server.http import Operation, operation_of
from mnemora_server.schemas.common import ErrorEnvelope, Meta

_METHODS = ("get", "post", "put", "patch", "delete")
_ERRORS = {
    "400": "Invalid JSON or a field breaks a rule (VALIDATION_ERROR, INVALID_JSON)",
    "401": "Missing, unknown, revoked or expired key (UNAUTHORIZED)",
    "403": "The key may not do this, e.g. a read-only key writing (FORBIDDEN)",
    "404": "Not found for this tenant (NOT_FOUND)",
    "409": "Version or Idempotency-Key conflict",
    "413": "Body or document too large (PAYLOAD_TOO_LARGE)",
    "429": "Rate limited; see Retry-After (RATE_LIMITED)",
    "503": "A backend store is unavailable; nothing was written (UNAVAILABLE)",
    "507": "A quota of the tenant's tier is reached (QUOTA_EXCEEDED)",
}
_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "tenant": [{"apiKey": []}],
    "admin": [{"adminToken": []}],
    "public": [],
}


@dataclass(frozen=True)
class _Route:
    path: str
    method: str
    op: Operation
    auth: str  # "tenant", "admin" or "public": who may call it


def _operations(routes: list[tuple[str, object]]) -> list[_Route]:
    found = []
    for path, resource in routes:
        auth = str(getattr(resource, "auth", "tenant"))
        for method in _METHODS:
            op = operation_of(getattr(resource, "on_" + method, None))
            if op is not None:
                found.append(_Route(path, method, op, auth))
    return found


def _errors(route: _Route) -> list[str]:
    """The error statuses one operation can answer."""
    op, has_params = route.op, "{" in route.path
    takes_input = op.request is not None or op.raw_request is not None or op.query is not None
    found = ["503"]
    if takes_input or has_params or op.writes:
        found.append("400")
    if op.request is not None or op.raw_request is not None:
        found.append("413")
    if route.auth != "public":
        found.append("401")
    if route.auth == "admin" or has_params:
        found.append("404")
    if route.auth == "tenant":
        found.append("429")
        if op.writes:
            found += ["403", "409", "507"]
    return sorted(found)


def build_openapi(routes: list[tuple[str, object]], version: str) -> dict[str, Any]:
    """Describe every route that has :class:`~mnemora_server.http.Operation` metadata."""
    operations = _operations(routes)
    models: set[type[BaseModel]] = {ErrorEnvelope, Meta}
    for route in operations:
        models.update(m for m in (route.op.request, route.op.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    keyed, definitions = models_json_schema(
        [(m, "validation" if _is_request(m, operations) else "serialization") for m in ordered],
        ref_template="#/components/schemas/{model}",
    )
    refs: dict[type[BaseModel], dict[str, Any]] = {
        model: schema for (model, _), schema in keyed.items() if issubclass(model, BaseModel)
    }
    paths: dict[str, dict[str, Any]] = {}
    for route in operations:
        paths.setdefault(route.path, {})[route.method] = _operation_doc(route, refs)
    return {
        "openapi": "3.1.0",
        "servers": [{"url": "/", "description": "this server"}],
        "info": {
            "title": "Mnemora",
            "version": version,
            "description": "Multi-tenant memory for AI agents. The tenant is decided by the "
            "API key alone.",
        },
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "mnm_... key"},
                "adminToken": {"type": "http", "scheme": "bearer"},
            },
        },
        "paths": paths,
    }


def _is_request(model: type[BaseModel], operations: list[_Route]) -> bool:
    return any(route.op.request is model for route in operations)


def _operation_doc(route: _Route, refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    path, method, op = route.path, route.method, route.op
    doc: dict[str, Any] = {
        "summary": op.summary,
        "operationId": _operation_id(path, method),
        "tags": list(op.tags),
        "security": _SECURITY[route.auth],
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_:@-][A-Za-z0-9_:@.-]{0,255}$"},
            }
            for name in re.findall(r"{(\w+)}", path)
        ],
    }
    if op.query is not None:
        for name, field in op.query.model_fields.items():
            schema = op.query.model_json_schema()["properties"].get(name, {})
            doc["parameters"].append(
                {"name": name, "in": "query", "required": field.is_required(), "schema": schema}
            )
    if op.request is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[op.request]}},
        }
    elif op.raw_request is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {op.raw_request: {"schema": {"type": "string"}}},
        }
    responses: dict[str, Any] = {}
    if op.raw_response is not None:
        responses[str(op.status)] = {
            "description": "Success",
            "content": {op.raw_response: {"schema": {"type": "string"}}},
        }
    elif op.response is None:
        responses[str(op.status)] = {"description": "Done"}
    else:
        responses[str(op.status)] = {
            "description": "Success",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["data", "meta"],
                        "properties": {
                            "data": refs[op.response],
                            "meta": {"$ref": "#/components/schemas/Meta"},
                        },
                    }
                }
            },
        }
    error_schema = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    documented = [(status, _ERRORS[status]) for status in _errors(route)]
    for status, description in [*documented, *((str(c), d) for c, d in op.errors)]:
        responses.setdefault(status, {"description": description, "content": error_schema})
    doc["responses"] = responses
    return doc


def _operation_id(path: str, method: str) -> str:
    words = [w.strip("{}") for w in path.split("/") if w and w != "v1"]
    return method + "_" + "_".join(words).replace(".", "_")
