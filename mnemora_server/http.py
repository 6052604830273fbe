"""Request parsing, answers in the envelope, and the operation metadata of responders."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import falcon
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from mnemora_server.errors import InvalidJSONError, PayloadTooLargeError, ValidationError

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

_JSON_CONSTANTS = {"NaN", "Infinity", "-Infinity"}


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says of one responder.

    Attributes:
        summary: One line on what the operation does.
        request: Model of the JSON body, if any.
        query: Model of the query parameters, if any.
        response: Model of ``data`` in a successful answer (``None``: no body).
        status: Status of a successful answer.
        writes: Whether the operation changes data (refused for read-only keys).
        tags: OpenAPI tags.
        errors: Further documented error answers (status -> description).
        raw_request: The media type of a body that is not a JSON model (e.g. NDJSON).
        raw_response: The media type of a successful answer that is not the JSON envelope.
    """

    summary: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    writes: bool = False
    tags: tuple[str, ...] = ()
    errors: tuple[tuple[int, str], ...] = ()
    raw_request: str | None = None
    raw_response: str | None = None


def operation(**kwargs: Any) -> Callable[[F], F]:
    """Attach :class:`Operation` metadata to a responder (``on_get``, ``on_post``, ...)."""
    op = Operation(**kwargs)

    def decorate(responder: F) -> F:
        responder.__mnemora_operation__ = op  # type: ignore[attr-defined]
        return responder

    return decorate


def operation_of(responder: object) -> Operation | None:
    """The :class:`Operation` attached to a responder, if any."""
    op = getattr(responder, "__mnemora_operation__", None)
    return op if isinstance(op, Operation) else None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def body_bytes(req: falcon.Request, max_bytes: int) -> bytes:
    """The raw request body, read once per request and kept on ``req.context``.

    Raises:
        PayloadTooLargeError: The body is larger than ``max_bytes``.
    """
    cached = req.context.get("raw_body")
    if isinstance(cached, bytes):
        return cached
    length = req.content_length
    if length is not None and length > max_bytes:
        raise PayloadTooLargeError(f"request body is larger than {max_bytes} bytes")
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(f"request body is larger than {max_bytes} bytes")
    req.context.raw_body = raw
    return raw


def read_json(req: falcon.Request, max_bytes: int) -> Any:
    """Read and parse the JSON body, whatever its declared content type.

    Raises:
        PayloadTooLargeError: The body is larger than ``max_bytes``.
        InvalidJSONError: The body is empty or not valid JSON.
    """
    raw = body_bytes(req, max_bytes)
    if not raw.strip():
        raise InvalidJSONError("request body is empty; send a JSON object")
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise InvalidJSONError(
            "request body nests JSON too deeply to read; flatten it (a few dozen levels at most)"
        ) from exc
    except json.JSONDecodeError as exc:
        raise InvalidJSONError(
            f"request body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise InvalidJSONError(
                f"a number in the request body has more than {sys.get_int_max_str_digits()} "
                "digits; send it as a string"
            ) from exc
        raise InvalidJSONError(f"request body is not valid JSON ({exc})") from exc


def validation_details(exc: PydanticValidationError) -> list[dict[str, Any]]:
    """Field errors without echoing the (possibly huge or sensitive) input."""
    return [
        {"loc": [str(part) for part in err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def parse_model(model: type[M], value: Any, *, where: str = "body") -> M:
    """Validate ``value`` as ``model``.

    Raises:
        ValidationError: With field-level details.
    """
    try:
        return model.model_validate(value)
    except PydanticValidationError as exc:
        details = validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid"}
        field = ".".join(first["loc"]) or where
        raise ValidationError(f"{where}: {field}: {first['msg']}", details=details) from exc


def read_body(req: falcon.Request, model: type[M], max_bytes: int) -> M:
    """Read, parse and validate the JSON body as ``model``."""
    body = read_json(req, max_bytes)
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object")
    return parse_model(model, body)


def read_query(req: falcon.Request, model: type[M]) -> M:
    """Validate the query parameters as ``model`` (repeated parameters keep the last)."""
    params = {
        key: (value[-1] if isinstance(value, list) else value) for key, value in req.params.items()
    }
    return parse_model(model, params, where="query")


def send(resp: falcon.Response, data: Any, status: int = 200) -> None:
    """Answer ``{"data": data}``; the envelope middleware adds ``meta``."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    resp.status = falcon.code_to_http_status(status)
    resp.media = {"data": data}


def send_ndjson(resp: falcon.Response, lines: Iterator[dict[str, Any]]) -> None:
    """Stream ``lines`` as NDJSON, one JSON object per line. The first line is produced
    before the status line is sent, so that a failing store still gets its 503."""
    first = next(lines)

    def body() -> Iterator[bytes]:
        yield (json.dumps(first) + "\n").encode()
        for line in lines:
            yield (json.dumps(line, separators=(",", ":")) + "\n").encode()

    resp.content_type = "application/x-ndjson"
    resp.stream = body()
