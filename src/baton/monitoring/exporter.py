"""The scrape endpoint of ``baton up`` and ``baton worker``: one ``/metrics``
with Baton's metrics (:mod:`baton.monitoring.metrics`), the Temporal SDK's,
the approvals pending on the worker's task queue, and prometheus_client's
default registry (the process's CPU, memory and GC) — docs/metrics.md.

The SDK's metrics come from its Rust core through a ``MetricBuffer`` on the
runtime of the worker's client (:attr:`MetricsExporter.telemetry`), drained
here every second and at each scrape. Worker-side only: nothing here may be
called from workflow code.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import prometheus_client
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from temporalio.client import Client
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    MetricBuffer,
    MetricBufferDurationFormat,
    TelemetryConfig,
)

from ..config import DEFAULT_METRICS_LISTEN, BatonFile, Settings
from ..engine.names import APPROVAL_WORKFLOW_NAME
from ..web.listen import Listen, choose_listen, serve_in_process
from . import metrics

logger = logging.getLogger(__name__)

# The SDK's core drops updates past this many between two drains (and logs it).
BUFFER_SIZE = 200_000
DRAIN_SECONDS = 1.0
# How long a scrape waits for the server to count pending approvals.
COUNT_TIMEOUT_SECONDS = 2.0
# The SDK's durations (task latencies, a workflow's end-to-end time), seconds.
SDK_DURATION_BUCKETS = (
    0.001,
    0.0025,
    # Baton's own, 5 ms to 5 min (the same edges, so panels line up) ...
    *(edge for edge in metrics.DURATION_BUCKETS if edge <= 300.0),
    # ... then up to a day, where the SDK's longest waits end
    1800.0,
    3600.0,
    86400.0,
)
SDK_OTHER_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000)
PATH = "/metrics"


# ---- where to listen ---------------------------------------------------------


def metrics_listen(settings: Settings, baton_file: BatonFile) -> Listen | None:
    """Where ``baton up``/``baton worker`` serve metrics: ``BATON_METRICS_LISTEN``,
    else ``metrics.listen`` in baton.yaml, else 127.0.0.1:9233; None for ``off``."""
    return choose_listen(
        [
            (settings.metrics_listen, "BATON_METRICS_LISTEN"),
            (baton_file.metrics.listen, f"metrics.listen in {baton_file.path}"),
        ],
        DEFAULT_METRICS_LISTEN,
        "the metrics address",
        PATH,
    )


def bind(listen: Listen) -> socket.socket:
    """A listening socket on ``listen``, or a ConfigError that says why not
    and how to choose another address."""
    return listen.bind("metrics", "BATON_METRICS_LISTEN", "metrics.listen")


# ---- the Temporal SDK's metrics ---------------------------------------------

Labels = tuple[tuple[str, str], ...]


@dataclass
class _Histogram:
    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip(self.bounds, self.counts, strict=False):
            running += count
            out.append((_float_text(bound), running))
        out.append(("+Inf", running + self.counts[-1]))
        return out


def _float_text(value: float) -> str:
    return repr(float(value))


@dataclass
class _Family:
    name: str
    documentation: str
    kind: int
    unit: str | None
    series: dict[Labels, Any] = field(default_factory=dict)


class SdkMetrics:
    """The Temporal SDK's metrics of one runtime, as Prometheus families:
    counters summed, gauges as last set, histograms in fixed buckets.
    Durations are seconds, and their names end in ``_seconds`` (as the SDK's
    own Prometheus exporter names them with ``unit_suffix``)."""

    def __init__(self, buffer_size: int = BUFFER_SIZE) -> None:
        self.buffer = MetricBuffer(buffer_size, MetricBufferDurationFormat.SECONDS)
        self._families: dict[str, _Family] = {}
        self._lock = threading.Lock()

    @property
    def telemetry(self) -> TelemetryConfig:
        """The telemetry of a runtime whose metrics this reads."""
        return TelemetryConfig(metrics=self.buffer)

    def drain(self) -> None:
        """Fold in what the SDK recorded since the last drain."""
        with self._lock:
            try:
                updates = self.buffer.retrieve_updates()
            except RuntimeError:
                return  # no runtime uses the buffer yet
            for update in updates:
                metric = update.metric
                family = self._families.get(metric.name)
                if family is None:
                    family = self._families[metric.name] = _Family(
                        _sdk_name(metric.name, metric.unit),
                        metric.description or metric.name,
                        metric.kind,
                        metric.unit,
                    )
                labels = _labels(update.attributes)
                if family.kind == BUFFERED_METRIC_KIND_COUNTER:
                    family.series[labels] = family.series.get(labels, 0) + update.value
                elif family.kind == BUFFERED_METRIC_KIND_GAUGE:
                    family.series[labels] = update.value
                else:
                    histogram = family.series.get(labels)
                    if histogram is None:
                        bounds = SDK_DURATION_BUCKETS if family.unit == "s" else SDK_OTHER_BUCKETS
                        histogram = family.series[labels] = _Histogram(bounds)
                    histogram.observe(float(update.value))

    def collect(self) -> Iterator[Metric]:
        self.drain()
        with self._lock:
            for family in self._families.values():
                names = sorted({name for labels in family.series for name, _ in labels})

                def values(labels: Labels, names: list[str] = names) -> list[str]:
                    given = dict(labels)
                    return [given.get(name, "") for name in names]

                if family.kind == BUFFERED_METRIC_KIND_COUNTER:
                    counter = CounterMetricFamily(family.name, family.documentation, labels=names)
                    for labels, total in family.series.items():
                        counter.add_metric(values(labels), total)
                    yield counter
                elif family.kind == BUFFERED_METRIC_KIND_GAUGE:
                    gauge = GaugeMetricFamily(family.name, family.documentation, labels=names)
                    for labels, value in family.series.items():
                        gauge.add_metric(values(labels), value)
                    yield gauge
                else:
                    histogram = HistogramMetricFamily(
                        family.name, family.documentation, labels=names
                    )
                    for labels, observed in family.series.items():
                        histogram.add_metric(values(labels), observed.buckets(), observed.total)
                    yield histogram


def _sdk_name(name: str, unit: str | None) -> str:
    if unit == "s" and not name.endswith("_seconds"):
        return f"{name}_seconds"
    return name


def _labels(attributes: Mapping[str, Any]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in attributes.items()))


def _without_created(families: Iterable[Metric]) -> Iterator[Metric]:
    """Families without their ``_created`` samples: the Prometheus text format
    would show each as one more gauge series, doubling every counter and
    histogram for a timestamp nobody graphs. (Each collect makes new
    families, so dropping samples here changes nothing else.)"""
    for family in families:
        family.samples = [s for s in family.samples if not s.name.endswith("_created")]
        yield family


# ---- approvals pending --------------------------------------------------------


class PendingApprovals:
    """``baton_approvals_pending``: approvals waiting for a decision on one
    task queue, as the server counts them at each scrape (every worker of the
    queue reports the same number). Absent when the server does not answer
    (an error, or no answer within COUNT_TIMEOUT_SECONDS)."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue
        self.count: int | None = None
        self._complained = False
        quoted = task_queue.replace("\\", "\\\\").replace("'", "\\'")
        self.query = (
            f"WorkflowType = '{APPROVAL_WORKFLOW_NAME}' AND ExecutionStatus = 'Running' "
            f"AND BatonStatus = 'PENDING' AND TaskQueue = '{quoted}'"
        )

    async def refresh(self) -> None:
        try:
            counted = await asyncio.wait_for(
                self.client.count_workflows(self.query), COUNT_TIMEOUT_SECONDS
            )
            self.count = counted.count
        except Exception as exc:  # noqa: BLE001 - a scrape answers without it, never fails
            self.count = None
            # said once at warning level (a server without visibility, such as
            # the time-skipping test server, never answers)
            level = logging.DEBUG if self._complained else logging.WARNING
            self._complained = True
            logger.log(level, "metrics: cannot count pending approvals: %r", exc)

    def collect(self) -> Iterator[Metric]:
        if self.count is None:
            return
        gauge = GaugeMetricFamily(
            "baton_approvals_pending",
            "Approvals waiting for a decision on this task queue (counted by the server).",
            labels=["task_queue"],
        )
        gauge.add_metric([self.task_queue], self.count)
        yield gauge


