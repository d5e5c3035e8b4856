"""What `/readyz` and `/metrics` say beyond "reachable": lag, stuck partitions, outbox backlog.

Lag is measured against the broker's end offsets (read through a probe consumer of its own, not
the subscribers' last-seen high-water marks, which go stale when a fetch fails or a consumer is
paused). A partition is stuck when its lag stays above 0 with no progress for
`consumer_stuck_seconds`; the outbox is behind when its oldest unsent row is older than
`outbox_stuck_seconds`. Either makes the service `degraded`: /readyz still answers 200 (the
service accepts commands into its outbox; taking every replica out of the load balancer would
turn a delivery fault into an outage) and names the reasons, for alerting.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from .consumer import IdempotentConsumer
from .kafka import ConsumerFactory, true_end_offsets
from .metrics import Metrics

log = logging.getLogger(__name__)


@dataclass
class HealthMonitor:
    make_consumer: ConsumerFactory
    metrics: Metrics
    stuck_seconds: float = 60.0
    outbox_stuck_seconds: float = 60.0
    reasons: list[str] = field(default_factory=list)
    _progress: dict[tuple[str, TopicPartition], tuple[int, float]] = field(default_factory=dict)
    _lag_labels: set[tuple[str, str, str]] = field(default_factory=set)
    _probe: AIOKafkaConsumer | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def sample(
        self, consumers: list[IdempotentConsumer], pool: asyncpg.Pool | None, publishes: bool
    ) -> list[str]:
        """Refresh the gauges and the reasons the service is degraded; return the reasons."""
        async with self._lock:
            reasons: list[str] = []
            if consumers:
                try:
                    reasons += await self._sample_lag(consumers)
                except Exception as exc:  # broker away: keep the last lag, say why
                    await self._close_probe()
                    reasons.append(f"consumer lag unknown: {type(exc).__name__}")
            if publishes and pool is not None:
                with contextlib.suppress(Exception):  # the database check reports that
                    reasons += await self._sample_outbox(pool)
            self.reasons = reasons
            return reasons

    async def _sample_lag(self, consumers: list[IdempotentConsumer]) -> list[str]:
        assigned: list[tuple[IdempotentConsumer, Any, TopicPartition]] = []
        for consumer in consumers:
            for subscriber in consumer.subscribers:
                kafka = getattr(subscriber, "consumer", None)
                if kafka is not None:
                    assigned += [(consumer, kafka, tp) for tp in kafka.assignment()]
        self._forget_lag({(c.name, tp.topic, str(tp.partition)) for c, _, tp in assigned})
        if not assigned:
            return []
        if self._probe is None:
            self._probe = self.make_consumer()
            await self._probe.start()
        ends = await true_end_offsets(self._probe, sorted({tp for _, _, tp in assigned}))
        now = time.monotonic()
        stuck: dict[str, int] = {}
        reasons = []
        for consumer, kafka, tp in assigned:
            position = await kafka.position(tp)
            lag = max(ends.get(tp, 0) - position, 0)
            self.metrics.consumer_lag.labels(consumer.name, tp.topic, tp.partition).set(lag)
            key = (consumer.name, tp)
            last = self._progress.get(key)
            if last is None or last[0] != position or lag == 0:
                self._progress[key] = (position, now)
                continue
            if now - last[1] >= self.stuck_seconds:
                stuck[consumer.name] = stuck.get(consumer.name, 0) + 1
                reasons.append(
                    f"partition {tp.topic}/{tp.partition} of consumer {consumer.name} stuck:"
                    f" lag {lag}, no progress for {now - last[1]:.0f}s"
                )
        for consumer in consumers:
            self.metrics.stuck_partitions.labels(consumer.name).set(stuck.get(consumer.name, 0))
        return reasons

    def _forget_lag(self, assigned: set[tuple[str, str, str]]) -> None:
        """Drop the lag of partitions no longer assigned here: after a rebalance another replica
        reports them, and a stale value here would be summed with its live one."""
        for labels in self._lag_labels - assigned:
            with contextlib.suppress(KeyError):
                self.metrics.consumer_lag.remove(*labels)
        self._lag_labels = assigned

    async def _sample_outbox(self, pool: asyncpg.Pool) -> list[str]:
        row = await pool.fetchrow(
            "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age"
            " FROM outbox WHERE sent_at IS NULL"
        )
        self.metrics.outbox_backlog.set(row["n"])
        self.metrics.outbox_oldest_unsent.set(float(row["age"]))
        if row["n"] and float(row["age"]) >= self.outbox_stuck_seconds:
            return [f"outbox behind: {row['n']} unsent, oldest {float(row['age']):.0f}s"]
        return []

    async def run(
        self,
        every: float,
        consumers: list[IdempotentConsumer],
        pool: asyncpg.Pool,
        publishes: bool,
    ) -> None:
        """Sample on a schedule, so stuck partitions are seen without anyone scraping."""
        try:
            while True:
                await asyncio.sleep(every)
                try:
                    await self.sample(consumers, pool, publishes)
                except Exception as exc:
                    log.warning("health sample failed: %s", type(exc).__name__)
        finally:
            await self._close_probe()

    async def _close_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            with contextlib.suppress(Exception):
                await probe.stop()
