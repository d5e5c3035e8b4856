"""Shared fixtures: one broker and one database server for the whole session.

Where they come from: docs/architecture.md#where-kafka-and-postgresql-come-from.

Tests use unique ids (random UPNs, URNs) instead of cleaning up, so they can share everything.
"""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from ap_chassis.infra import Infrastructure, provision
from ap_chassis.kafka import create_topics

# Settings default to production; the suite runs as a test environment (HS256 tokens allowed).
os.environ.setdefault("JOURNEY_ENVIRONMENT", "test")

from tests.support import platform as shared

INFRASTRUCTURE = frozenset({"infra", "services"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for the broker and database is `integration`, the rest `unit`; and no
    test under a `unit/` folder may ask for them, so the unit suites run with nothing reachable."""
    for item in items:
        if INFRASTRUCTURE & set(getattr(item, "fixturenames", ())):
            if "unit" in item.path.parts:
                raise pytest.UsageError(f"{item.nodeid}: a unit test may not use infrastructure")
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


# identities ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def helpers() -> Any:
    class H:
        pass

    h = H()
    h.random_upn, h.random_urn, h.token, h.referral_body = (  # type: ignore[attr-defined]
        shared.random_upn,
        shared.random_urn,
        shared.token,
        shared.referral_body,
    )
    return h


# infrastructure -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    found = provision(tmp_path_factory.mktemp("infra"))
    print(f"\ninfrastructure: {found.origin}")
    asyncio.run(create_topics(found.kafka_bootstrap_servers))
    yield found
    asyncio.run(shared.drop_databases(found.database_url))
    found.close()


@pytest.fixture(scope="session")
async def services(infra: Infrastructure) -> AsyncIterator[shared.Platform]:
    """All four services, in this process, on the session's broker and database server."""
    platform = shared.Platform()
    async with contextlib.AsyncExitStack() as stack:
        for name in ("referral", "placement", "outcomes", "reporting"):
            app = shared.build(name, infra, span_exporter=platform.spans)
            platform.apps[name] = app
            platform.clients[name] = await stack.enter_async_context(shared.running(app))
        yield platform


# waiting and reading -----------------------------------------------------------------


@pytest.fixture(scope="session")
def wait() -> Callable[..., Awaitable[Any]]:
    return shared.eventually


@pytest.fixture(scope="session")
def topic_reader(infra: Infrastructure) -> Callable[..., Awaitable[list[Any]]]:
    async def read(topic: str, **kw: Any) -> list[Any]:
        return await shared.read_topic(infra.kafka_bootstrap_servers, topic, **kw)

    return read


@pytest.fixture(scope="session")
def tcp_proxy() -> type[shared.TcpProxy]:
    return shared.TcpProxy
