"""Report and dashboard page times on a read model of 50,000 pupils (`make bench-dashboard`).

The read model is filled directly (events, pupil state and placement facts computed by the
projection's own functions, then bulk-copied), not through Kafka: this measures the reports and
the pages, not the projection. Requests are made in-process (ASGI) with a signed-in session. The
machine is shared, so each figure is the best of BENCH_ROUNDS requests (default 7), printed with
its limit (a report <= 200 ms; a page <= 300 ms) and the ratio; never asserted.
"""

import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import astuple, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from ap_chassis.auth import issue_token
from ap_chassis.infra import provision
from ap_reporting import placement_facts, projection, repository
from ap_reporting.outcome_facts import outcome_facts_of
from ap_reporting.policy import policy
from ap_reporting.projection import JourneyEvent

SECRET = "bench-secret-" + "x" * 32
PUPILS = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
PROVIDERS = 40
SCHOOLS = [f"{100000 + i}" for i in range(120)]
TODAY = date.today()
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
REPORT_LIMIT_MS = 200
PAGE_LIMIT_MS = 300
# post-16 destination codes: education, employment, NEET, not known, custody (excluded), and an
# old pre-16 code the reports count as unrecognised
DESTINATION_CODES = (210, 220, 230, 320, 340, 410, 540, 810, 710, 130)


def journey(rng: random.Random, pupil: uuid.UUID, providers: list[str]) -> list[JourneyEvent]:
    """One pupil's events: referred, decided, mostly placed, reviewed, some ended and back."""
    referral = uuid.uuid4()
    day = TODAY - timedelta(days=rng.randint(20, 700))
    school = rng.choice(SCHOOLS)
    excluded = rng.random() < 0.1
    out = [JourneyEvent(uuid.uuid4(), "journey.pupil.referred.v1", day, {
        "pupil_id": str(pupil), "referral_id": str(referral), "referred_on": day.isoformat(),
        "referrer": {"kind": "school", "urn": school}, "home_school_urn": school,
        "reason": "permanent_exclusion" if excluded else "suspension",
        "excluded_on": (day - timedelta(days=1)).isoformat() if excluded else None,
        "tier_requested": rng.choice([1, 2, 3]), "sen_provision": "N",
    })]  # fmt: skip
    day += timedelta(days=rng.randint(1, 10))
    out.append(JourneyEvent(uuid.uuid4(), "journey.referral.decided.v1", day, {
        "pupil_id": str(pupil), "referral_id": str(referral), "decision": "accepted",
        "decided_on": day.isoformat()}))  # fmt: skip
    if rng.random() < 0.05:
        return out  # waiting for a placement
    placement = uuid.uuid4()
    start = day + timedelta(days=rng.randint(1, 14))
    commissioner = {"kind": "school", "urn": school} if rng.random() < 0.4 else {
        "kind": "local_authority", "urn": None}  # fmt: skip
    sessions = rng.choice([4, 6, 8, 10, 10, 10])
    unknown = rng.random() < 0.05  # cost not known: journey.pupil.placed.v2
    out.append(JourneyEvent(uuid.uuid4(), f"journey.pupil.placed.v{2 if unknown else 1}", start, {
        "pupil_id": str(pupil), "placement_id": str(placement), "referral_id": str(referral),
        "provider_id": rng.choice(providers), "commissioner": commissioner,
        "tier": rng.choice([1, 2, 3]), "start_date": start.isoformat(),
        "sessions_per_week": sessions, "cost": {"amount_pence": 6000, "per": "session"},
        "annual_cost_pence": None if unknown else 6000 * sessions * 39 + rng.randint(0, 364),
        "dual_registered": rng.random() < 0.5,
        "reason": "suspension",
    }))  # fmt: skip
    day = start
    for _ in range(rng.randint(0, 4)):
        day += timedelta(days=rng.randint(30, 60))
        if day >= TODAY:
            break
        out.append(JourneyEvent(uuid.uuid4(), "journey.placement.reviewed.v1", day, {
            "pupil_id": str(pupil), "placement_id": str(placement), "reviewed_on": day.isoformat(),
            "review_id": str(uuid.uuid4()),
            "attendance": {"possible_sessions": 40, "attended_sessions": rng.randint(10, 40)},
            "progress": "expected", "outcome": "continue"}))  # fmt: skip
    if rng.random() < 0.5 and day + timedelta(days=30) < TODAY:
        day += timedelta(days=rng.randint(1, 30))
        out.append(JourneyEvent(uuid.uuid4(), "journey.placement.ended.v1", day, {
            "pupil_id": str(pupil), "placement_id": str(placement), "end_date": day.isoformat(),
            "reason": "reintegrated"}))  # fmt: skip
        rid = uuid.uuid4()
        out.append(
            JourneyEvent(
                uuid.uuid4(),
                "journey.pupil.reintegrated.v1",
                day,
                {
                    "pupil_id": str(pupil),
                    "reintegration_id": str(rid),
                    "placement_id": str(placement),
                    "school_urn": school,
                    "reintegrated_on": day.isoformat(),
                    "mode": "full_time",
                },
            )
        )
        check = day + timedelta(days=rng.randint(60, 120))
        if check < TODAY and rng.random() < 0.7:
            out.append(JourneyEvent(uuid.uuid4(), "journey.reintegration.sustainment_checked.v1",
                                    check, {"pupil_id": str(pupil), "reintegration_id": str(rid),
                                            "checked_on": check.isoformat(),
                                            "sustained": rng.random() < 0.7}))  # fmt: skip
    if rng.random() < 0.3:  # post-16: one to three confirmations, some after the period
        on = TODAY - timedelta(days=rng.randint(30, 500))
        for _ in range(rng.randint(1, 3)):
            code = rng.choice(DESTINATION_CODES)
            out.append(
                JourneyEvent(
                    uuid.uuid4(),
                    "journey.destination.confirmed.v1",
                    on,
                    {
                        "pupil_id": str(pupil),
                        "destination_id": str(uuid.uuid4()),
                        "activity_code": code,
                        "confirmed_on": on.isoformat(),
                        "group": "as recorded",
                    },
                )
            )
            on += timedelta(days=rng.randint(60, 240))
            if on >= TODAY:
                break
    return out


