"""Rebuild reporting's read models with no downtime: replay the log into a fresh generation.

A rebuild (`POST /v1/admin/rebuilds`, `make rebuild`) creates schema `rm_<n>` from every
read-model migration, reads the topics reporting projects (the journey topics and
`journey.identity`) from offset 0 under its own consumer group `reporting.rebuild.<n>`, and applies
each batch from the broker in one transaction through the live consumers' own functions, claiming
each event in the new schema's inbox under the live consumer's name. Reads keep being served from
the active generation meanwhile. Once the rebuild has read to the end of every partition it
switches (generations.try_switch: atomic, and only when the new schema holds everything the live
consumers applied) and drops the old schema; if the live consumers applied something the rebuild
has not read yet, it reads on and tries again.

Erasure: a `journey.identity` tombstone is applied like the live consumer applies it, and an
identity event of a pupil in `erased_pupils` (reporting's own state, kept in public across
rebuilds) is never recorded, so an erased pupil cannot come back, even from a log not compacted
yet; the switch also removes the identity of any pupil erased while the rebuild ran.

Events that can never be applied were dead-lettered by the live consumers already: the rebuild
skips them (counted), publishing nothing, and records them in the new inbox as handled. One
rebuild at a time (a session advisory lock held by the rebuild's connection, so a crashed
replica's rebuild does not block the next).

Progress (events applied, events/s, lag against the partitions' end offsets, ETA) is kept in
`read_model_rebuilds` and in the gauges `journey_rebuild_*` of reporting's /metrics.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from ap_chassis.consumer import PERMANENT_DB
from ap_chassis.db import connect, migrate
from ap_chassis.errors import PermanentEventError
from ap_chassis.kafka import probe_consumers, true_end_offsets
from ap_chassis.runtime import ConsumerSpec, Runtime
from ap_schemas.codec import InvalidEventError, decode
from ap_schemas.envelope import RawEvent
from ap_schemas.events import EventData
from ap_schemas.topics import COMPACTED
from prometheus_client import CollectorRegistry, Gauge

from . import generations
from .consumers import CONSUMERS, apply_journey_batch, project_journey_event

log = logging.getLogger(__name__)

BATCH_RECORDS = 2000
POLL_MS = 500
PROGRESS_SECONDS = 0.5
LOCK = "hashtext('ap_read_models_rebuild')"


class RebuildRunningError(Exception):
    """Another rebuild holds the lock."""


class RebuildGauges:
    """The progress of the running (or last) rebuild on reporting's /metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, text: str) -> Gauge:
            return Gauge(f"journey_rebuild_{name}", text, registry=registry)

        self.generation = gauge("generation", "generation being built (0 when none ran)")
        self.applied = gauge("events_applied", "events applied into the new generation")
        self.rate = gauge("events_per_second", "events applied per second since it started")
        self.lag = gauge("lag", "records still to read, summed over partitions")
        self.eta = gauge("eta_seconds", "lag / events per second")
        self.running = gauge("running", "1 while a rebuild runs")
        self.failed = gauge("failed", "1 when the last rebuild failed, until the next one starts")


@dataclass
class Progress:
    started: float = field(default_factory=time.monotonic)
    applied: int = 0
    skipped: int = 0
    lag: int | None = None

    @property
    def rate(self) -> float:
        return self.applied / max(time.monotonic() - self.started, 1e-6)

    @property
    def eta(self) -> float | None:
        return None if self.lag is None or not self.rate else self.lag / self.rate


