"""Prometheus metrics of one service, in its own registry (several services may share a process)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.outbox_backlog = Gauge("journey_outbox_backlog", "Unsent outbox rows", registry=r)
        self.outbox_published = Counter(
            "journey_outbox_published", "Outbox rows published to Kafka", registry=r
        )
        self.applied = Counter(
            "journey_events_applied",
            "Events applied by a consumer",
            ["consumer", "type"],
            registry=r,
        )
        self.duplicates = Counter(
            "journey_events_duplicate",
            "Redelivered events skipped by the inbox",
            ["consumer"],
            registry=r,
        )
        self.dead_letters = Counter(
            "journey_dead_letters",
            "Events sent to the dead-letter topic",
            ["consumer", "topic"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "journey_consumer_lag",
            "Messages between the consumer's position and the broker's end offset",
            ["consumer", "topic", "partition"],
            registry=r,
        )
        self.stuck_partitions = Gauge(
            "journey_consumer_stuck_partitions",
            "Partitions with lag and no progress for consumer_stuck_seconds",
            ["consumer"],
            registry=r,
        )
        self.outbox_oldest_unsent = Gauge(
            "journey_outbox_oldest_unsent_seconds",
            "Age of the oldest unsent outbox row (0 when none)",
            registry=r,
        )
        self.request_seconds = Histogram(
            "journey_http_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=r,
        )
        self.loop_lag = Histogram(
            "journey_event_loop_lag_seconds",
            "How late the event loop ran a timer: a stall shared by HTTP, relay and consumers",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
