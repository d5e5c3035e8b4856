"""`make bench`: every speed and memory figure, measured side by side in one run on this machine.

Each figure is printed with its limit and ratio as it is measured, then again in a summary.
Nothing is asserted: tests assert correctness, this prints speed. Infrastructure is found as the
tests find it (environment, Docker, embedded). Knobs (environment):
  BENCH_ONLY="relay commands ..."  run some sections only (relay commands freshness replay
                                    reports memory)
  BENCH_EVENTS=1000000             events in the memory run (10^6 by default)
  BENCH_PUPILS=50000               pupils in the reports' read model
  BENCH_REPLAY=20000               events in the replay-rate comparison
  BENCH_WORKERS=1                  referral's worker processes in the freshness run
"""

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).parent))

import commands
import freshness
import journeys
import processes
import relay
import replay
import reports
from ap_chassis.db import database_dsn, ensure_database
from ap_chassis.infra import free_port, provision
from ap_chassis.kafka import create_topics
from ap_chassis.settings import ServiceSettings
from ap_reporting import generations
from common import RUN, Figure, knob, report, settings, summary

SECTIONS = ("idle", "relay", "commands", "freshness", "replay", "reports", "memory")
JOURNEY_APPLIED = "SELECT count(*) FROM inbox WHERE consumer = 'journey'"  # reporting's
CAP = knob("BENCH_CAP", 180)  # seconds any one catch-up may take before it is cut short
TANSU = {"KAFKA_SESSION_TIMEOUT_MS": "2000", "KAFKA_HEARTBEAT_INTERVAL_MS": "500"}  # quick joins
SERVICES = ("referral", "placement", "outcomes", "reporting")


@contextlib.asynccontextmanager
async def service(name: str, infra: Any, **overrides: Any) -> AsyncIterator[Any]:
    """One service in this process (ASGI), its lifespan open, its broker connected."""
    module = __import__(f"ap_{name}.app", fromlist=["create_app"])
    app = module.create_app(settings(module, name, infra, **overrides))
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.runtime.broker_ready.wait(), 60)
        yield app


async def main(only: set[str]) -> None:
    print(f"bench run {RUN}; load average before: {os.getloadavg()}")
    infra = provision(Path(tempfile.mkdtemp(prefix="ap-bench-")))
    print(f"infrastructure: {infra.origin}\n")
    started = time.perf_counter()
    try:
        await create_topics(infra.kafka_bootstrap_servers)
        if "idle" in only:
            print("idle memory (each service its own process, empty topics)")
            await idle(infra)
        if "relay" in only:
            print("relay")
            async with service("referral", infra, database_name=f"ap_relay_bench_{RUN}") as app:
                await relay.run(app, infra.kafka_bootstrap_servers)
        if "commands" in only:
            print("commands, beside a bare route on the same database server")
            bare_dsn = await ensure_database(infra.database_url, f"ap_bare_bench_{RUN}")
            pool_size = ServiceSettings.model_fields["db_pool_max_size"].default
            limits = await commands.baseline(bare_dsn, pool_size)
            for name in commands.COMMANDS:
                async with service(name, infra) as app:
                    if name == "outcomes":
                        await commands.seed_placements(app, infra.kafka_bootstrap_servers)
                    await commands.measure(app, name, limits)
        if "freshness" in only:
            print("freshness (referral and reporting each their own process)")
            await freshness_figures(infra)
        if "replay" in only:
            print("replay from offset 0, side by side")
            await replays(infra)
        if "reports" in only:
            print("reports on a read model built by consuming published journeys")
            await report_times(infra)
        if "memory" in only:
            print("memory while replaying")
            await memory(infra)
    finally:
        infra.close()
    summary()
    print(f"\nbench took {time.perf_counter() - started:.0f}s; load average after: "
          f"{os.getloadavg()}")  # fmt: skip


async def freshness_figures(infra: Any, workers: int = knob("BENCH_WORKERS", 1)) -> None:
    """Freshness at 0, 100 and 200 commands/s offered, with each process's event-loop lag p99."""
    ports = {"referral": free_port(), "reporting": free_port()}
    async with (
        processes.started("referral", infra, port=ports["referral"], workers=workers,
                          RELAY_POLL_SECONDS="0.5"),  # no tag: its name is the events' source
        processes.started("reporting", infra, "fresh", port=ports["reporting"], **TANSU),
    ):  # fmt: skip
        dsn = database_dsn(infra.database_url, f"ap_reporting_procfresh_{RUN}")
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2, setup=generations.enter)
        backlog = await replay.held(infra.kafka_bootstrap_servers)
        await replay.until(lambda: pool.fetchval(JOURNEY_APPLIED), backlog, CAP)
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with httpx.AsyncClient(base_url=urls["referral"], limits=limits, timeout=30) as c:
            for rate in (0, 100, 200):
                before = {name: await freshness.loop_lag(url) for name, url in urls.items()}
                await freshness.measure(c, pool, rate)
                for name, url in urls.items():
                    lag = freshness.quantile(before[name], await freshness.loop_lag(url), 0.99)
                    report(Figure(f"  event-loop lag p99 of {name} (bucket bound, at {rate}/s)",
                                  1000 * lag, "ms", 50, higher_is_better=False))  # fmt: skip
        await pool.close()


