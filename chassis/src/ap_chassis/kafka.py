"""Kafka plumbing: the broker, topic creation, and the publish function the relay uses."""

import logging
from collections.abc import Awaitable, Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from ap_schemas import topics
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider

from .kafka_security import broker_security
from .outbox import OutboxRow
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


def relay_publisher(broker: KafkaBroker):  # type: ignore[no-untyped-def]
    """The relay's publish: enqueue a row and return the broker's acknowledgement to await."""

    async def publish(row: OutboxRow) -> Awaitable[object]:
        return await broker.publish(
            row.value,
            row.topic,
            key=row.key.encode(),
            headers=dict(row.headers),
            no_confirm=True,
        )

    return publish


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
                topic_configs={"cleanup.policy": "compact"} if name in topics.COMPACTED else {},
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
