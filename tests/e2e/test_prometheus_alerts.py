"""The checked-in rules evaluated by a real Prometheus (Debian's package) over the live services.

The four apps of the `services` fixture are served over real HTTP by uvicorn in the test's own
loop; Prometheus runs on loopback with a temporary config and data dir, scraping them every
second and evaluating deploy/prometheus/*.yml every second. Every service is ready there and each
publishing one has a relay holding its lock; a poison event on journey.referrals makes
JourneyDeadLetter fire in that Prometheus; and every series the rules and the dashboard read
exists there (exported by a service or recorded by a rule).
"""

import asyncio
import contextlib
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from ap_schemas import topics

from tests.deploy.promql import dashboard_series, rule_series
from tests.e2e.test_dashboard_browser import _free_port
from tests.e2e.test_faults_poison import produce

PROMETHEUS = Path("/usr/bin/prometheus")
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
APPS = ("referral", "placement", "outcomes", "reporting")


@pytest.fixture(scope="module")
async def targets(services) -> AsyncIterator[dict[str, int]]:
    """Each app (already started by `services`) on a real loopback port, in this loop."""
    servers, tasks, ports = [], [], {}
    for name in APPS:
        ports[name] = _free_port()
        config = uvicorn.Config(
            services.apps[name],
            host="127.0.0.1",
            port=ports[name],
            lifespan="off",
            log_level="warning",
        )
        servers.append(uvicorn.Server(config))
        tasks.append(asyncio.create_task(servers[-1].serve()))
    while not all(s.started for s in servers):
        await asyncio.sleep(0.05)
    yield ports
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks)


@pytest.fixture(scope="module")
def prometheus_url(targets, tmp_path_factory) -> Iterator[str]:
    if not PROMETHEUS.exists():
        pytest.fail("Debian's prometheus is missing: make test installs it (system-packages.sh)")
    home = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES / "alerts.yml"), str(RULES / "recording.yml")],
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
            for name, port in targets.items()
        ],
    }
    (home / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    log = (home / "prometheus.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [
            str(PROMETHEUS),
            f"--config.file={home / 'prometheus.yml'}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def query(client: httpx.AsyncClient, promql: str) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/query", params={"query": promql})
    assert r.status_code == 200, r.text
    return list(r.json()["data"]["result"])


async def firing(client: httpx.AsyncClient, name: str) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/alerts")
    assert r.status_code == 200, r.text
    alerts = r.json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == name and a["state"] == "firing"]


async def test_a_poison_event_fires_the_dead_letter_alert_in_a_real_prometheus(
    services, infra, helpers, prometheus_url, wait
):
    async with httpx.AsyncClient(base_url=prometheus_url, timeout=5) as prom:

        async def ready():
            try:
                return (await prom.get("/-/ready")).status_code == 200
            except httpx.TransportError:
                return False

        await wait(ready, timeout=30, interval=0.2)

        async def all_up():
            up = await query(prom, "up")
            return len(up) == len(APPS) and all(s["value"][1] == "1" for s in up) and up

        await wait(all_up, timeout=30, interval=0.5)

        async def ready_and_relaying():  # the series the readiness and lock alerts read, live
            ready = {s["metric"]["job"]: s["value"][1] for s in await query(prom, "journey_ready")}
            held = await query(prom, "max by (job) (journey_outbox_relay_lock_held)")
            relaying = {s["metric"]["job"]: s["value"][1] for s in held}
            return (ready, relaying) == (
                dict.fromkeys(APPS, "1"),
                dict.fromkeys(("referral", "placement", "outcomes"), "1"),
            )

        await wait(ready_and_relaying, timeout=30, interval=0.5)
        reporting = 'journey_dead_letters_total{job="reporting",topic="journey.referrals"}'

        async def two_samples():  # an increase needs a sample before the dead letter
            return await query(prom, f"count_over_time({reporting}[1m]) >= 3")

        await wait(two_samples, timeout=30, interval=0.5)
        assert not await firing(prom, "JourneyDeadLetter")  # nothing parked since it started

        r = await services.referral.post(  # real traffic too: events applied, relay publishing
            "/v1/referrals",
            json=helpers.referral_body(),
            headers=helpers.token(),
        )
        assert r.status_code in (201, 202), r.text
        await produce(
            infra.kafka_bootstrap_servers, topics.REFERRALS, str(uuid.uuid4()), b"not an event"
        )
        published = asyncio.get_running_loop().time()

        consumers = {"reporting", "placement", "outcomes"}  # each parks it (test_faults_poison)

        async def fired_for_every_consumer():
            alerts = await firing(prom, "JourneyDeadLetter")
            jobs = {a["labels"]["job"] for a in alerts if a["labels"]["topic"] == topics.REFERRALS}
            return jobs == consumers and alerts

        alerts = await wait(fired_for_every_consumer, timeout=60, interval=0.5)
        took = asyncio.get_running_loop().time() - published
        print(f"\nJourneyDeadLetter firing {took:.1f}s after the poison (scrape and eval 1s)")
        mine = next(a for a in alerts if a["labels"]["job"] == "reporting")
        assert (mine["labels"]["consumer"], mine["labels"]["severity"]) == ("journey", "warning")
        assert "journey.referrals" in mine["annotations"]["summary"]
        assert mine["annotations"]["runbook"].startswith("An event that can never be applied")

        used = rule_series() | dashboard_series()
        missing: set[str] = used

        async def every_series_present():
            nonlocal missing
            r = await prom.get("/api/v1/label/__name__/values")
            missing = used - set(r.json()["data"])
            return not missing

        with contextlib.suppress(AssertionError):
            await wait(every_series_present, timeout=60, interval=1)
        assert not missing, f"used by the rules or the dashboard, absent in Prometheus: {missing}"
