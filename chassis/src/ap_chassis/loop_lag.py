"""Event-loop lag: how late a timer fires, the stall every coroutine of the process shares.

A service runs HTTP, the relay and its consumers on one loop; a CPU-bound stretch in any of them
delays all the others. Sleeping `interval` and measuring the overshoot observes that delay
without instrumenting anything else, at the cost of one wake-up per interval.
"""

import asyncio
import time
from collections.abc import Callable


def overshoot(asked: float, started: float, woke: float) -> float:
    """Seconds a sleep of `asked` seconds begun at `started` woke up late (never negative)."""
    return max(0.0, woke - started - asked)


async def watch(
    record: Callable[[float], None],
    *,
    interval: float = 0.1,
    clock: Callable[[], float] = time.perf_counter,
) -> None:
    """Run until cancelled, recording each wake-up's lateness in seconds."""
    while True:
        started = clock()
        await asyncio.sleep(interval)
        record(overshoot(interval, started, clock()))
