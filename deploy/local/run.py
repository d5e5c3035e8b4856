"""`make run`: find or start Kafka and PostgreSQL, create topics, serve the four services.

Honours KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and JOURNEY_JWT_SECRET; otherwise starts the
embedded broker and database (no Docker needed). Ctrl-C stops everything it started.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ap_chassis.infra import provision
from ap_chassis.kafka import create_topics

SERVICES = {"referral": 8001, "placement": 8002, "outcomes": 8003, "reporting": 8004}
STATE = Path(__file__).resolve().parents[2] / ".run"
# Tansu joins a group in about session_timeout / 2: keep joins short locally
# (docs/architecture.md#where-kafka-and-postgresql-come-from).
TANSU_TIMING = {"KAFKA_SESSION_TIMEOUT_MS": "2000", "KAFKA_HEARTBEAT_INTERVAL_MS": "500"}


def wait_ready(port: int, timeout: float = 90.0) -> bool:
    """Until /readyz answers 200: the database is reachable and the broker (and consumers) up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _interrupt(*_: object) -> None:
    # Stop once: a second signal (uv forwards what the terminal also sends) must not cut cleanup.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    STATE.mkdir(exist_ok=True)
    infra = provision(STATE / "infra")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(create_topics(infra.kafka_bootstrap_servers))
        for name, port in SERVICES.items():
            env = {
                "JOURNEY_ENVIRONMENT": "local",  # HS256 dev tokens; overridable from outside
                **os.environ,
                "DATABASE_URL": infra.database_url,
                "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
                **(TANSU_TIMING if infra.origin["kafka"].startswith("embedded") else {}),
            }
            procs.append(
                subprocess.Popen(  # noqa: S603
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--factory",
                        f"ap_{name}.app:create_app",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                    ],
                    env=env,
                )
            )
        for name, port in SERVICES.items():
            state = "ready" if wait_ready(port) else "NOT ready"
            print(f"  {name:<10} http://127.0.0.1:{port}  ({state}; docs at /docs)")
        print("  dashboard  http://127.0.0.1:8004/ui/  (sign in with a token from make token)")
        print(f"\ninfrastructure: {infra.origin}")
        print(
            "get a token:     make token ROLE=la_officer   (roles: la_officer, school URN=...,"
            " provider PROVIDER=..., analyst, auditor)"
        )
        print(
            'try:            curl -H "Authorization: Bearer $(make -s token)" '
            "http://127.0.0.1:8004/v1/caseload\nCtrl-C stops the platform."
        )
        for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT is ignored when run with `&`
            signal.signal(signum, _interrupt)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        infra.close()


if __name__ == "__main__":
    sys.exit(main())
