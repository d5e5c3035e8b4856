"""The same interleaving property as test_projection.py, through the real consumer code path on
PostgreSQL: deliveries cut into batches of any size, each batch one transaction of inbox claims +
the set-wise batch projection (`apply_new` + `apply_journey_batch`, as the chassis runs them)."""

import asyncio

from ap_chassis.consumer import apply_new
from ap_chassis.db import create_pool, set_pool_setup
from ap_reporting import consumers, generations, repository
from ap_reporting.outcome_facts import OutcomeFact
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from journeys import Journey, deliveries, journeys
from reporting_reference import ReadModel, replay


async def _deliver_and_read(dsn: str, batches, pupils: list[Journey]):
    pool = await create_pool(dsn, max_size=2)
    set_pool_setup(pool, generations.enter)  # the active read-model schema, as the service's
    try:
        for batch in batches:
            async with pool.acquire() as conn, conn.transaction():
                events = [(envelope, envelope.data) for envelope in batch]
                await apply_new(conn, "property-test", consumers.apply_journey_batch, events)
        out = {}
        async with pool.acquire() as conn:
            for journey in pupils:
                state = await repository.get_state(conn, journey.pupil_id)
                rows = await repository.pupil_events(conn, journey.pupil_id)
                facts = await conn.fetch(
                    "SELECT * FROM outcome_facts WHERE pupil_id = $1"
                    " ORDER BY occurred_at, event_id",
                    journey.pupil_id,
                )
                out[journey.pupil_id] = (state, [r["event_id"] for r in rows], [
                    OutcomeFact(**{**dict(f), "placement_id": f["placement_id"] and
                                   str(f["placement_id"])}) for f in facts
                ])  # fmt: skip
        return out
    finally:
        await pool.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), pupils=st.lists(journeys(), min_size=1, max_size=3))
def test_sql_projection_is_the_same_for_any_interleaving(
    services, data: st.DataObject, pupils: list[Journey]
) -> None:
    dsn = services.apps["reporting"].state.runtime.dsn
    delivered = data.draw(deliveries(pupils))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(len(delivered) - 1, 1)), max_size=6)))
    batches = [delivered[a:b] for a, b in zip([0, *cuts], [*cuts, len(delivered)], strict=True)]
    expected: ReadModel = replay([e for j in pupils for e in j.events])
    got = asyncio.run(_deliver_and_read(dsn, batches, pupils))
    for journey in pupils:
        state, timeline, outcome_facts = got[journey.pupil_id]
        assert state == expected.state(journey.pupil_id)
        assert outcome_facts == expected.outcome_facts(journey.pupil_id)
        assert state.status == journey.final_status
        assert timeline == expected.timeline(journey.pupil_id)