# ---- the endpoint --------------------------------------------------------------


class MetricsExporter:
    """One ``/metrics`` on a bound socket (:func:`bind`). Give
    :attr:`telemetry` to the runtime of the client the worker polls with, so
    the SDK's metrics of that worker are among them."""

    def __init__(self, listen: Listen, sock: socket.socket) -> None:
        self.listen = listen
        self._sock = sock
        self.sdk = SdkMetrics()
        self.pending: PendingApprovals | None = None

    @classmethod
    def open(cls, listen: Listen) -> MetricsExporter:
        """An exporter listening on ``listen`` (ConfigError when it cannot)."""
        return cls(listen, bind(listen))

    @property
    def url(self) -> str:
        return self.listen.url

    @property
    def telemetry(self) -> TelemetryConfig:
        return self.sdk.telemetry

    def collect(self) -> Iterable[Metric]:
        yield from _without_created(metrics.REGISTRY.collect())
        if self.pending is not None:
            yield from self.pending.collect()
        yield from self.sdk.collect()
        # prometheus_client's default registry: the process's CPU, memory and
        # garbage collection, and whatever code in this worker registered there
        yield from _without_created(prometheus_client.REGISTRY.collect())

    async def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The metrics in the format the scraper accepts (Prometheus text,
        or OpenMetrics), and its content type."""
        if self.pending is not None:
            await self.pending.refresh()
        encode, content_type = choose_encoder(accept or "")
        return encode(self), content_type

    def app(self) -> Starlette:
        async def scrape(request: Request) -> Response:
            body, content_type = await self.exposition(request.headers.get("accept"))
            return Response(body, headers={"Content-Type": content_type})

        async def index(_: Request) -> PlainTextResponse:
            return PlainTextResponse(f"Baton metrics: {PATH}\n")

        return Starlette(routes=[Route(PATH, scrape), Route("/", index)])

    async def serve(self, client: Client | None = None, task_queue: str | None = None) -> None:
        """Serve until cancelled; with ``client`` and ``task_queue``, count the
        approvals pending on that queue at each scrape."""
        if client is not None and task_queue is not None:
            self.pending = PendingApprovals(client, task_queue)
        drainer = asyncio.create_task(self._drain_every(DRAIN_SECONDS))
        try:
            await serve_in_process(self.app(), sock=self._sock)
        finally:
            drainer.cancel()
            self.close()

    async def _drain_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.sdk.drain()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()
