"""The fault suite's bounded form, run with the rest: three quick scenarios on the in-process
platform, each audited by event id (make faults runs every scenario on real processes)."""

import pytest
from ap_chassis.db import database_dsn

from tests.e2e.faults.faultkit import (
    SERVICES,
    Platform,
    paused,
    poison,
    scenario,
    table,
    terminate_db_connections,
)
from tests.support.platform import RUN

pytestmark = pytest.mark.faults


def in_process(services, infra) -> Platform:
    async def pause(name: str) -> None:
        for consumer in services.apps[name].state.runtime.consumers:
            for subscriber in consumer.subscribers:
                subscriber.consumer.pause(*subscriber.consumer.assignment())

    async def resume(name: str) -> None:
        for consumer in services.apps[name].state.runtime.consumers:
            for subscriber in consumer.subscribers:
                subscriber.consumer.resume(*subscriber.consumer.assignment())

    return Platform(
        clients=dict(services.clients),
        dsns={n: database_dsn(infra.database_url, f"ap_{n}_{RUN}") for n in SERVICES},
        bootstrap=infra.kafka_bootstrap_servers,
        pause=pause,
        resume=resume,
    )


@pytest.mark.parametrize(
    ("name", "fault"),
    [
        ("database connections terminated", terminate_db_connections),
        ("poison of each kind", poison),
        ("reporting consumers paused 3s", paused("reporting", 3.0)),
    ],
)
async def test_fault_scenario_loses_nothing_doubles_nothing_and_recovers(
    services, infra, name, fault
):
    result = await scenario(name, in_process(services, infra), fault, load_seconds=3.0)
    print("\n" + table([result]))
    assert result.accepted > 0
    assert (result.lost, result.doubled, result.unclean) == (0, 0, 0), result
    assert result.recover_seconds is not None
