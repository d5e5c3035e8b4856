"""`make bench`: every figure of issue 8, measured side by side in one run on this machine.

Each figure is printed with its limit and ratio as it is measured, then again in a summary.
Nothing is asserted: tests assert correctness, this prints speed. Infrastructure is found as the
tests find it (environment, Docker, embedded). Knobs (environment):
  BENCH_ONLY="relay commands ..."  run some sections only (relay commands freshness replay
                                    reports memory)
  BENCH_EVENTS=1000000             events in the memory run (10^6 by default)
  BENCH_PUPILS=50000               pupils in the reports' read model
  BENCH_REPLAY=20000               events in the replay-rate comparison
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

sys.path.insert(0, str(Path(__file__).parent))

import commands
import relay
from ap_chassis.infra import provision
from ap_chassis.kafka import create_topics
from common import RUN, settings, summary

SECTIONS = ("relay", "commands", "freshness", "replay", "reports", "memory")


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
        if "relay" in only:
            print("relay")
            async with service("referral", infra, database_name=f"ap_relay_bench_{RUN}") as app:
                await relay.run(app, infra.kafka_bootstrap_servers)
        if "commands" in only:
            print("commands")
            for name in commands.COMMANDS:
                async with service(name, infra) as app:
                    if name == "outcomes":
                        await commands.seed_placements(app, infra.kafka_bootstrap_servers)
                    await commands.measure(app, name)
    finally:
        infra.close()
    summary()
    print(f"\nbench took {time.perf_counter() - started:.0f}s; load average after: "
          f"{os.getloadavg()}")  # fmt: skip


if __name__ == "__main__":
    chosen = set(os.environ.get("BENCH_ONLY", " ".join(SECTIONS)).split())
    asyncio.run(main(chosen))
