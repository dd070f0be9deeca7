"""Prometheus metrics: HTTP and live-socket middleware, pipeline observations, and state read at scrape time.

Counters that only the transport sees (requests, latency, live finalize→final) are recorded as they
happen; everything the app already holds (pool occupancy, live sessions, scheduler stats, job counts,
webhook outcomes, load state) is read by a collector when `/metrics` is scraped, so other modules do
not need to know about Prometheus. Each app has its own CollectorRegistry (tests run several apps).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.operator_config import MetricsConfig
from server.readiness import readiness

RTF_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)
# Model label for requests that named no known model (keeps label cardinality bounded).
NO_MODEL = ""


class AppStateCollector(Collector):
    """Families read from the app's live objects on every scrape (called on a worker thread)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def collect(self) -> Iterator[Any]:
        yield from self._pools()
        yield from self._live()
        yield from self._jobs()
        yield from self._load_state()

    def _pools(self) -> Iterator[Any]:
        depth = GaugeMetricFamily("pulse_queue_depth", "Requests admitted to a model's work pool", labels=["model"])
        capacity = GaugeMetricFamily(
            "pulse_queue_capacity", "Requests a model's work pool admits (workers + waiting line)", labels=["model"]
        )
        registry = getattr(self.state, "registry", None)
        for name in registry.names() if registry is not None else []:
            pool = registry.get(name).pool
            depth.add_metric([name], pool.admitted)
            capacity.add_metric([name], pool.capacity)
        yield depth
        yield capacity

    def _live(self) -> Iterator[Any]:
        live = getattr(self.state, "live", None)
        stats = live.scheduler.stats if live is not None else None
        yield GaugeMetricFamily(
            "pulse_live_sessions_open", "Open live transcription sessions", value=live.active_sessions if live else 0
        )
        yield GaugeMetricFamily(
            "pulse_live_decodes_queued", "Live decodes waiting for a worker", value=live.scheduler.queued if live else 0
        )
        yield CounterMetricFamily(
            "pulse_live_partials_dropped", "Partial decodes dropped as stale or superseded",
            value=stats.partials_dropped if stats else 0,
        )
        decodes = CounterMetricFamily("pulse_live_decodes", "Live decodes run", labels=["kind"])
        decodes.add_metric(["partial"], stats.partials_run if stats else 0)
        decodes.add_metric(["final"], stats.finals_run if stats else 0)
        yield decodes
        registry = getattr(self.state, "registry", None)
        gate = registry.pause_gate if registry is not None else None
        yield CounterMetricFamily(
            "pulse_prerecorded_pauses", "Times live finals stopped the pre-recorded decode processes",
            value=gate.pauses if gate else 0,
        )
        yield CounterMetricFamily(
            "pulse_prerecorded_paused_seconds", "Seconds the pre-recorded decode processes spent stopped for finals",
            value=gate.paused_seconds if gate else 0.0,
        )

    def _jobs(self) -> Iterator[Any]:
        jobs = getattr(self.state, "jobs", None)
        by_state = GaugeMetricFamily("pulse_async_jobs", "Async jobs in the store by state", labels=["state"])
        attempts = CounterMetricFamily(
            "pulse_webhook_attempts", "Webhook delivery attempts by outcome", labels=["outcome"]
        )
        if jobs is not None:
            for status, count in sorted(jobs.store.counts().items()):
                by_state.add_metric([str(status)], count)
            for outcome, count in sorted(jobs.delivery_outcomes.items()):
                attempts.add_metric([outcome], count)
        yield by_state
        yield attempts

    def _load_state(self) -> Iterator[Any]:
        report = readiness(self.state)
        loaded = GaugeMetricFamily(
            "pulse_component_loaded", "1 when a configured model or stage is loaded", labels=["kind", "name"]
        )
        for kind, items in (("model", report.models), ("stage", report.stages)):
            for name, ok in sorted(items.items()):
                loaded.add_metric([kind, name], 1.0 if ok else 0.0)
        yield loaded
        yield GaugeMetricFamily("pulse_ready", "1 when every configured model and stage is loaded",
                                value=1.0 if report.ready else 0.0)


