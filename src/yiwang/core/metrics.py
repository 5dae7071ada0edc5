"""Prometheus metrics: requests and latency per route, audit, events and database pool figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

registry = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "yiwang_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry
)
LATENCY = Histogram(
    "yiwang_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=registry,
)
GROUP_COMMIT_BATCH = Histogram(
    "yiwang_group_commit_batch_size",
    "records (requests' audit and usage records) committed per group-commit transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    registry=registry,
)
AUDIT_SEALED = Counter("yiwang_audit_sealed_total", "audit records linked into the chain", registry=registry)
EVENTS_PUBLISHED = Counter(
    "yiwang_events_published_total",
    "events published to NATS JetStream and acknowledged by it (duplicates it dropped included)",
    registry=registry,
)
EVENTS_PUBLISH_DUPLICATES = Counter(
    "yiwang_events_publish_duplicates_total",
    "publishes JetStream acknowledged as duplicates of a Nats-Msg-Id it had stored (not stored again)",
    registry=registry,
)
EVENTS_PUBLISH_FAILED = Counter(
    "yiwang_events_publish_failures_total",
    "event publishes that failed or got no ack in time (each is retried with backoff)",
    registry=registry,
)


class _Gauges(Collector):
    """Figures read at scrape time from callables registered by the app."""

    def __init__(self) -> None:
        self.sources: dict[str, tuple[str, Callable[[], float]]] = {}

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, (doc, fn) in self.sources.items():
            try:
                yield GaugeMetricFamily(name, doc, value=fn())
            except Exception:  # noqa: S112 - a failing source must not break the scrape
                continue


_gauges = _Gauges()
registry.register(_gauges)


def gauge(name: str, doc: str, fn: Callable[[], float]) -> None:
    _gauges.sources[name] = (doc, fn)


def render() -> bytes:
    return generate_latest(registry)