@dataclass
class Rebuild:
    rebuild_id: UUID
    generation: int
    conn: asyncpg.Connection  # the rebuild's own session: holds the lock, writes the new schema
    runtime: Runtime
    gauges: RebuildGauges
    specs: Sequence[ConsumerSpec] = tuple(CONSUMERS)
    progress: Progress = field(default_factory=Progress)
    drop_old: bool = True  # False keeps the old schema after the switch, to compare (tests)
    _saved: float = 0.0
    _measured: float = 0.0

    @property
    def schema(self) -> str:
        return generations.schema_of(self.generation)

    async def run(self) -> None:
        try:
            migrations = [generations.READ_MODEL_MIGRATIONS]
            await migrate(self.runtime.pool, migrations, schema=self.schema)
            await self.conn.execute(f"SET search_path TO {self.schema}, public")
            self.gauges.running.set(1)
            self.gauges.failed.set(0)
            self.gauges.generation.set(self.generation)
            old = await self.replay_and_switch()
            if self.drop_old:
                await generations.drop(self.conn, old)
            await self.save("done", final=True)
            log.info("rebuild %s switched from rm_%d to %s", self.rebuild_id, old, self.schema)
        except BaseException as exc:
            log.exception("rebuild %s failed", self.rebuild_id)
            self.gauges.failed.set(1)
            await asyncio.shield(self.fail(exc))
            raise
        finally:
            self.gauges.running.set(0)
            await asyncio.shield(self.conn.close())

    async def fail(self, exc: BaseException) -> None:
        try:
            await self.conn.execute("RESET search_path")
            await self.save("failed", final=True, error=type(exc).__name__)
            if await generations.active_generation(self.conn) != self.generation:
                await generations.drop(self.conn, self.generation)
        except Exception:
            log.exception("rebuild %s: cleanup failed", self.rebuild_id)

    async def replay_and_switch(self) -> int:
        """Read every topic from 0 to its end and switch; the old generation's number."""
        by_topic = {spec.topic: spec for spec in self.specs}
        consumer: AIOKafkaConsumer = self.runtime.broker.config.broker_config.builder(
            group_id=f"{self.runtime.settings.service_name}.rebuild.{self.generation}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=BATCH_RECORDS,
            fetch_max_wait_ms=100,
        )
        probe = probe_consumers(self.runtime.broker)()
        await consumer.start()
        await probe.start()
        try:
            await consumer.topics()
            parts = [
                TopicPartition(t, p)
                for t in by_topic
                for p in sorted(consumer.partitions_for_topic(t) or ())
            ]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            self.progress.started = time.monotonic()
            while True:
                batch = await consumer.getmany(timeout_ms=POLL_MS, max_records=BATCH_RECORDS)
                records = [r for tp in parts for r in batch.get(tp, ())]
                if records:
                    await self.apply(records, by_topic)
                    await consumer.commit()
                measured = not records or time.monotonic() - self._measured >= PROGRESS_SECONDS
                if measured:  # so a busy log, never quiet, still gets switched when caught up
                    await self.lag(consumer, probe, parts)
                await self.save("running")
                if measured and self.progress.lag == 0:
                    old = await generations.active_generation(self.conn)
                    if old is None or old == self.generation:
                        raise RuntimeError("no active generation to switch from")
                    whole = sorted({s.name for s in self.specs if s.topic not in COMPACTED})
                    if await generations.try_switch(self.conn, old, self.generation, whole):
                        return old
        finally:
            await asyncio.shield(consumer.stop())
            await asyncio.shield(probe.stop())

    async def lag(
        self, consumer: AIOKafkaConsumer, probe: AIOKafkaConsumer, parts: list[TopicPartition]
    ) -> int:
        self._measured = time.monotonic()
        ends = await true_end_offsets(probe, parts)
        lag = 0
        for tp in parts:
            lag += max(0, ends.get(tp, 0) - await consumer.position(tp))
        self.progress.lag = lag
        return lag

    async def apply(self, records: list[ConsumerRecord], by_topic: dict[str, ConsumerSpec]) -> None:
        """One transaction for the batch; a poison event in it sends the batch one by one."""
        try:
            async with self.conn.transaction():
                applied = await self.apply_records(records, by_topic)
        except (PermanentEventError, *PERMANENT_DB):
            applied = 0
            for record in records:
                try:
                    async with self.conn.transaction():
                        applied += await self.apply_records([record], by_topic)
                except (PermanentEventError, *PERMANENT_DB) as exc:
                    self.progress.skipped += 1
                    await self.claim_skipped(record, by_topic)
                    log.warning(
                        "rebuild skipped %s[%d]@%d: %s",
                        record.topic, record.partition, record.offset, type(exc).__name__,
                    )  # fmt: skip
        self.progress.applied += applied

    async def apply_records(
        self, records: list[ConsumerRecord], by_topic: dict[str, ConsumerSpec]
    ) -> int:
        """Claim every decodable event in the inbox at once, then apply the fresh ones: journey
        events as one batch, the others (identity, tombstones) one by one in log order."""
        decoded: list[tuple[ConsumerRecord, RawEvent | None, EventData | None]] = []
        for record in records:
            if record.value is None:
                decoded.append((record, None, None))
                continue
            try:
                decoded.append((record, *decode(record.value, record.topic)))
            except InvalidEventError:
                self.progress.skipped += 1  # parked by the live consumer already
        fresh = await self.claim(
            [(by_topic[r.topic].name, e.id) for r, e, _ in decoded if e is not None]
        )
        journey = [
            (e, d)
            for r, e, d in decoded
            if e is not None and d is not None and by_topic[r.topic].apply is project_journey_event
            and (by_topic[r.topic].name, e.id) in fresh
        ]  # fmt: skip
        await apply_journey_batch(self.conn, journey)
        done = len(journey)
        for record, envelope, data in decoded:
            spec = by_topic[record.topic]
            if spec.apply is project_journey_event:
                continue
            if envelope is None or data is None:
                if spec.on_tombstone is not None:
                    key = record.key.decode(errors="replace") if record.key else ""
                    await spec.on_tombstone(self.conn, key)
                    done += 1
                else:
                    self.progress.skipped += 1
            elif (spec.name, envelope.id) in fresh:
                await spec.apply(self.conn, envelope, data)
                done += 1
        return done

    async def claim_skipped(
        self, record: ConsumerRecord, by_topic: dict[str, ConsumerSpec]
    ) -> None:
        """A skipped event is done with, as a dead-lettered one is: its inbox row says so. (An
        event that fails only in one order, such as a second pupil reusing a placement id, may
        have been applied live instead: the switch then still finds it handled here.)"""
        try:
            envelope, _ = decode(record.value, record.topic)
        except InvalidEventError:
            return
        await self.claim([(by_topic[record.topic].name, envelope.id)])

    async def claim(self, keys: list[tuple[str, UUID]]) -> set[tuple[str, UUID]]:
        """Inbox rows of the new schema, set-wise: the (consumer, event) pairs not seen before."""
        if not keys:
            return set()
        rows = await self.conn.fetch(
            "INSERT INTO inbox (consumer, event_id)"
            " SELECT * FROM unnest($1::text[], $2::uuid[]) ON CONFLICT DO NOTHING"
            " RETURNING consumer, event_id",
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        return {(r["consumer"], r["event_id"]) for r in rows}

    async def save(self, status: str, *, final: bool = False, error: str | None = None) -> None:
        p = self.progress
        self.gauges.applied.set(p.applied)
        self.gauges.rate.set(p.rate)
        self.gauges.lag.set(p.lag or 0)
        self.gauges.eta.set(p.eta or 0)
        now = time.monotonic()
        if not final and now - self._saved < PROGRESS_SECONDS:
            return
        self._saved = now
        await self.conn.execute(
            "UPDATE public.read_model_rebuilds SET status = $2, events_applied = $3,"
            " events_skipped = $4, events_per_second = $5, lag = $6, eta_seconds = $7,"
            " error = $8, finished_at = CASE WHEN $9 THEN now() END WHERE rebuild_id = $1",
            self.rebuild_id, status, p.applied, p.skipped, p.rate, p.lag, p.eta, error, final,
        )  # fmt: skip


async def start(runtime: Runtime, gauges: RebuildGauges, requested_by: str) -> Rebuild:
    """Take the rebuild lock and record the rebuild; RebuildRunningError when one runs."""
    conn = await connect(runtime.dsn)
    try:
        if not await conn.fetchval(f"SELECT pg_try_advisory_lock({LOCK})"):
            raise RebuildRunningError
        await conn.execute(
            "UPDATE public.read_model_rebuilds SET status = 'abandoned', finished_at = now()"
            " WHERE status = 'running'"
        )
        await generations.drop_unused(conn)
        generation = await conn.fetchval("SELECT nextval('public.read_model_generations')")
        rebuild = Rebuild(uuid4(), generation, conn, runtime, gauges)
        await conn.execute(
            "INSERT INTO public.read_model_rebuilds (rebuild_id, generation, status, requested_by)"
            " VALUES ($1, $2, 'running', $3)",
            rebuild.rebuild_id, generation, requested_by,
        )  # fmt: skip
    except BaseException:
        await conn.close()
        raise
    return rebuild


async def after_upgrade(runtime: Runtime, gauges: RebuildGauges, migrations: Sequence[str]) -> None:
    """Rebuild by itself when an upgrade added read models to a generation that already held
    events (`generations.prepare`): the new tables would otherwise read empty until an officer
    asked. No downtime: reads go on from the current generation until the switch. Another
    replica already rebuilding is enough."""
    await runtime.broker_ready.wait()
    try:
        job = await start(runtime, gauges, "upgrade")
    except RebuildRunningError:
        return
    log.info("read models added by %s: rebuilding by itself", ", ".join(migrations))
    await job.run()