class Metrics:
    """The app's instruments; `render()` produces the exposition text."""

    def __init__(self, config: MetricsConfig, state: State, known_models: frozenset[str]) -> None:
        self.config = config
        self.known_models = known_models
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "pulse_http_requests", "HTTP requests by route, method, model and status",
            ["route", "method", "model", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "pulse_http_request_duration_seconds", "HTTP request latency (until the response body is sent)",
            ["route", "method", "model"], buckets=config.latency_buckets, registry=self.registry,
        )
        self.audio_seconds = Counter(
            "pulse_audio_seconds", "Seconds of audio transcribed (pre-recorded and async)", ["model"],
            registry=self.registry,
        )
        self.processing_seconds = Counter(
            "pulse_processing_seconds", "Wall-clock seconds spent in the pre-recorded pipeline", ["model"],
            registry=self.registry,
        )
        self.rtf = Histogram(
            "pulse_real_time_factor", "Processing time / audio duration per pre-recorded file", ["model"],
            buckets=RTF_BUCKETS, registry=self.registry,
        )
        self.live_sessions = Counter(
            "pulse_live_sessions", "Live sessions accepted by route", ["route"], registry=self.registry
        )
        self.live_messages = Counter(
            "pulse_live_messages", "Live transcription messages sent by kind", ["kind"], registry=self.registry
        )
        self.finalize_latency = Histogram(
            "pulse_live_finalize_latency_seconds", "Client `finalize` received → its final sent",
            buckets=config.finalize_buckets, registry=self.registry,
        )
        self.registry.register(AppStateCollector(state))

    def observe_transcription(self, model: str, audio_seconds: float, processing_seconds: float) -> None:
        self.audio_seconds.labels(model).inc(audio_seconds)
        self.processing_seconds.labels(model).inc(processing_seconds)
        if audio_seconds > 0:
            self.rtf.labels(model).observe(processing_seconds / audio_seconds)

    def model_label(self, scope: Scope) -> str:
        """The model a request named: set by a route (`request.state.metrics_model`) or the `model` query."""
        chosen = scope.get("state", {}).get("metrics_model")
        if chosen is None:
            for key, value in _query_pairs(scope):
                if key == "model":
                    chosen = value
        return chosen if chosen in self.known_models else NO_MODEL

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _query_pairs(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"))


def _route_path(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class MetricsMiddleware:
    """Counts HTTP requests and live-socket traffic; never changes what passes through."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route, method, model = _route_path(scope), scope["method"], self.metrics.model_label(scope)
            self.metrics.requests.labels(route, method, model, str(status)).inc()
            self.metrics.latency.labels(route, method, model).observe(time.perf_counter() - started)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Times of `finalize` frames not yet answered by a final with from_finalize (answered in order).
        pending: deque[float] = deque()

        async def watch_receive() -> Message:
            message = await receive()
            text = message.get("text") if message["type"] == "websocket.receive" else None
            if text and "finalize" in text:
                try:
                    kind = json.loads(text).get("type")
                except (ValueError, AttributeError):
                    kind = None
                if kind == "finalize":
                    pending.append(time.perf_counter())
            return message

        async def watch_send(message: Message) -> None:
            await send(message)
            if message["type"] == "websocket.accept":
                self.metrics.live_sessions.labels(_route_path(scope)).inc()
            text = message.get("text") if message["type"] == "websocket.send" else None
            if text and text.startswith('{"type": "transcription"'):
                final = '"is_final": true' in text
                self.metrics.live_messages.labels("final" if final else "partial").inc()
                if final and pending and '"from_finalize": true' in text:
                    self.metrics.finalize_latency.observe(time.perf_counter() - pending.popleft())

        await self.app(scope, watch_receive, watch_send)


def install_metrics(app: FastAPI) -> Metrics:
    """Create the app's Metrics and wrap the app in the middleware; the route lives in routers/ready.py."""
    config = app.state.config
    names = frozenset(config.models) | frozenset(config.openai.aliases)
    metrics = Metrics(config.metrics, app.state, names)
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return metrics
