"""Commands per service: POST p50 one at a time, and commands/s at 1, 16 and 64 clients beside
a bare FastAPI + asyncpg route on the same box, with the count of 503s.

In-process over ASGI (no sockets), so this is the service's own cost: HTTP, validation, auth,
one transaction with the outbox row, and the relay publishing meanwhile.
"""

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import journeys
import replay
from ap_schemas.upn import check_letter
from common import Figure, bearer, ms, report
from fastapi import FastAPI

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
    """One command; its latency in seconds, or -1 for a 503 (the service refused it: overload)."""
    path, body = make()
    started = time.perf_counter()
    answer = await client.post(path, json=body, headers=bearer())
    took = time.perf_counter() - started
    if answer.status_code == 503:
        return -1.0
    if answer.status_code != 201:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
    return took


def bare(dsn: str, pool_size: int) -> FastAPI:
    """The stack's limit: a bare FastAPI route doing one `INSERT ... RETURNING` through asyncpg,
    on the same database server, with the services' pool size. No auth, outbox or tracing."""
    state: dict[str, asyncpg.Pool] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=pool_size)
        await state["pool"].execute(
            "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body jsonb NOT NULL)"
        )
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/bare", status_code=201)
    async def insert(body: dict[str, Any]) -> dict[str, int]:
        row_id = await state["pool"].fetchval(
            "INSERT INTO bench_bare (body) VALUES ($1::jsonb) RETURNING id", json.dumps(body)
        )
        return {"id": row_id}

    return app


def bare_command() -> tuple[str, dict[str, Any]]:
    return "/v1/bare", referral()[1]


async def rate(
    app: Any, make: Callable[[], tuple[str, dict[str, Any]]], clients: int, n: int
) -> tuple[float, int, float]:
    """Commands/s with `clients` concurrent clients over `n` commands, the 503 count, and p50 ms."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(20):  # warm up: pool connections, caches, prepared statements
            await post(client, make)
        sem = asyncio.Semaphore(clients)

        async def one() -> float:
            async with sem:
                return await post(client, make)

        started = time.perf_counter()
        times = await asyncio.gather(*(one() for _ in range(n)))
        took = time.perf_counter() - started
    ok = [t for t in times if t >= 0]
    return len(ok) / took, len(times) - len(ok), ms(ok, 50) if ok else 0.0


CLIENTS = (1, 16, 64)


async def baseline(dsn: str, pool_size: int) -> dict[int, float]:
    """The bare route's commands/s at each client count (the limit the services are held to)."""
    app = bare(dsn, pool_size)
    rates = {}
    async with app.router.lifespan_context(app):
        for clients in CLIENTS:
            value, refused, p50 = await rate(app, bare_command, clients, 150 * min(clients, 8))
            rates[clients] = value
            report(Figure(f"bare FastAPI + asyncpg INSERT, {clients} client(s)", value, "cmd/s",
                          note=f"p50 {p50:.1f} ms, {refused} x 503"))  # fmt: skip
    return rates


async def measure(app: Any, service: str, limits: dict[int, float], sequential: int = 150) -> None:
    """Sequential p50, then commands/s at 1, 16 and 64 clients beside half the bare route's."""
    make = COMMANDS[service]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(20):
            await post(client, make)
        latencies = [await post(client, make) for _ in range(sequential)]
    report(Figure(f"{service}: POST {make()[0]} p50, sequential (n={sequential})",
                  ms(latencies, 50), "ms", 5, higher_is_better=False,
                  note=f"p95 {ms(latencies, 95):.1f} ms"))  # fmt: skip
    for clients in CLIENTS:
        value, refused, p50 = await rate(app, make, clients, 150 * min(clients, 8))
        report(Figure(f"{service}: commands/s, {clients} client(s) (>= 50% of bare)", value,
                      "cmd/s", 0.5 * limits[clients],
                      note=f"p50 {p50:.1f} ms, {refused} x 503"))  # fmt: skip
