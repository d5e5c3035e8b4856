"""The fault suite: scenarios against the real platform, each ending with an audit.

A scenario runs a load of referral commands (refer, then accept; each retried with its
Idempotency-Key while the platform answers 503 or is unreachable, as a client should) while it
injects one fault, restores it, and then audits by event id across the referral outbox, the
topics, every consumer's inbox and reporting's read model until every accepted event has reached
every place it should: `lost` counts accepted events missing anywhere when the audit gives up,
`doubled` counts read-model rows beyond one per event and caseload beyond one per pupil,
`unclean` counts answers that were neither a success nor a problem+json 503/4xx, and `recover`
is the time from the fault's end to a clean audit. Nothing is repaired by hand.

Two platforms: `SubprocessPlatform` (the four services as processes, Tansu behind a TCP proxy:
every fault, for `make faults`) and the in-process `services` fixture (the bounded CI form).
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from ap_chassis.db import database_dsn
from ap_chassis.infra import free_port, start_tansu
from ap_chassis.kafka import create_topics
from ap_schemas import codec, topics

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT)]  # run as a script by `make faults`

from tests.support.platform import JWT_SECRET, TcpProxy, read_topic, referral_body, token  # noqa: E402

SERVICES = ("referral", "placement", "outcomes", "reporting")
RETRYABLE = {502, 503, 504}


@dataclass
class Result:
    scenario: str
    accepted: int
    lost: int
    doubled: int
    unclean: int
    recover_seconds: float | None


@dataclass
class Platform:
    """What a scenario needs: clients, databases, the broker, and the faults it can inject."""

    clients: dict[str, httpx.AsyncClient]
    dsns: dict[str, str]
    bootstrap: str
    kill: Callable[[str], Awaitable[None]] | None = None
    restart: Callable[[str], Awaitable[None]] | None = None
    cut_broker: Callable[[], Awaitable[None]] | None = None
    restore_broker: Callable[[], Awaitable[None]] | None = None
    replace_broker: Callable[[], Awaitable[None]] | None = None
    pause: Callable[[str], Awaitable[None]] | None = None
    resume: Callable[[str], Awaitable[None]] | None = None


# load ---------------------------------------------------------------------------------------


@dataclass
class Load:
    platform: Platform
    urn: str = field(default_factory=lambda: str(uuid.uuid4().int % 900000 + 100000))
    accepted: set[str] = field(default_factory=set)
    pupils: set[str] = field(default_factory=set)
    unclean: int = 0

    async def command(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send until answered, retrying 503s and lost connections with the same key."""
        headers = {**token(), "Idempotency-Key": str(uuid.uuid4())}
        client = self.platform.clients["referral"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                r = await client.request(method, path, json=body, headers=headers, timeout=10)
            except httpx.HTTPError:
                await asyncio.sleep(0.3)
                continue
            if r.status_code < 300:
                return dict(r.json())
            problem = r.headers.get("content-type", "").startswith("application/problem+json")
            if not problem or r.status_code == 500:
                self.unclean += 1  # clean means problem+json, and 503 rather than 500
            if r.status_code >= 500:
                await asyncio.sleep(float(r.headers.get("retry-after", "0.3")))
                continue
            raise AssertionError(f"{method} {path}: {r.status_code} {r.text[:200]}")
        raise TimeoutError(f"{method} {path} not answered within 120s")

    async def one_pupil(self) -> None:
        referral = await self.command(
            "POST", "/v1/referrals", referral_body(home_school_urn=self.urn)
        )
        self.accepted.update(referral["event_ids"])
        self.pupils.add(referral["pupil_id"])
        decided = await self.command(
            "POST",
            f"/v1/referrals/{referral['referral_id']}/decision",
            {"decision": "accepted", "decided_on": "2026-09-08"},
        )
        self.accepted.update(decided["event_ids"])

    async def run(self, stop: asyncio.Event, workers: int = 4) -> None:
        async def worker() -> None:
            while not stop.is_set():
                await self.one_pupil()

        await asyncio.gather(*(worker() for _ in range(workers)))


# audit --------------------------------------------------------------------------------------


async def _ids(dsn: str, sql: str, ids: list[uuid.UUID]) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT to_regproc('public.read_model_enter')"):
            await conn.execute("SELECT public.read_model_enter()")  # reporting's read models
        return [str(r[0]) for r in await conn.fetch(sql, ids)]
    finally:
        await conn.close()


async def audit(platform: Platform, load: Load) -> tuple[int, int]:
    """(lost, doubled) for the load's accepted events, by event id, right now."""
    ids = [uuid.UUID(i) for i in load.accepted]
    outbox = set(
        await _ids(
            platform.dsns["referral"], "SELECT event_id FROM outbox WHERE event_id = ANY($1)", ids
        )
    )
    on_topics: dict[str, str] = {}
    for topic in (topics.REFERRALS, topics.IDENTITY):
        for record in await read_topic(platform.bootstrap, topic, timeout=10):
            with contextlib.suppress(Exception):
                event = json.loads(record.value)
                if event["id"] in load.accepted:
                    on_topics[event["id"]] = topic
    inbox = "SELECT event_id FROM inbox WHERE consumer = '{}' AND event_id = ANY($1)"
    placement = set(await _ids(platform.dsns["placement"], inbox.format("referrals"), ids))
    outcomes = set(await _ids(platform.dsns["outcomes"], inbox.format("referrals"), ids))
    journey = set(await _ids(platform.dsns["reporting"], inbox.format("journey"), ids))
    identity = set(await _ids(platform.dsns["reporting"], inbox.format("identity"), ids))
    rows = await _ids(
        platform.dsns["reporting"],
        "SELECT event_id FROM journey_events WHERE event_id = ANY($1)",
        ids,
    )
    lost = 0
    for event_id in load.accepted:
        topic = on_topics.get(event_id)
        if event_id not in outbox or topic is None:
            lost += 1
        elif topic == topics.IDENTITY:
            lost += event_id not in identity
        else:
            lost += not (event_id in placement and event_id in outcomes and event_id in journey)
            lost += event_id not in rows
    doubled = len(rows) - len(set(rows))
    caseload = await platform.clients["reporting"].get(
        "/v1/caseload", params={"school_urn": load.urn}, headers=token()
    )
    if caseload.status_code == 200:
        doubled += max(caseload.json()["total"] - len(load.pupils), 0)
    return lost, doubled


async def settle(platform: Platform, load: Load, timeout: float) -> tuple[int, int, float | None]:
    """Audit until clean or `timeout`; (lost, doubled, seconds to clean or None)."""
    started = time.monotonic()
    lost, doubled = await audit(platform, load)
    while lost and time.monotonic() - started < timeout:
        await asyncio.sleep(1.0)
        lost, doubled = await audit(platform, load)
    return lost, doubled, (time.monotonic() - started) if not lost else None


# scenarios ----------------------------------------------------------------------------------

Fault = Callable[[Platform], Awaitable[None]]


async def scenario(
    name: str, platform: Platform, fault: Fault, *, load_seconds: float = 4.0, timeout: float = 90
) -> Result:
    """Load for `load_seconds`, the fault injected (and restored) one second in, then audit."""
    load = Load(platform)
    stop = asyncio.Event()
    running = asyncio.create_task(load.run(stop))
    await asyncio.sleep(1.0)
    await fault(platform)
    await asyncio.sleep(max(load_seconds - 1.0, 0))
    stop.set()
    await running
    lost, doubled, recover = await settle(platform, load, timeout)
    return Result(name, len(load.accepted), lost, doubled, load.unclean, recover)


async def terminate_db_connections(platform: Platform) -> None:
    """Terminate every backend of every service database (pools, relays' lock connections)."""
    conn = await asyncpg.connect(platform.dsns["referral"])
    try:
        names = [dsn.rsplit("/", 1)[-1].split("?")[0] for dsn in platform.dsns.values()]
        await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = ANY($1) AND pid <> pg_backend_pid()",
            names,
        )
    finally:
        await conn.close()


