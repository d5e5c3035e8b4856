"""`make rebuild`: rebuild the reporting service's read models, with a progress bar.

Asks the running reporting service to rebuild (`POST /v1/admin/rebuilds`, LA officers only: it
replays every topic from offset 0 into a new schema while reads go on, then switches) and shows
the progress it reports (events applied, events/s, lag, time left) until the switch. The service
itself does the work, so `/metrics` shows the same figures (`journey_rebuild_*`). Options:
REPORTING_URL (default http://127.0.0.1:8004), TOKEN (a bearer token; else one is made for ROLE,
default la_officer, with the local secret, as `make token` does).
"""

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

POLL_SECONDS = 0.5


async def run_rebuild(
    client: httpx.AsyncClient, *, headers: dict[str, str], show: bool = True
) -> dict[str, Any]:
    """Start a rebuild and follow it to its end; the final state."""
    answer = await client.post("/v1/admin/rebuilds", headers=headers)
    if answer.status_code != 202:
        raise SystemExit(f"refused ({answer.status_code}): {answer.text}")
    rebuild_id = answer.json()["rebuild_id"]
    bar = tqdm(desc="events applied", unit="ev", disable=not show, dynamic_ncols=True)
    try:
        while True:
            state = (await client.get(f"/v1/admin/rebuilds/{rebuild_id}", headers=headers)).json()
            applied, lag = state["events_applied"], state["lag"] or 0
            if bar.total != applied + lag:
                bar.total = applied + lag
            bar.update(applied - bar.n)
            eta = state["eta_seconds"]
            bar.set_postfix_str(
                f"{state['events_per_second']:.0f} ev/s, lag {lag},"
                f" ETA {'-' if eta is None else f'{eta:.0f}s'}"
            )
            if state["status"] != "running":
                return dict(state)
            await asyncio.sleep(POLL_SECONDS)
    finally:
        bar.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("REPORTING_URL", "http://127.0.0.1:8004"))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from import_file import token  # the same token rules as `make import`

    async with httpx.AsyncClient(base_url=args.url, timeout=60.0) as client:
        state = await run_rebuild(client, headers={"Authorization": f"Bearer {token()}"})
    print(
        f"rebuild {state['rebuild_id']}: {state['status']}; generation {state['generation']},"
        f" {state['events_applied']} events applied ({state['events_skipped']} skipped),"
        f" {state['events_per_second']:.0f} events/s"
    )
    return 0 if state["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
