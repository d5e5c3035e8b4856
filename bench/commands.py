"""Commands per service: POST p50 one at a time, and commands/s with 16 concurrent clients.

In-process over ASGI (no sockets), so this is the service's own cost: HTTP, validation, auth,
one transaction with the outbox row, and the relay publishing meanwhile.
"""

import asyncio
import itertools
import json
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import journeys
import replay
from ap_schemas.upn import check_letter
from common import Figure, bearer, ms, report

CONCURRENCY = 16
_upns = itertools.count(1)


def referral() -> tuple[str, dict[str, Any]]:
    digits = f"801{next(_upns):09d}"
    return "/v1/referrals", {
        "upn": check_letter(digits) + digits, "forename": "Bench", "surname": "Pupil",
        "date_of_birth": "2011-05-06", "sex": "U", "sen_provision": "N",
        "referrer": {"kind": "local_authority"}, "reason": "other", "tier_requested": 2,
        "referred_on": "2026-09-07", "home_school_urn": "100000",
    }  # fmt: skip


def provider() -> tuple[str, dict[str, Any]]:
    return "/v1/providers", {
        "name": f"Bench provider {next(_upns)}", "setting_type": "OTH", "registered": True,
    }  # fmt: skip


PLACEMENTS: list[tuple[str, str]] = []  # known to outcomes before its commands are timed


def review() -> tuple[str, dict[str, Any]]:
    placement_id, start = PLACEMENTS[next(_upns) % len(PLACEMENTS)]
    return "/v1/reviews", {
        "placement_id": placement_id, "reviewed_on": start, "attendance": {"possible_sessions": 40,
        "attended_sessions": 30}, "progress": "expected", "outcome": "continue",
    }  # fmt: skip


async def seed_placements(app: Any, bootstrap: str, count: int = 500) -> None:
    """Publish placements (as placement would) and wait until outcomes' replica holds them."""
    rng = random.Random(11)
    providers, _ = journeys.providers(5)
    placed = []
    while len(placed) < count:
        placed += [r for r in journeys.journey(rng, providers) if b"pupil.placed" in r[2]]
    await replay.publish(bootstrap, placed)
    data = [json.loads(v)["data"] for _, _, v in placed]
    PLACEMENTS[:] = [(d["placement_id"], d["start_date"]) for d in data]
    pool, ids = app.state.runtime.pool, [p for p, _ in PLACEMENTS]
    known = "SELECT count(*) FROM placement_replica WHERE placement_id = ANY($1::uuid[])"
    while await pool.fetchval(known, ids) < len(ids):
        await asyncio.sleep(0.2)


COMMANDS: dict[str, Callable[[], tuple[str, dict[str, Any]]]] = {
    "referral": referral,
    "placement": provider,
    "outcomes": review,
}


async def post(client: httpx.AsyncClient, make: Callable[[], tuple[str, dict[str, Any]]]) -> float:
    path, body = make()
    started = time.perf_counter()
    answer = await client.post(path, json=body, headers=bearer())
    took = time.perf_counter() - started
    if answer.status_code != 201:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
    return took


async def measure(app: Any, service: str, sequential: int = 150, concurrent: int = 800) -> None:
    make = COMMANDS[service]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(20):  # warm up: pool connections, caches, prepared statements
            await post(client, make)
        latencies = [await post(client, make) for _ in range(sequential)]
        report(Figure(f"{service}: POST {make()[0]} p50, sequential (n={sequential})",
                      ms(latencies, 50), "ms", 5, higher_is_better=False,
                      note=f"p95 {ms(latencies, 95):.1f} ms"))  # fmt: skip
        sem = asyncio.Semaphore(CONCURRENCY)

        async def one() -> float:
            async with sem:
                return await post(client, make)

        started = time.perf_counter()
        times = await asyncio.gather(*(one() for _ in range(concurrent)))
        rate = concurrent / (time.perf_counter() - started)
        report(Figure(f"{service}: commands/s, {CONCURRENCY} concurrent clients (n={concurrent})",
                      rate, "cmd/s", 1000, note=f"p50 {ms(list(times), 50):.1f} ms"))  # fmt: skip
