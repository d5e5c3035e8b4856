"""The platform under test: identities, tokens, request bodies, building and running services,
waiting, and reading topics. Fixtures live in the root conftest.py and use these."""

import asyncio
import contextlib
import random
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from ap_chassis.auth import issue_token
from ap_chassis.db import create_pool, database_dsn, ensure_database, migrate
from ap_chassis.infra import Infrastructure
from ap_chassis.kafka import true_end_offsets
from ap_schemas.upn import check_letter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

JWT_SECRET = "test-secret-" + "x" * 32


RUN = secrets.token_hex(3)


def random_upn(la: str = "801") -> str:
    body = la + "".join(random.choices("0123456789", k=9))
    return check_letter(body) + body


def random_urn() -> str:
    return str(random.randint(100000, 999999))


def token(role: str = "la_officer", **scope: str) -> dict[str, str]:
    return {
        "Authorization": "Bearer " + issue_token(JWT_SECRET, sub=f"{role}-user", role=role, **scope)
    }  # type: ignore[arg-type]


def referral_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "upn": random_upn(),
        "forename": "Alex",
        "surname": "Example",
        "date_of_birth": "2012-03-04",
        "sex": "U",
        "ethnicity": "NOBT",
        "sen_provision": "K",
        "fsm_eligible": True,
        "postcode": "YO1 7HH",
        "home_school_urn": random_urn(),
        "referrer": {"kind": "local_authority"},
        "reason": "suspension",
        "tier_requested": 2,
        "referred_on": "2026-09-07",
    }
    body.update(overrides)
    return body


def service_settings(infra: Infrastructure, name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "JOURNEY_ENVIRONMENT": "test",
        "JOURNEY_JWT_SECRET": JWT_SECRET,
        "database_url": infra.database_url,
        "database_name": f"ap_{name}_{RUN}",
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "kafka_session_timeout_ms": 2000,
        "kafka_heartbeat_interval_ms": 500,
        "kafka_fetch_max_wait_ms": 50,
        "relay_poll_seconds": 0.5,
        "consumer_backoff_seconds": 0.05,
        **overrides,
    }


def build(name: str, infra: Infrastructure, span_exporter: Any = None, **overrides: Any) -> Any:
    module = __import__(f"ap_{name}.app", fromlist=["create_app", "Settings"])
    settings = module.Settings(**service_settings(infra, name, **overrides))
    return module.create_app(settings, span_exporter=span_exporter)


@contextlib.asynccontextmanager
async def running(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan in this loop and give a client for it, once its broker is up."""
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.runtime.broker_ready.wait(), 60)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@contextlib.asynccontextmanager
async def migrated_pool(
    infra: Infrastructure, name: str, migrations: list[Path]
) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on a database of its own for this run (`<name>_<RUN>`), migrated."""
    dsn = await ensure_database(infra.database_url, f"{name}_{RUN}")
    pool = await create_pool(dsn, max_size=2)
    try:
        await migrate(pool, migrations)
        yield pool
    finally:
        await pool.close()


class Platform:
    def __init__(self) -> None:
        self.apps: dict[str, Any] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.spans = InMemorySpanExporter()  # every span of every service, for trace tests

    def __getattr__(self, name: str) -> httpx.AsyncClient:
        try:
            return self.clients[name]
        except KeyError:
            raise AttributeError(name) from None


async def drop_databases(server_url: str) -> None:
    with contextlib.suppress(Exception):
        conn = await asyncpg.connect(database_dsn(server_url, "postgres"))
        try:
            names = await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", f"ap_%_{RUN}%"
            )
            for row in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        finally:
            await conn.close()


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.1
) -> Any:
    """Poll `probe` until it returns a truthy value; fail with its last answer after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while asyncio.get_running_loop().time() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last answer: {last!r}")


async def read_topic(
    bootstrap: str, topic: str, *, key: str | None = None, timeout: float = 3.0
) -> list[Any]:
    """Every record on `topic` from the beginning (optionally only those with `key`)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        fetch_max_wait_ms=50,
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not parts:
            await consumer.topics()  # asks the cluster, so metadata of a new topic arrives
            parts = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()
            ]
        ends = await true_end_offsets(consumer, parts)  # Tansu's own answer can fall short
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        records: list[Any] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            positions = [await consumer.position(p) for p in parts]
            if all(pos >= ends[p] for pos, p in zip(positions, parts, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
        if key is not None:
            records = [r for r in records if r.key == key.encode()]
        return records
    finally:
        await consumer.stop()


class TcpProxy:
    """A TCP relay that can be cut and restored, to take a broker away without restarting it."""

    def __init__(self, target_port: int, port: int) -> None:
        self.target_port, self.port = target_port, port
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._pipes):
            writer.close()
        self._pipes.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._pipes.update({writer, up_writer})
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            writer.close()
            self._pipes.discard(writer)
