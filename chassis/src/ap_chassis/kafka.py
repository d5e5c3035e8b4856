"""Kafka plumbing: the broker, topic creation, and the publish function the relay uses."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from ap_schemas import topics
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.security import parse_security
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    set_span_in_context,
)

from .kafka_security import broker_security
from .outbox import EndOffsets, OutboxRow, Publish
from .settings import ServiceSettings

log = logging.getLogger(__name__)


def create_broker(settings: ServiceSettings, tracer_provider: TracerProvider) -> KafkaBroker:
    """A FastStream broker: acks from all replicas, no idempotence (Tansu lacks it), traced."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=False,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        client_id=settings.service_name,
        security=broker_security(),  # SASL over TLS outside local runs (kafka_security.py)
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        logger=None,
    )


def relay_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """The relay's own raw aiokafka producer: the broker's connection, acks and security, without
    FastStream's per-message middleware; rows sent together share produce requests."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=False,  # Tansu lacks it
        request_timeout_ms=settings.kafka_request_timeout_ms,
        client_id=f"{settings.service_name}-relay",
        linger_ms=2,  # a batch's rows are handed over in one go: fill produce requests
        max_batch_size=256 * 1024,
        **parse_security(broker_security()),
    )


def relay_publisher(producer: AIOKafkaProducer, tracer_provider: TracerProvider) -> Publish:
    """The relay's publish: enqueue a row under a PRODUCER span that continues the request's trace
    (the row's `traceparent`); return the acknowledgement, which ends the span when it arrives.

    The trace context is read and written by hand: the global propagators cost more than the
    send itself at thousands of rows a second."""
    tracer = tracer_provider.get_tracer(__name__)

    async def publish(row: OutboxRow) -> Awaitable[object]:
        span = tracer.start_span(
            row.topic + " publish", context=_parent(row.headers), kind=SpanKind.PRODUCER
        )
        ctx = span.get_span_context()
        headers = [(k, v.encode()) for k, v in row.headers.items() if k != TRACEPARENT]
        headers.append((TRACEPARENT, f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-01".encode()))
        try:
            ack: asyncio.Future[object] = await producer.send(
                row.topic, row.value, key=row.key.encode(), headers=headers
            )
        except BaseException:
            span.end()
            raise
        ack.add_done_callback(lambda _: span.end())
        return ack

    return publish


TRACEPARENT = "traceparent"


def _parent(headers: dict[str, str]) -> Context | None:
    """The context a W3C `traceparent` (version 00) names; None when absent or malformed."""
    parts = headers.get(TRACEPARENT, "").split("-")
    if len(parts) != 4 or parts[0] != "00" or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        ctx = SpanContext(
            int(parts[1], 16),
            int(parts[2], 16),
            is_remote=True,
            trace_flags=TraceFlags(int(parts[3], 16) & TraceFlags.SAMPLED),
        )
    except ValueError:
        return None
    return set_span_in_context(NonRecordingSpan(ctx)) if ctx.is_valid else None


def topic_configs(name: str) -> dict[str, str]:
    """The journey topics are the history read models are rebuilt from: kept forever
    (`retention.ms=-1`); identity is compacted instead (erasure publishes tombstones). Dead
    letters keep the broker's default retention."""
    if name in topics.COMPACTED:
        return {"cleanup.policy": "compact"}
    if name == topics.DEADLETTER:
        return {}
    return {"retention.ms": "-1"}


ConsumerFactory = Callable[[], AIOKafkaConsumer]
"""Makes a group-less, never-committing consumer for reading offsets and records."""


def probe_consumers(broker: KafkaBroker, request_timeout_ms: int = 10_000) -> ConsumerFactory:
    """Consumers with the service broker's own connection settings, its security included."""
    build = broker.config.broker_config.builder  # FastStream's partial(AIOKafkaConsumer, ...)

    def make() -> AIOKafkaConsumer:
        consumer: AIOKafkaConsumer = build(
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
            request_timeout_ms=request_timeout_ms,
        )
        return consumer

    return make


def end_offsets_reader(make_consumer: ConsumerFactory) -> EndOffsets:
    """The relay's view of the broker: records held per topic (sum of end offsets)."""

    async def read(names: Sequence[str]) -> dict[str, int]:
        return await topic_end_offsets(make_consumer, names)

    return read


async def topic_end_offsets(make_consumer: ConsumerFactory, names: Sequence[str]) -> dict[str, int]:
    """Records held per topic (sum over partitions of the end offset); 0 for a missing topic."""
    consumer = make_consumer()
    await consumer.start()
    try:
        known = await consumer.topics()
        parts = [
            TopicPartition(name, p)
            for name in names
            if name in known
            for p in consumer.partitions_for_topic(name) or ()
        ]
        totals = dict.fromkeys(names, 0)
        for tp, end in (await true_end_offsets(consumer, parts)).items():
            totals[tp.topic] += end
        return totals
    finally:
        await consumer.stop()


async def true_end_offsets(
    consumer: AIOKafkaConsumer, parts: Sequence[TopicPartition], timeout: float = 3.0
) -> dict[TopicPartition, int]:
    """End offsets, corrected by reading each partition's last batch (assigns `consumer`).

    Tansu answers ListOffsets with the last batch's base offset + 1, short by the batch's other
    records; Kafka answers exactly, and the read then changes nothing.
    """
    if not parts:
        return {}
    ends: dict[TopicPartition, int] = dict(await consumer.end_offsets(list(parts)))
    pending = {tp for tp, end in ends.items() if end > 0}
    if not pending:
        return ends
    consumer.assign(list(pending))
    for tp in pending:
        consumer.seek(tp, ends[tp] - 1)
    deadline = asyncio.get_running_loop().time() + timeout
    while pending and asyncio.get_running_loop().time() < deadline:
        batch = await consumer.getmany(*pending, timeout_ms=200)
        for tp, records in batch.items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
                if consumer.highwater(tp) is not None:
                    ends[tp] = max(ends[tp], consumer.highwater(tp) or 0)
                pending.discard(tp)
    return ends


async def create_topics(
    bootstrap_servers: str, names: Iterable[str] = topics.ALL, partitions: int = 3
) -> None:
    """Create the journey topics explicitly (auto-created ones get broker defaults)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs=topic_configs(name),
            )
            for name in names
            if name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