def poison_values() -> list[tuple[str, bytes, list[tuple[str, bytes]]]]:
    """One of each kind: (topic, value, headers)."""
    example = json.loads(
        (
            Path(codec.__file__).parent / "examples" / "journey.pupil.identity.recorded.v1.json"
        ).read_text()
    )
    identity = json.dumps({**example, "source": "referral"}).encode()
    provider = json.loads(
        (
            Path(codec.__file__).parent / "examples" / "journey.provider.registered.v1.json"
        ).read_text()
    )
    return [
        (topics.REFERRALS, b"[" * 100_000 + b"]" * 100_000, []),
        (topics.REFERRALS, b'{"a":' * 40 + b"1" + b"}" * 40, []),
        (topics.REFERRALS, b"x" * (codec.MAX_EVENT_BYTES + 1), []),
        (topics.REFERRALS, b"\xff\xfe not json", [("content-type", b"\xff")]),
        (topics.REFERRALS, b"", []),
        (topics.REFERRALS, identity, []),  # identity on a general topic
        (topics.IDENTITY, json.dumps({**provider, "source": "placement"}).encode(), []),
        (
            topics.REFERRALS,
            json.dumps(
                {**example, "type": "journey.pupil.referred.v1", "source": "placement"}
            ).encode(),
            [],
        ),
    ]