def fresh_group(tag: str) -> dict[str, str]:
    """Reporting with its own database and consumer groups: it reads the topics from offset 0."""
    return {"database_name": f"ap_reporting_{tag}_{RUN}", "service_name": f"reporting-{tag}-{RUN}"}


async def idle(infra: Any) -> None:
    for name in SERVICES:
        async with processes.started(name, infra, tag="idle") as proc:
            await asyncio.sleep(3)
            rss = processes.rss_mb(proc.pid)
            report(Figure(f"idle RSS of {name} (its own process, started and ready)", rss, "MiB",
                          120, higher_is_better=False))  # fmt: skip


async def replays(infra: Any) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    await replay.publish(bootstrap, journeys.generate(knob("BENCH_REPLAY", 20_000)))
    total = await replay.held(bootstrap)
    raw = await replay.raw_rate(bootstrap, infra.database_url, total)
    report(Figure(f"raw getmany + COPY of {total:,} events (upper bound)", raw, "events/s"))
    naive, done = await replay.naive_rate(bootstrap, infra.database_url, total, CAP)
    report(Figure("naive FastStream handler, one event per transaction", naive, "events/s",
                  note=f"{done:,}/{total:,} applied"))  # fmt: skip
    async with service("reporting", infra, **fresh_group("replay")) as app:
        inbox = app.state.runtime.pool
        done, rate = await replay.until(lambda: inbox.fetchval(JOURNEY_APPLIED),
                                        total, CAP)  # fmt: skip
    note = f"{done:,}/{total:,} applied" + ("" if done >= total else f" (cut at {CAP}s)")
    report(Figure("reporting catching up from offset 0", rate, "events/s", note=note))
    report(Figure("  ... as a share of raw getmany + COPY", 100 * rate / raw, "%", 50))
    report(Figure("  ... as a multiple of the naive handler", rate / naive if naive else 0, "x", 5))


async def report_times(infra: Any) -> None:
    pupils = knob("BENCH_PUPILS", 50_000)
    bootstrap = infra.kafka_bootstrap_servers
    sent = await replay.publish(bootstrap, journeys.pupils(pupils, seed=8))
    total = await replay.held(bootstrap)
    print(f"  published {pupils:,} pupils' journeys ({sent:,} events); topics hold {total:,}")
    async with service("reporting", infra, **fresh_group("reports")) as app:
        inbox = app.state.runtime.pool
        done, rate = await replay.until(lambda: inbox.fetchval(JOURNEY_APPLIED),
                                        total, CAP)  # fmt: skip
        report(Figure(f"reporting building the model from offset 0 ({total:,} events)", rate,
                      "events/s", note=f"{done:,}/{total:,} applied"))  # fmt: skip
        held = await inbox.fetchval("SELECT count(*) FROM pupil_state")
        await reports.measure(app, held)


async def memory(infra: Any) -> None:
    bootstrap = infra.kafka_bootstrap_servers
    wanted = knob("BENCH_EVENTS", 1_000_000)
    have = await replay.held(bootstrap)
    if have < wanted:
        await replay.publish(bootstrap, journeys.generate(wanted - have, seed=9))
    total = await replay.held(bootstrap)
    async with processes.started("reporting", infra, tag="mem") as proc:
        dsn = database_dsn(infra.database_url, f"ap_reporting_procmem_{RUN}")
        # the consumer's inbox is the active read-model generation's, not public's: enter it as
        # the service's own connections do, or the count stays 0 however much is applied
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1, setup=generations.enter)
        peak = processes.rss_mb(proc.pid)

        async def applied() -> int:
            nonlocal peak
            peak = max(peak, processes.rss_mb(proc.pid))
            return int(await pool.fetchval(JOURNEY_APPLIED))

        done, rate = await replay.until(applied, total, CAP)
        await pool.close()
    note = f"{done:,}/{total:,} applied at {rate:,.0f}/s" + ("" if done >= total else ", cut short")
    report(Figure(f"reporting's peak RSS replaying {total:,} events", peak, "MiB", 300,
                  higher_is_better=False, note=note))  # fmt: skip


if __name__ == "__main__":
    chosen = set(os.environ.get("BENCH_ONLY", " ".join(SECTIONS)).split())
    asyncio.run(main(chosen))
