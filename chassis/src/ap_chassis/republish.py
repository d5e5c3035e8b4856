"""`make republish`: publish again from the outbox what the broker no longer holds.

    python -m ap_chassis.republish [--service referral ...] [--everything]

For each publishing service's database (on DATABASE_URL), compares the records the broker holds
per topic (KAFKA_BOOTSTRAP_SERVERS, sum of end offsets) with the rows the outbox has sent there,
and marks the rows of every topic that came up short as unsent; the service's relay then publishes
them in their original order with their original event ids (at once when it is running, else at
its next start). `--everything` marks every sent row whatever the broker holds. The relays do the
same check by themselves at start-up and every OUTBOX_CHECK_SECONDS; this is the manual lever.
"""

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from opentelemetry.sdk.trace import TracerProvider

from .db import create_pool, database_dsn
from .kafka import create_broker, end_offsets_reader, probe_consumers
from .outbox import republish_lost
from .settings import ServiceSettings

PUBLISHERS = ("referral", "placement", "outcomes")


async def republish(
    database_url: str,
    bootstrap_servers: str,
    services: Sequence[str] = PUBLISHERS,
    *,
    everything: bool = False,
    database_names: dict[str, str] | None = None,
) -> dict[str, dict[str, int]]:
    """{service: {topic: rows marked unsent}} for each service's database."""
    out: dict[str, dict[str, int]] = {}
    # A broker object (never started) only for its connection settings, security included.
    broker = create_broker(
        ServiceSettings(kafka_bootstrap_servers=bootstrap_servers, service_name="republish"),
        TracerProvider(),
    )
    reader = end_offsets_reader(probe_consumers(broker))
    for service in services:
        name = (database_names or {}).get(service, service)
        pool = await create_pool(database_dsn(database_url, name), min_size=1, max_size=2)
        try:
            out[service] = await republish_lost(pool, reader, everything=everything)
        finally:
            await pool.close()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`make republish`: republish what the broker lost; print per service and topic."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", action="append", choices=PUBLISHERS)
    parser.add_argument("--everything", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(
        republish(
            os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            args.service or PUBLISHERS,
            everything=args.everything,
        )
    )
    for service, topics in result.items():
        detail = ", ".join(f"{t}: {n}" for t, n in topics.items()) or "nothing lost"
        print(f"{service}: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