async def fill(pool: Any) -> tuple[str, uuid.UUID]:
    rng = random.Random(7)
    providers = [str(uuid.uuid4()) for _ in range(PROVIDERS)]
    events, states, facts, outcomes = [], [], [], []
    sample = None
    rule = policy()
    for _ in range(PUPILS):
        pupil = uuid.uuid4()
        evs = journey(rng, pupil, providers)
        typed = [
            projection.typed(replace(e, data={**e.data, "occurred_at": e.occurred_at.isoformat()}))
            for e in evs
        ]
        state = projection.project(typed)
        placements = placement_facts.placements_of(evs, str(pupil))
        outcomes += [astuple(f) for f in outcome_facts_of(typed, placements, rule)]
        sample = sample or (pupil if state.status == "placed" else None)
        now = time.time()
        events += [(e.event_id, pupil, e.type, e.occurred_at, now, "bench", e.data) for e in evs]
        states.append((pupil, state.status, state.tier, list(state.school_urns),
                       list(state.provider_ids)))  # fmt: skip
        facts += [(uuid.UUID(f.placement_id), pupil, f.provider_id, f.commissioner, f.tier,
                   f.start_date, f.end_date, f.annual_cost_pence, f.sessions_per_week, f.reason,
                   f.home_school_urn) for f in placements]  # fmt: skip
    started = time.perf_counter()
    from datetime import UTC, datetime

    stamp = datetime.now(UTC)
    async with pool.acquire() as conn:
        # jsonb has no binary COPY encoder: copy JSON text into staging tables, then cast
        await conn.execute(
            "CREATE TEMP TABLE p (provider_id uuid, details text);"
            " CREATE TEMP TABLE e (event_id uuid, pupil_id uuid, type text,"
            " occurred_at date, recorded_at timestamptz, source text, data text)"
        )
        await conn.copy_records_to_table("p", records=[
            (uuid.UUID(p), json.dumps({"name": f"Provider {i}", "registered": i % 5 != 0}))
            for i, p in enumerate(providers)])  # fmt: skip
        await conn.copy_records_to_table(
            "e", records=[(*e[:4], stamp, e[5], json.dumps(e[6])) for e in events]
        )
        await conn.execute("INSERT INTO providers SELECT provider_id, details::jsonb FROM p")
        await conn.execute(  # their registrations, so the provider reports know them
            "INSERT INTO provider_events SELECT gen_random_uuid(), provider_id,"
            " 'journey.provider.registered.v1', current_date - 800, now(),"
            " details::jsonb || jsonb_build_object('provider_id', provider_id) FROM p"
        )
        await conn.execute(
            "INSERT INTO journey_events SELECT event_id, pupil_id, type,"
            " occurred_at, recorded_at, source, data::jsonb FROM e"
        )
        await conn.copy_records_to_table("pupil_state", records=states, columns=[
            "pupil_id", "status", "tier", "school_urns", "provider_ids"])  # fmt: skip
        await conn.copy_records_to_table(
            "placement_facts",
            records=facts,
            columns=[
                "placement_id",
                "pupil_id",
                "provider_id",
                "commissioner",
                "tier",
                "start_date",
                "end_date",
                "annual_cost_pence",
                "sessions_per_week",
                "reason",
                "home_school_urn",
            ],
        )
        await conn.copy_records_to_table(
            "outcome_facts",
            records=[(*o[:4], o[4] and uuid.UUID(o[4]), *o[5:]) for o in outcomes],
            columns=repository.OUTCOME_FACT_COLUMNS,
        )
        await conn.execute("ANALYZE")
    print(f"read model: {PUPILS:,} pupils, {len(events):,} events, {len(facts):,} placements"
          f" (copied in {time.perf_counter() - started:.1f}s)")  # fmt: skip
    assert sample is not None
    return providers[0], sample


