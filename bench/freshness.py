"""Freshness: a command accepted by referral -> its event visible in reporting's read model.

Each service runs as its own process (uvicorn, as `make run` starts them), so a command's HTTP
work and reporting's consumer do not share one event loop, as they never do in production.
Commands arrive open loop at a steady rate (one every 1/rate s, not waiting for answers); rate 0
is one command at a time, each waited for. While the load runs, each process's event-loop lag is
read from its own `/metrics`.
"""

import asyncio
import time
from typing import Any

import commands
import httpx
from common import Figure, bearer, ms, report

SEEN = "SELECT DISTINCT pupil_id::text AS p FROM journey_events WHERE pupil_id = ANY($1::uuid[])"


async def measure(client: httpx.AsyncClient, pool: Any, rate: float, seconds: float = 10) -> None:
    """Offer referrals at `rate`/s for `seconds` (rate 0: 100 one at a time) and report p50/p99
    of accepted -> visible, with the rate achieved and the 503s."""
    accepted: dict[str, float] = {}
    seen: dict[str, float] = {}
    refused = failed = 0
    done = asyncio.Event()

    async def watch() -> None:
        while not (done.is_set() and len(seen) >= len(accepted)):
            pending = [p for p in accepted if p not in seen]
            if pending:
                rows = await pool.fetch(SEEN, pending)
                now = time.perf_counter()
                for row in rows:
                    seen[row["p"]] = now
            await asyncio.sleep(0.002)

    async def one() -> None:
        nonlocal refused, failed
        path, body = commands.referral()
        try:
            answer = await client.post(path, json=body, headers=bearer())
        except httpx.HTTPError:
            failed += 1  # the connection itself failed (reset, timeout): counted, not hidden
            return
        if answer.status_code == 201:
            accepted[answer.json()["pupil_id"]] = time.perf_counter()
        elif answer.status_code == 503:
            refused += 1

    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    if rate == 0:
        for _ in range(100):
            await one()
            while len(seen) < len(accepted) and not watcher.done():
                await asyncio.sleep(0.001)
    else:
        tasks = []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    achieved = len(accepted) / (time.perf_counter() - started)
    done.set()
    try:
        await asyncio.wait_for(watcher, 60)
    except TimeoutError:
        watcher.cancel()
    if watcher.done() and not watcher.cancelled() and watcher.exception():
        raise RuntimeError("watching reporting failed") from watcher.exception()
    lags = [seen[p] - accepted[p] for p in accepted if p in seen]
    offered = "one at a time" if rate == 0 else f"{rate:.0f}/s offered"
    note = (f"{achieved:.0f}/s accepted, {refused} x 503, {failed} failed connections,"
            f" {len(lags)}/{len(accepted)} seen")  # fmt: skip
    report(Figure(f"freshness accepted -> visible in reporting, p50 ({offered})",
                  ms(lags, 50), "ms", 50, higher_is_better=False, note=note))  # fmt: skip
    report(Figure(f"freshness accepted -> visible in reporting, p99 ({offered})",
                  ms(lags, 99), "ms", 200, higher_is_better=False, note=note))  # fmt: skip


def histogram(text: str, name: str) -> list[tuple[float, float]]:
    """(upper bound, cumulative count) of a Prometheus histogram in a /metrics page."""
    buckets = []
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket{{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if bound == "+Inf" else float(bound),
                            float(line.rsplit(" ", 1)[1])))  # fmt: skip
    return buckets


def quantile(before: list[tuple[float, float]], after: list[tuple[float, float]],
             q: float) -> float:  # fmt: skip
    """The upper bound of the bucket holding quantile `q` of what was observed in between."""
    counts = [(bound, n - m) for (bound, n), (_, m) in zip(after, before, strict=True)]
    total = counts[-1][1] if counts else 0
    for bound, n in counts:
        if total and n >= q * total:
            return bound
    return 0.0


async def loop_lag(url: str) -> list[tuple[float, float]]:
    async with httpx.AsyncClient(base_url=url) as client:
        return histogram((await client.get("/metrics")).text, "journey_event_loop_lag_seconds")
