"""Prometheus metrics for the operators' own monitoring (``GET /metrics``).

Under gunicorn every worker writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode; :mod:`mnemora_server.serving` sets it up), and
``/metrics`` adds them up, so whichever worker answers reports the whole server. Labels are
route templates, methods, statuses, limit reasons, backends and embedders: nothing that
names a tenant or carries a key, unless ``MNEMORA_METRICS_TENANT_LABELS`` turns a per-tenant
request counter on.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import falcon
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from mnemora_server.embeddings.base import Embedder, Vectors

REQUESTS = Counter(
    "mnemora_requests",
    "Requests answered, by route template, method and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "mnemora_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter(
    "mnemora_rate_limited", "Calls refused by a tenant's limits, by limit.", ["reason"]
)
STORE_ERRORS = Counter(
    "mnemora_store_errors", "Requests a store failed (answered 503), by backend.", ["backend"]
)
EMBEDDING = Histogram(
    "mnemora_embedding_duration_seconds",
    "Time to embed one batch of texts, by embedder.",
    ["embedder"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TENANT_REQUESTS = Counter(
    "mnemora_tenant_requests",
    "Requests by tenant (only with per-tenant labels on).",
    ["tenant"],
)

_STORE_MODULE = re.compile(r"[/\\]mnemora_server[/\\]stores[/\\](\w+)[/\\]")


def backend_of(exc: BaseException) -> str:
    """The store backend (``sqlite``, ``postgres``, ``dynamodb``, ``objects``) in which an
    error was raised, from the innermost store frame of its traceback; ``unknown`` if none."""
    found = "unknown"
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        match = _STORE_MODULE.search(tb.tb_frame.f_code.co_filename)
        if match and match.group(1) != "base":
            found = match.group(1)
        tb = tb.tb_next
    return found


class MetricsMiddleware:
    """Counts every answered request and its latency by route template (never the path,
    which holds ids), and the calls refused by a limit.

    Args:
        tenant_labels: Also count requests per tenant (labels then name tenants).
    """

    def __init__(self, *, tenant_labels: bool = False) -> None:
        self._tenant_labels = tenant_labels

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        """Record the finished request."""
        route = req.uri_template or "(no route)"
        status = str(resp.status).split(" ", 1)[0]
        started = req.context.get("started") or time.perf_counter()
        REQUESTS.labels(req.method, route, status).inc()
        LATENCY.labels(req.method, route).observe(time.perf_counter() - started)
        if status == "429" and isinstance(resp.media, dict):
            details = resp.media.get("error", {}).get("details") or {}
            RATE_LIMITED.labels(str(details.get("limit", "unknown"))).inc()
        tenant = req.context.get("tenant")
        if self._tenant_labels and tenant is not None:
            TENANT_REQUESTS.labels(tenant.tenant_id).inc()


class TimedEmbedder:
    """An embedder whose batches are timed into :data:`EMBEDDING`."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed, timed."""
        with EMBEDDING.labels(self.name).time():
            return self.inner.embed(texts)

    def load(self) -> None:
        """Load the inner embedder's model."""
        self.inner.load()

    def describe(self) -> str:
        """The inner embedder's description."""
        return self.inner.describe()


class MetricsResource:
    """``GET /metrics``: the Prometheus text format, for the operator (admin token)."""

    auth = "admin"

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Every metric of every worker."""
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = generate_latest(_registry())


def _registry() -> Any:
    # prometheus-client's own variable, set by serving.prepare_metrics for gunicorn.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # noqa: TID251
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY


def request_summary() -> dict[str, Any]:
    """What the operator console shows of the server's traffic, from the same samples as
    ``/metrics`` (every worker's under gunicorn): requests answered, by status class, and
    latency percentiles estimated from the histogram buckets (as Prometheus'
    ``histogram_quantile`` does: linear within the bucket)."""
    by_class: dict[str, float] = {}
    buckets: dict[float, float] = {}
    for metric in _registry().collect():
        for sample in metric.samples:
            if sample.name == "mnemora_requests_total":
                status_class = sample.labels["status"][:1] + "xx"
                by_class[status_class] = by_class.get(status_class, 0.0) + sample.value
            elif sample.name == "mnemora_request_duration_seconds_bucket":
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return {
        "requests": int(sum(by_class.values())),
        "by_status": {name: int(count) for name, count in sorted(by_class.items())},
        "latency_ms": {
            name: _quantile(q, sorted(buckets.items()))
            for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
        },
    }


def _quantile(q: float, cumulative: list[tuple[float, float]]) -> float | None:
    """The ``q`` quantile in milliseconds from cumulative ``(upper bound, count)`` buckets;
    ``None`` before any request. Past the last finite bound, that bound is the answer."""
    if not cumulative or cumulative[-1][1] == 0:
        return None
    rank = q * cumulative[-1][1]
    lower, below = 0.0, 0.0
    for bound, count in cumulative:
        if count >= rank:
            if bound == float("inf"):
                return round(lower * 1000, 2)
            share = (rank - below) / (count - below) if count > below else 1.0
            return round((lower + (bound - lower) * share) * 1000, 2)
        lower, below = bound, count
    return round(lower * 1000, 2)
