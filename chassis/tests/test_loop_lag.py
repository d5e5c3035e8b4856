"""The event-loop lag watcher: overshoot arithmetic, and a real stall seen by the watcher."""

import asyncio
import time

import pytest
from ap_chassis.loop_lag import overshoot, watch


def test_overshoot_is_the_lateness_never_negative() -> None:
    assert overshoot(0.1, 10.0, 10.35) == pytest.approx(0.25)
    assert overshoot(0.1, 10.0, 10.05) == 0.0


async def test_a_blocking_stretch_is_recorded_as_lag() -> None:
    seen: list[float] = []
    task = asyncio.create_task(watch(seen.append, interval=0.01))
    await asyncio.sleep(0.05)
    time.sleep(0.2)  # noqa: ASYNC251 - the stall under test: block the loop on purpose
    await asyncio.sleep(0.05)
    task.cancel()
    assert max(seen) >= 0.15