async def timed(client: httpx.AsyncClient, path: str, **kw: Any) -> tuple[float, int]:
    t = time.perf_counter()
    r = await client.get(path, **kw)
    ms = (time.perf_counter() - t) * 1000
    assert r.status_code == 200, (path, r.status_code, r.text[:200])
    return ms, len(r.content)


def line(name: str, best: float, median: float, limit: int, extra: str = "") -> str:
    verdict = "ok" if best <= limit else "OVER"
    return (f"  {name:<34} best {best:7.0f}  median {median:7.0f}  limit {limit:4d}"
            f"  ratio {best / limit:5.2f} {verdict:<4} {extra}")  # fmt: skip


async def measure(app: Any, client: httpx.AsyncClient, pupil: uuid.UUID, provider: str) -> None:
    from ap_reporting.ui.cache import PageCache

    year = f"from={TODAY - timedelta(days=364)}&to={TODAY}"
    officer = {"Authorization": f"Bearer {issue_token(SECRET, sub='bench', role='la_officer')}"}
    print(f"report times, best and median of {ROUNDS} requests (ms; in-process ASGI, this shared"
          " machine):")  # fmt: skip
    paths = (f"/v1/outcomes?{year}", f"/v1/costs?{year}&by=commissioner",
             f"/v1/costs?{year}&by=provider", f"/v1/costs?{year}&by=tier", "/v1/caseload",
             f"/v1/sufficiency?{year}", f"/v1/providers/{provider}/outcomes?{year}",
             f"/v1/returns/ap-census?census_date={TODAY}&allow_any_date=true&format=csv",
             f"/v1/returns/ap-census/validation?census_date={TODAY}&allow_any_date=true",
             f"/v1/returns/school-census-ap?urn=100000&term=autumn&year={TODAY.year - 1}",
             )  # fmt: skip
    for path in paths:
        times = [(await timed(client, path, headers=officer))[0] for _ in range(ROUNDS)]
        name = path.split("?")[0].replace(provider, "{id}").replace("/v1/returns", "")
        print(line(name + (f" by={path.rsplit('=', 1)[1]}" if "by=" in path else ""),
                   min(times), statistics.median(times), REPORT_LIMIT_MS))  # fmt: skip
    print(f"page times (ms): built = the page cache emptied before each of {ROUNDS} requests;"
          " cached = the next request")  # fmt: skip
    for path in (f"/ui/?{year}", f"/ui/money?{year}", f"/ui/outcomes?{year}",
                 "/ui/actions", f"/ui/pupils/{pupil}", f"/ui/providers/{provider}?{year}",
                 f"/ui/money?{year}&format=xlsx"):  # fmt: skip
        built, cached = [], []
        for _ in range(ROUNDS):
            app.state.ui_pages = PageCache()
            built.append((await timed(client, path))[0])
            ms, size = await timed(client, path)
            cached.append(ms)
        name = path.split("?")[0] + ("?format=xlsx" if "xlsx" in path else "")
        name = name.replace(str(pupil), "{id}").replace(provider, "{id}")
        print(line(name, min(built), statistics.median(built), PAGE_LIMIT_MS,
                   f"cached median {statistics.median(cached):4.0f} ({size:,} bytes)"))  # fmt: skip


async def main() -> None:
    import ap_reporting.app as reporting

    infra = provision(Path(tempfile.mkdtemp(prefix="ap-bench-ui-")))
    try:
        app = reporting.create_app(reporting.Settings(
            JOURNEY_ENVIRONMENT="test", JOURNEY_JWT_SECRET=SECRET,
            database_url=infra.database_url, log_level="WARNING",
            database_name=f"ap_reporting_uibench_{secrets.token_hex(3)}",
            kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        ))  # fmt: skip
        async with app.router.lifespan_context(app):
            provider, pupil = await fill(app.state.runtime.pool)
            cookie = {"ap_session": issue_token(SECRET, sub="bench", role="la_officer")}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                         cookies=cookie) as client:  # fmt: skip
                await measure(app, client, pupil, provider)
    finally:
        infra.close()


if __name__ == "__main__":
    asyncio.run(main())
