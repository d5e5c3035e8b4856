"""`python -m ap_export --out DIR [--since YYYY-MM-DD] [--bootstrap HOST:PORT]` (`make export`).

The broker comes from --bootstrap, else KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092 (`make run`).
JOURNEY_EXPORT_KEY, when set, keys the HMAC that turns actor user ids into pseudonyms.
"""

import argparse
import asyncio
import os
import sys
from datetime import date, datetime
from pathlib import Path

from . import MANIFEST, export


def _when(text: str) -> date | datetime:
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ap_export", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("export"), help="output folder")
    parser.add_argument("--since", type=_when, help="first run only: start at this date (UTC)")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    key = os.environ.get("JOURNEY_EXPORT_KEY", "").encode() or None
    manifest = asyncio.run(
        export(
            args.bootstrap,
            args.out,
            since=args.since,
            pseudonym_key=key,
            progress=not args.no_progress,
        )
    )
    last = manifest.runs[-1]
    print(
        f"exported {last['exported']} new events ({manifest.total} in all), "
        f"rejected {last['rejected']}; manifest: {args.out / MANIFEST}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
