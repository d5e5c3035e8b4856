"""The per-event cost of each stage of reporting's apply, so the next bottleneck is visible.

`make bench-stages [EVENTS=100000]` (also run by `make bench`). Generated journeys (the bytes the
services publish) are applied in batches as the journey consumer applies them
(consumers.apply_journey_batch), each stage timed on its own inside the batch's transaction:
decode (JSON and envelope), validate (the event's model), insert (lock the pupils, record the
events), load (the touched pupils' timelines), derive (state and placement facts), save (states
and facts, set-wise). Measured here, never asserted.
"""

import asyncio
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import journeys
from ap_chassis.db import create_pool, ensure_database, migrate
from ap_chassis.infra import provision
from ap_reporting import consumers, placement_facts, projection, repository
from ap_reporting.app import MIGRATIONS
from ap_reporting.generations import READ_MODEL_MIGRATIONS
from ap_schemas.envelope import RawEvent
from ap_schemas.events import BY_TYPE, PupilEventData
from common import RUN, Figure, knob, report

BATCH = 500  # records per poll, as the consumers' batches


async def main(events: int) -> None:
    infra = provision(Path(tempfile.mkdtemp(prefix="ap-bench-stages-")))
    try:
        dsn = await ensure_database(infra.database_url, f"ap_reporting_stages_{RUN}")
        pool = await create_pool(dsn, max_size=2)
        await migrate(pool, [MIGRATIONS, READ_MODEL_MIGRATIONS])  # read models in public here
        records = [r for r in journeys.generate(events) if b'"journey.provider.' not in r[2][:400]]
        spent: dict[str, float] = defaultdict(float)
        applied = 0
        started = time.perf_counter()
        async with pool.acquire() as conn:
            for i in range(0, len(records), BATCH):
                applied += await _apply(conn, records[i : i + BATCH], spent)
        wall = time.perf_counter() - started
        await pool.close()
    finally:
        infra.close()
    print(f"apply stages: {applied:,} pupil events in batches of {BATCH}")
    for stage in ("decode", "validate", "insert", "load", "derive", "save"):
        report(Figure(f"  {stage}", 1e6 * spent[stage] / applied, "us/event", note=(
            f"{100 * spent[stage] / sum(spent.values()):.0f}% of the stages")))  # fmt: skip
    report(Figure("apply end to end (every stage, commits included)", applied / wall, "events/s"))


async def _apply(conn, batch, spent: dict[str, float]) -> int:  # type: ignore[no-untyped-def]
    """One batch through the stages of consumers._apply_pupil_events, each timed."""
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        spent[stage] += now - clock
        clock = now

    envelopes = [RawEvent.model_validate(json.loads(value)) for _, _, value in batch]
    lap("decode")
    events = [(e, BY_TYPE[e.type].model.model_validate(e.data)) for e in envelopes]
    pupils = [(e, d) for e, d in events if isinstance(d, PupilEventData)]
    lap("validate")
    async with conn.transaction():
        pupil_ids = sorted({d.pupil_id for _, d in pupils})
        await repository.lock_pupils(conn, pupil_ids)
        await repository.insert_events(conn, pupils)
        lap("insert")
        refacts = sorted({d.pupil_id for _, d in pupils
                          if isinstance(d, consumers.PLACEMENT_MODELS)})  # fmt: skip
        timelines = await repository.events_of_pupils(conn, pupil_ids)
        lap("load")
        states = {p: projection.project(timelines.get(p, [])) for p in pupil_ids}
        facts = [
            fact
            for p in refacts
            for fact in placement_facts.placements_of(
                map(projection.untyped, timelines.get(p, [])), str(p)
            )
        ]
        lap("derive")
        await repository.save_states(conn, states)
        if refacts:
            await repository.replace_placement_facts_of(conn, refacts, facts)
    lap("save")
    return len(pupils)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else knob("BENCH_EVENTS", 100_000)))
