"""Services as their own processes (uvicorn, as `make run` starts them), for memory figures."""

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from ap_chassis.infra import free_port
from common import RUN, SECRET


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (MiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextlib.asynccontextmanager
async def started(
    name: str,
    infra: Any,
    tag: str = "",
    *,
    port: int | None = None,
    workers: int = 1,
    **settings: str,
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """Run one service on `port` (a free one by default) with its own database (and consumer
    groups when `tag` is given), `workers` processes and extra `settings` (environment names);
    yield its process once /readyz answers 200."""
    port = port or free_port()
    env = {
        **os.environ,
        "JOURNEY_ENVIRONMENT": "test",
        "JOURNEY_JWT_SECRET": SECRET,
        "DATABASE_URL": infra.database_url,
        "DATABASE_NAME": f"ap_{name}_proc{tag}_{RUN}",
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
        "LOG_LEVEL": "WARNING",
        **({"SERVICE_NAME": f"{name}-{tag}-{RUN}"} if tag else {}),
        **settings,
    }
    proc = subprocess.Popen(  # noqa: S603, ASYNC220 (our own interpreter; started once)
        [sys.executable, "-m", "uvicorn", "--factory", f"ap_{name}.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--workers", str(workers)],
        env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
