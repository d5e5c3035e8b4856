"""Report times on a read model reporting built itself, by consuming published journeys."""

import statistics
import time
from datetime import date, timedelta
from typing import Any

import httpx
from common import Figure, bearer, report

ROUNDS = 5


async def sample_ids(app: Any) -> tuple[str, str]:
    pool = app.state.runtime.pool
    pupil = await pool.fetchval("SELECT pupil_id FROM pupil_state WHERE status = 'placed' LIMIT 1")
    provider = await pool.fetchval("SELECT provider_id FROM providers LIMIT 1")
    return str(pupil), str(provider)


async def measure(app: Any, pupils: int) -> None:
    today = date.today()
    year = f"from={today - timedelta(days=364)}&to={today}"
    pupil, provider = await sample_ids(app)
    paths = [
        "/v1/caseload",
        f"/v1/costs?{year}",
        f"/v1/costs?{year}&by=provider",
        f"/v1/outcomes?{year}",
        f"/v1/sufficiency?{year}",
        f"/v1/providers/{provider}/outcomes?{year}",
        f"/v1/pupils/{pupil}/timeline",
        f"/v1/returns/ap-census?census_date={today}&allow_any_date=true&format=csv",
        f"/v1/returns/school-census-ap?urn=100000&term=autumn&year={today.year - 1}",
    ]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for path in paths:
            times, status = [], 0
            for _ in range(ROUNDS):
                started = time.perf_counter()
                answer = await client.get(path, headers=bearer())
                times.append(time.perf_counter() - started)
                status = answer.status_code
            name = path.split("?")[0].replace(pupil, "{id}").replace(provider, "{id}")
            name += "?by=provider" if "by=provider" in path else ""
            note = f"first {times[0] * 1000:.0f} ms, {len(answer.content):,} bytes"
            if status != 200:
                note = f"answered {status}: {answer.text[:80]}"
            report(Figure(f"report {name} on {pupils:,} pupils (median of {ROUNDS})",
                          statistics.median(times) * 1000, "ms", 200, higher_is_better=False,
                          note=note))  # fmt: skip