async def poison(platform: Platform) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, acks="all")
    await producer.start()
    try:
        for _ in range(6):  # random keys: reach every partition
            key = str(uuid.uuid4()).encode()
            for topic, value, headers in poison_values():
                await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def outage(begin: str, end: str, seconds: float, *args: str) -> Fault:
    """A fault that calls the platform's `begin(*args)`, waits `seconds`, then `end(*args)`."""

    async def fault(platform: Platform) -> None:
        start, stop = getattr(platform, begin), getattr(platform, end)
        assert start is not None and stop is not None, f"this platform cannot {begin}"
        await start(*args)
        await asyncio.sleep(seconds)
        await stop(*args)

    return fault


def kill_and_restart(service: str) -> Fault:
    return outage("kill", "restart", 1.0, service)


def broker_cut(seconds: float) -> Fault:
    return outage("cut_broker", "restore_broker", seconds)


def paused(service: str, seconds: float) -> Fault:
    return outage("pause", "resume", seconds, service)


async def broker_restarted_empty(platform: Platform) -> None:
    assert platform.replace_broker
    await platform.replace_broker()


def table(results: list[Result]) -> str:
    lines = [f"{'scenario':<34} {'accepted':>8} {'lost':>5} {'doubled':>7} {'unclean':>7} recover"]
    for r in results:
        recover = f"{r.recover_seconds:.1f}s" if r.recover_seconds is not None else "NOT RECOVERED"
        lines.append(
            f"{r.scenario:<34} {r.accepted:>8} {r.lost:>5} {r.doubled:>7} {r.unclean:>7} {recover}"
        )
    return "\n".join(lines)


# the platform as processes ------------------------------------------------------------------


