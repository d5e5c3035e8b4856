"""Idempotent consumers: the inbox row and the effect in one transaction; poison to dead letters.

Delivery semantics of every subscriber here: at least once, effects exactly once.
The offset is committed (ack) only after the database transaction committed; a transient error is
retried with bounded backoff and then nacked (seek back, redelivered); an event that can never be
applied is dead-lettered with its reason and the consumer moves on. Every failure to decode the
untrusted bytes is permanent (codec.decode turns whatever the parser raised into InvalidEventError),
as is an event of a type its topic does not carry or from a service that does not own the topic.
An unclassified error in `apply` is retried with backoff, then dead-lettered: never a hot loop.
Records are fetched and applied in batches, one transaction per batch; a poison event inside a
batch is isolated by bisection (IdempotentConsumer.process_batch states the whole contract).
"""

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from ap_schemas import topics
from ap_schemas.codec import InvalidEventError, decode, looks_like_identity
from ap_schemas.envelope import RawEvent
from ap_schemas.events import EventData
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from opentelemetry.propagate import extract

from . import inbox
from .erasure import OnTombstone, apply_tombstone
from .errors import PermanentEventError
from .metrics import Metrics
from .settings import ServiceSettings

log = logging.getLogger(__name__)

Apply = Callable[[asyncpg.Connection, RawEvent, EventData], Awaitable[None]]
"""Apply one event's effect inside the open transaction; raise PermanentEventError to reject it."""

TRANSIENT = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,  # the server closed the connection (restart, failover)
    asyncpg.CannotConnectNowError,
    asyncpg.InternalClientError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    KafkaError,
)
TRACE_KEYS = frozenset({"traceparent", "tracestate", "baggage"})
PERMANENT_DB = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)

# Personal data never reaches the dead-letter topic: for these, and for any value that looks like
# identity data whatever its topic, only the coordinates are kept.
PERSONAL_TOPICS = frozenset({topics.IDENTITY})


Event = tuple[RawEvent, EventData]
BatchApply = Callable[[asyncpg.Connection, Sequence[Event]], Awaitable[None]]
"""Apply a batch of events, each new to the consumer, inside the open transaction, in order."""


