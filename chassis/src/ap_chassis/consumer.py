"""Idempotent consumers: the inbox row and the effect in one transaction; poison to dead letters.

Delivery semantics of every subscriber here: at least once, effects exactly once.
The offset is committed (ack) only after the database transaction committed; a transient error is
retried with bounded backoff and then nacked (seek back, redelivered); an event that can never be
applied is dead-lettered with its reason and the consumer moves on. Every failure to decode the
untrusted bytes is permanent (codec.decode turns whatever the parser raised into InvalidEventError),
as is an event of a type its topic does not carry or from a service that does not own the topic.
An unclassified error in `apply` is retried with backoff, then dead-lettered: never a hot loop.
"""

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
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
    asyncpg.InternalClientError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    KafkaError,
)
PERMANENT_DB = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)

# Personal data never reaches the dead-letter topic: for these, and for any value that looks like
# identity data whatever its topic, only the coordinates are kept.
PERSONAL_TOPICS = frozenset({topics.IDENTITY})


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

    async def process(self, record: ConsumerRecord) -> None:
        if record.value is None and self.on_tombstone is not None:
            await apply_tombstone(self.pool, self.on_tombstone, record)  # an erasure, not poison
            return
        try:
            envelope, data = decode(record.value, record.topic)
        except InvalidEventError as exc:
            await self.dead_letter(record, str(exc))
            return
        await self.apply_with_retries(record, envelope, data)

    async def apply_with_retries(
        self, record: ConsumerRecord, envelope: RawEvent, data: EventData
    ) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.apply_event(envelope, data)
                return
            except (PermanentEventError, *PERMANENT_DB) as exc:
                await self.dead_letter(record, f"{envelope.type}: {_reason(exc)}")
                return
            except TRANSIENT as exc:
                log.warning(
                    "transient error applying event %s (attempt %d): %s",
                    envelope.id,
                    attempt,
                    type(exc).__name__,
                )
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            except Exception as exc:
                # Unclassified: retried with backoff, then parked (never redelivered forever).
                log.exception(
                    "unclassified error applying event %s (attempt %d)", envelope.id, attempt
                )
                if attempt == self.max_attempts:
                    await self.dead_letter(
                        record,
                        f"{envelope.type}: unclassified error after {attempt} attempts"
                        f" ({type(exc).__name__})",
                    )
                    return
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise RuntimeError(f"event {envelope.id} not applied after {self.max_attempts} attempts")

    async def apply_event(self, envelope: RawEvent, data: EventData) -> None:
        """Apply one decoded event exactly once: inbox row and effect in one transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            if not await inbox.claim(conn, self.name, envelope.id):
                self.metrics.duplicates.labels(self.name).inc()
                return
            await self.apply(conn, envelope, data)
        self.metrics.applied.labels(self.name, envelope.type).inc()

    async def dead_letter(self, record: ConsumerRecord, reason: str) -> None:
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
    """Register `consumer` on `topic`: its own group, ack after commit, from the earliest offset."""

    subscriber = broker.subscriber(
        topic,
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
        await consumer.process(msg.raw_message)

    consumer.subscribers.append(subscriber)


async def _tolerant_parser(record: ConsumerRecord, original: Any) -> Any:
    """FastStream's parser, minus headers that are not UTF-8 (it would raise on them for ever)."""
    try:
        return await original(record)
    except Exception:
        safe = tuple((k, v) for k, v in record.headers if _is_utf8(v))
        return await original(dataclasses.replace(record, headers=safe))


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
