"""Where a command's CPU goes: cProfile over POSTs to one service, grouped by library.

`uv run python bench/profile_commands.py referral 400` prints the share of CPU time spent in each
library (OpenTelemetry, Starlette, FastAPI, pydantic, asyncpg, aiokafka, the project) and the
number of spans a command makes. Run it on a quiet machine; it measures shares, not speed.
"""

import asyncio
import cProfile
import pstats
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import commands
import httpx
from ap_chassis.infra import provision
from ap_chassis.kafka import create_topics
from common import bearer, settings
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

GROUPS = ("opentelemetry", "starlette", "fastapi", "pydantic", "asyncpg", "aiokafka", "anyio",
          "httpx", "faststream", "ap_", "asyncio", "json", "jwt")  # fmt: skip


class Counting(SpanExporter):
    def __init__(self) -> None:
        self.names: Counter[str] = Counter()

    def export(self, spans):  # type: ignore[no-untyped-def]
        self.names.update(span.name for span in spans)
        return SpanExportResult.SUCCESS


def group_of(filename: str) -> str:
    for group in GROUPS:
        if f"/{group}" in filename:
            return group.rstrip("_")
    return "other"


async def main(name: str, n: int) -> None:
    infra = provision(Path(tempfile.mkdtemp(prefix="ap-profile-")))
    try:
        await create_topics(infra.kafka_bootstrap_servers)
        module = __import__(f"ap_{name}.app", fromlist=["create_app"])
        spans = Counting()
        app = module.create_app(settings(module, name, infra), span_exporter=spans)
        async with app.router.lifespan_context(app):
            await asyncio.wait_for(app.state.runtime.broker_ready.wait(), 60)
            if name == "outcomes":
                await commands.seed_placements(app, infra.kafka_bootstrap_servers)
            make = commands.COMMANDS[name]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://p") as client:
                for _ in range(20):
                    await commands.post(client, make)
                spans.names.clear()
                sem = asyncio.Semaphore(16)

                async def one() -> None:
                    async with sem:
                        path, body = make()
                        await client.post(path, json=body, headers=bearer())

                profile = cProfile.Profile()
                profile.enable()
                await asyncio.gather(*(one() for _ in range(n)))
                profile.disable()
            await asyncio.sleep(1)  # the relay's spans of the last commands
    finally:
        infra.close()
    stats = pstats.Stats(profile)
    own: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "epoll" in function or "select" in function:
            continue  # waiting for I/O, not CPU
        own[group_of(filename)] += tottime
        if group_of(filename) == "other":
            other[f"{filename}:{function}"] += tottime
    total = sum(own.values())
    print(f"{name}: {n} POSTs, CPU {total:.2f}s ({1000 * total / n:.2f} ms a command)")
    for group, seconds in own.most_common():
        print(f"  {group:<14} {100 * seconds / total:5.1f} %")
    print("  most of other:", ", ".join(f"{k} {v:.2f}s" for k, v in other.most_common(6)))
    print(f"spans a command: {sum(spans.names.values()) / n:.1f}")
    for span, count in spans.names.most_common(12):
        print(f"  {count / n:5.1f}  {span}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 400))
