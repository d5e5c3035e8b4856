"""The machinery a service's composition root assembles: pool, broker, relay, consumers, health.

A service's `create_app(settings)` is a `ServiceApp` (or calls `build_app`) with its routers,
migrations and consumers;
nothing is connected at import time, and everything opened in the lifespan is closed there.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI, Request, Response
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import loop_lag, problems
from .consumer import Apply, BatchApply, IdempotentConsumer, subscribe
from .db import create_pool, ensure_database, migrate
from .erasure import OnTombstone
from .guards import ASGIApp, Message, Receive, RequestGuard, Scope, Send
from .health import HealthMonitor
from .kafka import (
    create_broker,
    end_offsets_reader,
    probe_consumers,
    relay_producer,
    relay_publisher,
)
from .metrics import Metrics
from .outbox import OutboxRelay
from .settings import ServiceSettings
from .telemetry import instrument_asyncpg, serve_under, setup_logging, tracer_provider

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    """A consumer of one topic: `name` keys its inbox rows and its consumer group."""

    name: str
    topic: str
    apply: Apply
    on_tombstone: OnTombstone | None = None  # a NULL value is the key's erasure (erasure.py)
    apply_batch: BatchApply | None = None  # set-wise apply of a batch; None: `apply` per event


@dataclass
class Runtime:
    settings: ServiceSettings
    broker: KafkaBroker
    metrics: Metrics
    health: HealthMonitor
    pool: asyncpg.Pool = field(init=False)
    dsn: str = ""
    relay: OutboxRelay | None = None
    consumers: list[IdempotentConsumer] = field(default_factory=list)
    broker_ready: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    publishes: bool = True

    async def sample_health(self) -> list[str]:
        """Sample lag, stuck partitions and the outbox; the reasons for degraded."""
        return await self.health.sample(self.consumers, self.pool, self.publishes)

    async def start_broker(self) -> None:
        """Connect to Kafka, retrying: HTTP commands are served (into the outbox) meanwhile."""
        delay = 0.5
        while True:
            try:
                await self.broker.start()
                self.broker_ready.set()
                log.info("broker connected")
                return
            except Exception as exc:
                log.warning("broker not reachable yet: %s", type(exc).__name__)
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def run_relay(self, producer: AIOKafkaProducer) -> None:
        """Start the relay's producer once the broker answers (retrying), then relay until
        cancelled; the producer is stopped with it."""
        await self.broker_ready.wait()
        assert self.relay is not None
        delay = 0.5
        while True:
            try:
                await producer.start()
                break
            except Exception as exc:
                log.warning("relay producer not started yet: %s", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        try:
            await self.relay.run()
        finally:
            with contextlib.suppress(Exception):
                await producer.stop()


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    migrations: Path | None = None,
    consumers: Sequence[ConsumerSpec] = (),
    publishes: bool = True,
    span_exporter: SpanExporter | None = None,
    body_limits: Mapping[str, int] | None = None,
    on_migrated: Callable[["Runtime"], Awaitable[None]] | None = None,
) -> FastAPI:
    """Assemble a service: its routes behind the chassis's guards, health and metrics routes,
    migrations, consumers and (when it `publishes`) the outbox relay, all opened in the lifespan
    and closed there. `body_limits` gives path prefixes their own request-size limit;
    `on_migrated` runs after the migrations, before consumers start (reporting's read models)."""
    setup_logging(settings.log_level)
    provider = tracer_provider(settings, span_exporter)
    metrics = Metrics()
    broker = create_broker(settings, provider)
    probes = probe_consumers(broker, settings.kafka_request_timeout_ms)  # lag and outbox checks
    runtime = Runtime(
        settings=settings,
        broker=broker,
        metrics=metrics,
        health=HealthMonitor(
            probes,
            metrics,
            stuck_seconds=settings.consumer_stuck_seconds,
            outbox_stuck_seconds=settings.outbox_stuck_seconds,
        ),
        publishes=publishes,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        instrument_asyncpg(provider)
        runtime.dsn = await ensure_database(settings.database_url, settings.db_name)
        runtime.pool = await create_pool(
            runtime.dsn,
            max_size=settings.db_pool_max_size,
            acquire_timeout=settings.db_acquire_timeout_seconds,
        )
        try:
            await migrate(runtime.pool, [migrations] if migrations else [])
            if on_migrated is not None:
                await on_migrated(runtime)
            for spec in consumers:
                consumer = IdempotentConsumer(
                    name=spec.name,
                    pool=runtime.pool,
                    broker=runtime.broker,
                    apply=spec.apply,
                    metrics=metrics,
                    max_attempts=settings.consumer_max_attempts,
                    backoff_seconds=settings.consumer_backoff_seconds,
                    on_tombstone=spec.on_tombstone,
                    apply_batch=spec.apply_batch,
                    tracer=provider.get_tracer("ap_chassis.consumer"),
                    service=settings.service_name,
                )
                subscribe(runtime.broker, settings, consumer, spec.topic)
                runtime.consumers.append(consumer)
            runtime.tasks.append(asyncio.create_task(runtime.start_broker()))
            runtime.tasks.append(
                asyncio.create_task(
                    loop_lag.watch(
                        metrics.loop_lag.observe, interval=settings.loop_lag_interval_seconds
                    )
                )
            )
            runtime.tasks.append(
                asyncio.create_task(
                    runtime.health.run(
                        settings.health_sample_seconds, runtime.consumers, runtime.pool, publishes
                    )
                )
            )
            if publishes:
                producer = relay_producer(settings)
                runtime.relay = OutboxRelay(
                    pool=runtime.pool,
                    dsn=runtime.dsn,
                    publish=relay_publisher(producer, provider),
                    lock_name=settings.db_name,
                    poll_seconds=settings.relay_poll_seconds,
                    batch_size=settings.relay_batch_size,
                    handover_seconds=settings.relay_handover_seconds,
                    end_offsets=end_offsets_reader(probes),
                    check_seconds=settings.outbox_check_seconds,
                    retention_days=settings.outbox_retention_days,
                    on_backlog=metrics.outbox_backlog.set,
                    on_published=metrics.outbox_published.inc,
                    on_lock=metrics.relay_lock_held.labels(settings.db_name).set,
                )
                metrics.relay_lock_held.labels(settings.db_name).set(0)  # exported before taken
                runtime.tasks.append(asyncio.create_task(runtime.run_relay(producer)))
            yield
        finally:
            for task in runtime.tasks:
                task.cancel()
            await asyncio.gather(*runtime.tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await runtime.broker.stop()
            await runtime.pool.close()
            provider.shutdown()

    app = FastAPI(title=title, version="1", lifespan=lifespan)
    app.state.settings = settings
    app.state.runtime = runtime
    problems.install(app)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)

    app.add_middleware(RequestLatency, metrics=metrics, provider=provider)
    app.add_middleware(
        RequestGuard, max_body_bytes=settings.max_body_bytes, body_limits=dict(body_limits or {})
    )
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="healthz,readyz,metrics",
        exclude_spans=["receive", "send"],  # five internal spans a request, telling nothing
    )
    return app


S = TypeVar("S", bound=ServiceSettings)


class ServiceApp(Generic[S]):
    """A service's `create_app`: its settings class and what it serves, bound once, so each
    composition root names what is its own and nothing else. `create_app()` builds from the
    environment; a test or a bench passes its settings (and a span exporter)."""

    def __init__(
        self,
        settings: type[S],
        *,
        title: str,
        routers: Callable[[S], Sequence[APIRouter]],
        migrations: Path,
        consumers: Sequence[ConsumerSpec] = (),
        body_limits: Callable[[S], Mapping[str, int]] | None = None,
    ) -> None:
        self.settings, self.title, self.routers = settings, title, routers
        self.migrations, self.consumers, self.body_limits = migrations, consumers, body_limits

    def __call__(
        self, settings: S | None = None, span_exporter: SpanExporter | None = None
    ) -> FastAPI:
        chosen = settings or self.settings()
        return build_app(
            chosen, title=self.title, routers=self.routers(chosen), migrations=self.migrations,
            consumers=self.consumers, span_exporter=span_exporter,
            body_limits=self.body_limits(chosen) if self.body_limits else None,
        )  # fmt: skip


class RequestLatency:
    """Request duration by method, route and status (pure ASGI: Starlette's `BaseHTTPMiddleware`
    costs a task group and memory streams on every request)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, provider: TracerProvider) -> None:
        self.app, self.metrics, self.provider = app, metrics, provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        serve_under(self.provider)  # the request's own task: its transaction spans are ours
        started, status = time.perf_counter(), 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.request_seconds.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )


async def readiness(runtime: Runtime) -> tuple[dict[str, bool], str]:
    """Whether the database and the broker answer, and the /readyz status; sets the gauges."""
    checks = {"database": False, "broker": False}
    with contextlib.suppress(Exception):
        checks["database"] = await runtime.pool.fetchval("SELECT 1") == 1
    with contextlib.suppress(Exception):
        checks["broker"] = runtime.broker_ready.is_set() and await runtime.broker.ping(1.0)
    return checks, runtime.metrics.record_readiness(checks, runtime.health.reasons)


def health_router() -> APIRouter:
    """/healthz and /readyz, served without a token."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request, response: Response) -> dict[str, Any]:
        """503 unless the database and the broker are reachable; 200 `degraded` with `reasons`
        when a partition is stuck or the outbox is behind (see ap_chassis.health)."""
        runtime: Runtime = request.app.state.runtime
        checks, status = await readiness(runtime)
        response.status_code = 200 if all(checks.values()) else 503
        return {"status": status, "checks": checks, "reasons": runtime.health.reasons}

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Samples health and readiness first, so a scrape sees what /readyz would say."""
        runtime: Runtime = request.app.state.runtime
        with contextlib.suppress(Exception):  # a rebalance may be under way
            await runtime.sample_health()
        await readiness(runtime)
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