def one_by_one(apply: Apply) -> BatchApply:
    """The batch apply of a service that has only a per-event `apply`: each in turn, in order."""

    async def apply_batch(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
        for envelope, data in events:
            await apply(conn, envelope, data)

    return apply_batch


async def apply_new(
    conn: asyncpg.Connection, consumer: str, apply: BatchApply, events: Sequence[Event]
) -> list[Event]:
    """Claim the events' inbox rows at once and apply those `consumer` had not applied, inside
    the caller's transaction (an event twice in `events` is applied once). Returns those applied."""
    new = await inbox.claim_all(conn, consumer, [envelope.id for envelope, _ in events])
    fresh = []
    for envelope, data in events:
        if envelope.id in new:
            new.discard(envelope.id)
            fresh.append((envelope, data))
    if fresh:
        await apply(conn, fresh)
    return fresh


@dataclass(frozen=True)
class Delivery:
    record: ConsumerRecord
    envelope: RawEvent
    data: EventData


class _Poisoned(Exception):
    """Some event of a batch can never be applied (or failed unclassified): isolate it."""


@dataclass
class IdempotentConsumer:
    name: str
    pool: asyncpg.Pool
    broker: KafkaBroker
    apply: Apply
    metrics: Metrics
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    service: str = ""
    subscribers: list[Any] = field(default_factory=list)
    on_tombstone: OnTombstone | None = None
    apply_batch: BatchApply | None = None  # None: `apply` per event, in the batch's transaction
    tracer: trace.Tracer | None = None  # one CONSUMER span per record, in the record's trace

    async def process(self, record: ConsumerRecord) -> None:
        """Handle one record: `process_batch` of one (same contract)."""
        await self.process_batch([record])

    async def process_batch(self, records: Sequence[ConsumerRecord]) -> None:
        """Handle records fetched together, in order; return when every one is applied or parked.

        The contract: at least once delivery, effects exactly once. The decodable events between
        two tombstones are applied in ONE transaction (inbox rows claimed at once, duplicates
        within and across batches skipped, the service's batch apply), and the caller commits
        the offsets only after this returns. A tombstone is the key's erasure (`on_tombstone`).
        Undecodable, wrong-topic or wrong-source records are dead-lettered with the reason
        (personal data withheld). A transient error (connection, timeout, deadlock, Kafka) is
        retried with bounded exponential backoff, then raised: the caller nacks (seeks back) and
        the batch is redelivered; what was committed is then skipped by the inbox. A permanent
        error (PermanentEventError, data or constraint error) or an unclassified one inside a
        batch is isolated by bisection: the halves are applied on their own, down to the single
        event, which is dead-lettered at once when permanent, or retried with backoff and then
        dead-lettered when unclassified. The rest of the batch is applied; never a hot loop.
        Dead letters are at least once too: a batch redelivered after a nack parks its poison
        again (same coordinates in the headers).
        """
        started = time.time_ns()
        run: list[Delivery] = []
        for record in records:
            if record.value is None and self.on_tombstone is not None:
                await self._apply_run(run)  # in log order: what precedes the erasure first
                run = []
                await apply_tombstone(self.pool, self.on_tombstone, record)  # not poison
                continue
            try:
                envelope, data = decode(record.value, record.topic)
            except InvalidEventError as exc:
                await self.dead_letter(record, str(exc))
                continue
            run.append(Delivery(record, envelope, data))
        await self._apply_run(run)
        self._trace(records, started)

    def _trace(self, records: Sequence[ConsumerRecord], started: int) -> None:
        """A span per record, a child of the trace its headers carry (the batch's own span,
        FastStream's, only links to them): a request stays one trace through every consumer."""
        if self.tracer is None:
            return
        for record in records:
            carrier = {k: v.decode(errors="replace") for k, v in record.headers if k in TRACE_KEYS}
            span = self.tracer.start_span(
                f"{record.topic} process",
                context=extract(carrier),
                kind=trace.SpanKind.CONSUMER,
                start_time=started,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": record.topic,
                    "messaging.kafka.destination.partition": record.partition,
                    "messaging.kafka.message.offset": record.offset,
                    "messaging.consumer.group.name": self.name,
                },
            )
            span.end()

    async def _apply_run(self, run: Sequence[Delivery]) -> None:
        if len(run) <= 1:
            for delivery in run:
                await self._apply_alone(delivery)
            return
        try:
            await self._apply_retrying_transient(run)
        except _Poisoned:
            middle = len(run) // 2
            await self._apply_run(run[:middle])
            await self._apply_run(run[middle:])

    async def _apply_retrying_transient(self, run: Sequence[Delivery]) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.apply_once(run)
                return
            except TRANSIENT as exc:
                self._log_transient(run, attempt, exc)
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            except Exception as exc:
                raise _Poisoned from exc
        raise RuntimeError(f"batch of {len(run)} not applied after {self.max_attempts} attempts")

    async def _apply_alone(self, delivery: Delivery) -> None:
        envelope = delivery.envelope
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.apply_once([delivery])
                return
            except (PermanentEventError, *PERMANENT_DB) as exc:
                await self.dead_letter(delivery.record, f"{envelope.type}: {_reason(exc)}")
                return
            except TRANSIENT as exc:
                self._log_transient([delivery], attempt, exc)
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            except Exception as exc:
                # Unclassified: retried with backoff, then parked (never redelivered forever).
                log.exception(
                    "unclassified error applying event %s (attempt %d)", envelope.id, attempt
                )
                if attempt == self.max_attempts:
                    await self.dead_letter(
                        delivery.record,
                        f"{envelope.type}: unclassified error after {attempt} attempts"
                        f" ({type(exc).__name__})",
                    )
                    return
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise RuntimeError(f"event {envelope.id} not applied after {self.max_attempts} attempts")

    async def apply_once(self, run: Sequence[Delivery]) -> None:
        """Apply the deliveries exactly once: inbox rows and effects in one transaction."""
        apply = self.apply_batch or one_by_one(self.apply)
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await apply_new(conn, self.name, apply, [(d.envelope, d.data) for d in run])
        if len(fresh) < len(run):
            self.metrics.duplicates.labels(self.name).inc(len(run) - len(fresh))
        for type_, n in Counter(envelope.type for envelope, _ in fresh).items():
            self.metrics.applied.labels(self.name, type_).inc(n)

    def _log_transient(self, run: Sequence[Delivery], attempt: int, exc: BaseException) -> None:
        log.warning(
            "transient error applying %d event(s) from %s (attempt %d): %s",
            len(run),
            run[0].envelope.id,
            attempt,
            type(exc).__name__,
        )

    async def dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        """Park the record on the dead-letter topic: why and where from; identity data withheld."""
        personal = record.topic in PERSONAL_TOPICS or looks_like_identity(record.value)
        headers = {
            "dlq_reason": reason,
            "dlq_service": self.service,
            "dlq_consumer": self.name,
            "dlq_original_topic": record.topic,
            "dlq_original_partition": str(record.partition),
            "dlq_original_offset": str(record.offset),
            "dlq_value_withheld": "true" if personal else "false",
        }
        await self.broker.publish(
            None if personal else record.value,
            topics.DEADLETTER,
            key=record.key if not personal else None,
            headers=headers,
        )
        self.metrics.dead_letters.labels(self.name, record.topic).inc()
        log.warning(
            "event dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason,
                "consumer": self.name,
            },
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PERMANENT_DB):
        return f"database rejected it ({type(exc).__name__})"  # message may echo values
    return str(exc)[:500]


