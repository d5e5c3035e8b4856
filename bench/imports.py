"""Import throughput: a school's 10,000-row census AP file of school-arranged AP, printed.

`make bench` (or `uv run python bench/imports.py [ROWS]`). Runs the referral and placement
services in this process on the discovered infrastructure and reports, from the import's own
progress: rows validated per second (parse + every check) and rows applied per second. A census
row is school-arranged AP: two commands through the APIs (the school-arranged referral at
referral, accepted by the school as it is made; the placement at placement, once the acceptance
has reached placement). Beside it, in the same run, the service's own command rate: referrals
posted one at a time. `BENCH_IMPORT_LAYOUTS=school_census_ap,journey` also times the `journey`
layout (referral, the LA's decision, placement per row). Nothing is asserted: the figures are
this machine's.
"""

import asyncio
import csv
import io
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import httpx
from ap_chassis.auth import issue_token
from ap_chassis.infra import provision
from ap_chassis.kafka import create_topics
from ap_schemas.upn import check_letter

SECRET = "bench-secret-" + "x" * 32
RUN = secrets.token_hex(3)
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
LAYOUTS = os.environ.get("BENCH_IMPORT_LAYOUTS", "school_census_ap").split(",")
SCHOOL = "135790"
COMMANDS_PER_ROW = {"school_census_ap": 2, "journey": 3}


def settings(module: object, name: str, infra: object) -> object:
    return module.Settings(  # type: ignore[attr-defined]
        JOURNEY_ENVIRONMENT="test", JOURNEY_JWT_SECRET=SECRET,
        database_url=infra.database_url,  # type: ignore[attr-defined]
        database_name=f"ap_{name}_ibench_{RUN}",
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,  # type: ignore[attr-defined]
        kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=500, log_level="WARNING",
        import_decision_wait_seconds=120,
    )  # fmt: skip


def journey_file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([
        "upn", "forename", "surname", "date_of_birth", "sex", "sen_provision", "referrer_kind",
        "reason", "tier_requested", "referred_on", "decision", "decided_on",
        "provider_setting_type", "commissioner_kind", "tier", "start_date", "sessions_per_week",
        "cost_pence", "cost_per", "dual_registered",
    ])  # fmt: skip
    seed = secrets.randbelow(10**6)
    for i in range(rows):
        digits = f"801{(seed * 100_000 + i) % 10**9:09d}"
        writer.writerow([
            check_letter(digits) + digits, "Bench", "Pupil", "06/05/2011", "U", "N",
            "local_authority", "other", 2, "07/09/2026", "accepted", "08/09/2026", "OOT",
            "local_authority", 2, "14/09/2026", 5, 6500, "session", "false",
        ])  # fmt: skip
    return out.getvalue().encode()