class SubprocessPlatform:
    """The four services as uvicorn processes on one database server and a Tansu behind a proxy."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.database_url, self.workdir = database_url, workdir
        self.suffix = uuid.uuid4().hex[:6]
        self.broker_port, self.proxy_port = free_port(), free_port()
        self.ports = {name: free_port() for name in SERVICES}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.broker: subprocess.Popen[bytes] | None = None
        self.proxy = TcpProxy(self.broker_port, self.proxy_port)
        self.bootstrap = ""

    def dsn(self, name: str) -> str:
        return database_dsn(self.database_url, f"ap_{name}_faults_{self.suffix}")

    async def start(self) -> Platform:
        await self.proxy.start()
        await self._start_broker()
        for name in SERVICES:
            self._spawn(name)
        for name in SERVICES:
            await self._ready(name)
        return Platform(
            clients={
                n: httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}")
                for n, p in self.ports.items()
            },
            dsns={n: self.dsn(n) for n in SERVICES},
            bootstrap=self.bootstrap,
            kill=self.kill,
            restart=self.restart,
            cut_broker=self.proxy.cut,
            restore_broker=self.proxy.start,
            replace_broker=self.replace_broker,
            pause=self.pause,
            resume=self.resume,
        )

    async def _start_broker(self) -> None:
        self.bootstrap, self.broker = start_tansu(
            self.broker_port, advertised_port=self.proxy_port, workdir=self.workdir
        )
        await create_topics(self.bootstrap)

    def _spawn(self, name: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DATABASE_NAME": f"ap_{name}_faults_{self.suffix}",
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.proxy_port}",
            "JOURNEY_ENVIRONMENT": "test",
            "JOURNEY_JWT_SECRET": JWT_SECRET,
            "KAFKA_SESSION_TIMEOUT_MS": "2000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
            "KAFKA_REQUEST_TIMEOUT_MS": "3000",
            "RELAY_POLL_SECONDS": "0.5",
            "OUTBOX_CHECK_SECONDS": "5",
            "CONSUMER_BACKOFF_SECONDS": "0.05",
            "LOG_LEVEL": "WARNING",
        }
        log = (self.workdir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "uvicorn", "--factory", f"ap_{name}.app:create_app",
             "--host", "127.0.0.1", "--port", str(self.ports[name]), "--log-level", "warning"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    async def _ready(self, name: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    r = await client.get(f"http://127.0.0.1:{self.ports[name]}/readyz", timeout=3)
                    if r.status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise TimeoutError(f"{name} not ready")

    async def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    async def restart(self, name: str) -> None:
        self._spawn(name)
        await self._ready(name)

    async def pause(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGSTOP)

    async def resume(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGCONT)

    async def replace_broker(self) -> None:
        """Stop the broker and start an empty one in its place (same address)."""
        assert self.broker is not None
        self.broker.kill()
        self.broker.wait()
        await asyncio.sleep(1.0)
        wait_for_port_free(self.broker_port)
        await self._start_broker()

    async def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(Exception):
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        await self.proxy.cut()
        if self.broker is not None:
            self.broker.kill()
        conn = await asyncpg.connect(database_dsn(self.database_url, "postgres"))
        try:
            for name in SERVICES:
                await conn.execute(
                    f'DROP DATABASE IF EXISTS "ap_{name}_faults_{self.suffix}" WITH (FORCE)'
                )
        finally:
            await conn.close()


def wait_for_port_free(port: int, timeout: float = 10) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return
            except OSError:
                time.sleep(0.2)


FULL: list[tuple[str, Fault]] = [
    ("kill -9 referral under load", kill_and_restart("referral")),
    ("kill -9 placement under load", kill_and_restart("placement")),
    ("kill -9 outcomes under load", kill_and_restart("outcomes")),
    ("kill -9 reporting under load", kill_and_restart("reporting")),
    ("database connections terminated", terminate_db_connections),
    ("broker cut 3s behind a proxy", broker_cut(3.0)),
    ("broker restarted empty", broker_restarted_empty),
    ("poison of each kind", poison),
    ("reporting paused 5s (SIGSTOP)", paused("reporting", 5.0)),
]


async def main() -> int:
    workdir = ROOT / ".run" / "faults"
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL")
    infra = None
    if not database_url:
        from ap_chassis.infra import provision

        infra = provision(workdir / "infra")
        database_url = infra.database_url
    platform_ = SubprocessPlatform(database_url, workdir)
    results: list[Result] = []
    try:
        platform = await platform_.start()
        only = set(sys.argv[1:])
        for name, fault in FULL:
            if only and not any(o in name for o in only):
                continue
            result = await scenario(name, platform, fault)
            print(table([result]).splitlines()[1], flush=True)
            results.append(result)
    finally:
        await platform_.stop()
        if infra is not None:
            infra.close()
    print()
    print(table(results))
    print(f"(service logs in {workdir})")
    bad = [r for r in results if r.lost or r.doubled or r.unclean or r.recover_seconds is None]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