def subscribe(
    broker: KafkaBroker, settings: ServiceSettings, consumer: IdempotentConsumer, topic: str
) -> None:
    """Register `consumer` on `topic`: its own group, batches of up to
    `consumer_batch_max_records`, ack (offsets committed) after the batch's commit, from the
    earliest offset; a batch that raises is nacked (each partition sought back to its first).
    Its counters start at 0 on /metrics, so the first dead letter is an increase alerts see."""
    consumer.metrics.dead_letters.labels(consumer.name, topic)
    consumer.metrics.stuck_partitions.labels(consumer.name)
    consumer.metrics.duplicates.labels(consumer.name)
    subscriber = broker.subscriber(
        topic,
        batch=True,
        max_records=settings.consumer_batch_max_records,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
        group_id=f"{settings.service_name}.{consumer.name}.{topic}",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        title=f"{consumer.name}:{topic}",
        parser=_tolerant_parser,
        decoder=_undecoded,
    )

    @subscriber
    async def handle(msg: KafkaMessage) -> None:
        await consumer.process_batch(msg.raw_message)

    consumer.subscribers.append(subscriber)


async def _tolerant_parser(records: tuple[ConsumerRecord, ...], original: Any) -> Any:
    """FastStream's parser, minus headers that are not UTF-8 (it would raise on them for ever)."""
    try:
        return await original(records)
    except Exception:
        return await original(tuple(_utf8_headers_only(r) for r in records))


def _utf8_headers_only(record: ConsumerRecord) -> ConsumerRecord:
    return dataclasses.replace(
        record, headers=tuple((k, v) for k, v in record.headers if _is_utf8(v))
    )


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode()
        return True
    except UnicodeDecodeError:
        return False


async def _undecoded(message: Any, original: Any) -> Any:
    """Hand the value over unparsed: FastStream's own JSON decoding lets RecursionError escape and
    would nack the message for ever; codec.decode parses it, with limits, exactly once."""
    return message.body
