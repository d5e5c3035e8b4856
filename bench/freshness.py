"""Freshness: a command accepted by referral -> its event visible in reporting's read model,
while commands arrive at a steady rate (open loop: one every 1/rate s, not waiting for answers)."""

import asyncio
import time
from typing import Any

import commands
import httpx
from common import Figure, bearer, ms, report


async def measure(referral: Any, reporting: Any, rate: float = 200, seconds: float = 10) -> None:
    accepted: dict[str, float] = {}
    seen: dict[str, float] = {}
    transport = httpx.ASGITransport(app=referral)
    pool = reporting.state.runtime.pool
    done = asyncio.Event()

    async def watch() -> None:
        while not (done.is_set() and len(seen) >= len(accepted)):
            pending = [p for p in accepted if p not in seen]
            if pending:
                rows = await pool.fetch(
                    "SELECT DISTINCT pupil_id::text AS p FROM journey_events"
                    " WHERE pupil_id = ANY($1::uuid[])",
                    pending,
                )
                now = time.perf_counter()
                for row in rows:
                    seen[row["p"]] = now
            await asyncio.sleep(0.002)

    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def one() -> None:
            path, body = commands.referral()
            answer = await client.post(path, json=body, headers=bearer())
            if answer.status_code == 201:
                accepted[answer.json()["pupil_id"]] = time.perf_counter()

        watcher = asyncio.create_task(watch())
        tasks = []
        started = time.perf_counter()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        achieved = len(accepted) / (time.perf_counter() - started)
        done.set()
        try:
            await asyncio.wait_for(watcher, 60)
        except TimeoutError:
            pass
    lags = [seen[p] - accepted[p] for p in accepted if p in seen]
    note = f"{achieved:.0f} commands/s accepted, {len(lags)}/{len(accepted)} seen"
    report(Figure(f"freshness accepted -> visible in reporting, p50 (at {rate:.0f}/s offered)",
                  ms(lags, 50), "ms", 50, higher_is_better=False, note=note))  # fmt: skip
    report(Figure(f"freshness accepted -> visible in reporting, p99 (at {rate:.0f}/s offered)",
                  ms(lags, 99), "ms", 200, higher_is_better=False, note=note))  # fmt: skip
