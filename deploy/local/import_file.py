"""`make import FILE=... LAYOUT=...`: import a CSV or XLSX file into the placement service.

For LA officers at a terminal: posts the file to `POST /v1/imports`, shows the progress the API
reports (rows validated, commands applied, rate, time left) as progress bars, then saves the
row-by-row report as CSV and prints its path. Options: SCHOOL_URN (the commissioning school of a
census file), DRY_RUN=1 (validate only), PLACEMENT_URL (default http://127.0.0.1:8002), TOKEN (a
bearer token; else one is made for ROLE/URN with the local secret, as `make token` does).
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


async def run_import(
    client: httpx.AsyncClient,
    path: Path,
    *,
    layout: str,
    headers: dict[str, str],
    school_urn: str | None = None,
    dry_run: bool = False,
    report_dir: Path = Path(),
    show: bool = True,
) -> tuple[dict[str, Any], Path]:
    """Import `path`; return the final state and where its report was saved."""
    form = {"layout": layout, "dry_run": "true" if dry_run else "false"}
    if school_urn:
        form["school_urn"] = school_urn
    content = await asyncio.to_thread(path.read_bytes)
    answer = await client.post(
        "/v1/imports", files={"file": (path.name, content)}, data=form, headers=headers
    )
    if answer.status_code != 202:
        raise SystemExit(f"refused ({answer.status_code}): {answer.text}")
    import_id = answer.json()["import_id"]
    validated = tqdm(desc="rows validated", unit="row", disable=not show, dynamic_ncols=True)
    applied = tqdm(desc="commands applied", unit="cmd", disable=not show, dynamic_ncols=True)
    try:
        while True:
            state = (await client.get(f"/v1/imports/{import_id}", headers=headers)).json()
            progress = state["progress"]
            _advance(validated, progress["rows_validated"], progress["rows_total"])
            _advance(applied, progress["commands_applied"], progress["commands_total"])
            if state["status"] in ("done", "failed"):
                break
            await asyncio.sleep(POLL_SECONDS)
    finally:
        validated.close()
        applied.close()
    report = await client.get(f"/v1/imports/{import_id}/report.csv", headers=headers)
    report_path = report_dir / f"import-{import_id}-report.csv"
    await asyncio.to_thread(report_path.write_text, report.text)
    return state, report_path


def _advance(bar: "tqdm[Any]", done: int, total: int) -> None:
    if total and bar.total != total:
        bar.total = total
        bar.refresh()
    if done > bar.n:
        bar.update(done - bar.n)


def token() -> str:
    if os.environ.get("TOKEN"):
        return os.environ["TOKEN"]
    from ap_chassis.auth import issue_token
    from ap_chassis.settings import LOCAL_JWT_SECRET

    secret = os.environ.get("JOURNEY_JWT_SECRET", LOCAL_JWT_SECRET)
    role = os.environ.get("ROLE") or "la_officer"
    scope = {"urn": os.environ["URN"]} if os.environ.get("URN") else {}
    return issue_token(secret, sub=f"cli-{role}", role=role, **scope)  # type: ignore[arg-type]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True, type=Path)
    parser.add_argument("--layout", default="journey", choices=("journey", "school_census_ap"))
    parser.add_argument("--school-urn")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--url", default=os.environ.get("PLACEMENT_URL", "http://127.0.0.1:8002"))
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    async with httpx.AsyncClient(base_url=args.url, timeout=120.0) as client:
        state, report = await run_import(
            client, args.file, layout=args.layout, school_urn=args.school_urn,
            dry_run=args.dry_run, headers={"Authorization": f"Bearer {token()}"},
        )  # fmt: skip
    print(
        f"import {state['import_id']}: {state['status']}; rows {state['rows']}, applied"
        f" {state['applied']}, unchanged {state['unchanged']}, refused {state['refused']},"
        f" awaiting decision {state.get('awaiting', 0)}"
    )
    print(f"report: {report.resolve()}")
    return 0 if state["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