def census_file(rows: int) -> bytes:
    """A school's census AP module export: every row AP the school arranged itself."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([
        "upn", "forename", "surname", "date_of_birth", "sex", "apsettingtype", "entrydate",
        "placementreason", "apattendancepattern", "apsessionsperweek", "senprovisionentry",
        "noticegivenon",
    ])  # fmt: skip
    seed = secrets.randbelow(10**6)
    for i in range(rows):
        digits = f"802{(seed * 100_000 + i) % 10**9:09d}"
        writer.writerow([
            check_letter(digits) + digits, "Bench", "Pupil", "06/05/2011", "U", "OOT",
            "14/09/2026", "SUS", "PT", 5, "N", "09/09/2026",
        ])  # fmt: skip
    return out.getvalue().encode()


FILES = {"school_census_ap": census_file, "journey": journey_file}


async def timed_import(
    client: httpx.AsyncClient, layout: str, content: bytes, headers: dict[str, str]
) -> tuple[dict[str, object], float, float]:
    """Import one file and poll it: its final state, seconds validating, seconds applying."""
    started = time.perf_counter()
    answer = await client.post(
        "/v1/imports", files={"file": ("bench.csv", content)}, data={"layout": layout},
        headers=headers,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    import_id = answer.json()["import_id"]
    validated_at = None
    while True:
        state = (await client.get(f"/v1/imports/{import_id}", headers=headers)).json()
        if validated_at is None and state["status"] != "validating":
            validated_at = time.perf_counter()
        if state["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.25)
    finished = time.perf_counter()
    validated_at = validated_at or finished
    return state, validated_at - started, finished - validated_at


async def main() -> None:
    import ap_placement.app as placement
    import ap_referral.app as referral

    infra = provision(Path(tempfile.mkdtemp(prefix="ap-ibench-")))
    print(f"infrastructure: {infra.origin}")
    try:
        await create_topics(infra.kafka_bootstrap_servers)
        ref_app = referral.create_app(settings(referral, "referral", infra))  # type: ignore[arg-type]
        pla_app = placement.create_app(settings(placement, "placement", infra))  # type: ignore[arg-type]
        pla_app.state.referral_transport = httpx.ASGITransport(app=ref_app)
        headers = {"Authorization": "Bearer " + issue_token(SECRET, sub="bench", role="la_officer")}
        school = {"Authorization": "Bearer " + issue_token(
            SECRET, sub="bench-school", role="school", urn=SCHOOL)}  # fmt: skip
        async with (
            ref_app.router.lifespan_context(ref_app),
            pla_app.router.lifespan_context(pla_app),
        ):
            for app in (ref_app, pla_app):
                await asyncio.wait_for(app.state.runtime.broker_ready.wait(), 60)
            results = []
            transport = httpx.ASGITransport(app=pla_app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                for layout in LAYOUTS:
                    content = FILES[layout](ROWS)
                    who = school if layout == "school_census_ap" else headers
                    state, validating, applying = await timed_import(client, layout, content, who)
                    results.append((layout, len(content), state, validating, applying))
            # the service's own command rate here, one command at a time, for comparison
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=ref_app), base_url="http://r"
            ) as client:
                rows = list(csv.DictReader(io.StringIO(journey_file(100).decode())))
                t = time.perf_counter()
                for row in rows:
                    r = await client.post("/v1/referrals", headers=headers, json={
                        "upn": row["upn"], "forename": "B", "surname": "P",
                        "date_of_birth": "2011-05-06", "sex": "U", "sen_provision": "N",
                        "referrer": {"kind": "local_authority"}, "reason": "other",
                        "tier_requested": 2, "referred_on": "2026-09-07",
                    })  # fmt: skip
                    assert r.status_code == 201, r.text
                single = len(rows) / (time.perf_counter() - t)
        for layout, size, state, validating, applying in results:
            applied = int(state["applied"])  # type: ignore[call-overload]
            commands = state["progress"]["commands_applied"]  # type: ignore[index]
            print(f"{layout}: {ROWS} rows, {size / 1e6:.1f} MB CSV; status {state['status']}:"
                  f" applied {applied}, refused {state['refused']},"
                  f" awaiting {state['awaiting']}")  # fmt: skip
            print(f"  validated: {ROWS / validating:.0f} rows/s ({validating:.1f} s, parse +"
                  " every check)")  # fmt: skip
            print(f"  applied: {applied / applying:.0f} rows/s ({commands / applying:.0f}"
                  f" commands/s, {COMMANDS_PER_ROW[layout]} per row, {applying:.1f} s);"
                  f" the API one command at a time: {single:.0f} commands/s"
                  f" (ratio {commands / applying / single:.2f})")  # fmt: skip
    finally:
        await drop_databases(infra.database_url)
        infra.close()


async def drop_databases(server_url: str) -> None:
    """This run's databases, so repeated benchmarks leave nothing behind."""
    import asyncpg
    from ap_chassis.db import database_dsn

    conn = await asyncpg.connect(database_dsn(server_url, "postgres"))
    try:
        for name in (f"ap_referral_ibench_{RUN}", f"ap_placement_ibench_{RUN}"):
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
