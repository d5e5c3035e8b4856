"""Settings shared by every service, read from the environment and validated at start-up."""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The one secret that works out of the box; refused anywhere but a local run or a test.
LOCAL_JWT_SECRET = "local-development-secret-not-for-production"  # noqa: S105


class ServiceSettings(BaseSettings):
    """One service's configuration. Secrets come from the environment, never from code."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    service_name: str = "ap-service"
    environment: Literal["local", "test", "production"] = Field(
        default="local", validation_alias="JOURNEY_ENVIRONMENT"
    )
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        description="a server URL; the service uses its own database on it",
    )
    database_name: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    jwt_secret: str = Field(default=LOCAL_JWT_SECRET, validation_alias="JOURNEY_JWT_SECRET")

    # Kafka consumer timing: Tansu needs short waits (architecture.md 10).
    kafka_fetch_max_wait_ms: int = 50
    kafka_session_timeout_ms: int = 6_000
    kafka_heartbeat_interval_ms: int = 1_000
    kafka_request_timeout_ms: int = 10_000
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2

    relay_poll_seconds: float = 2.0
    relay_batch_size: int = 500

    # Faults (issue 9): pool bounds, the outbox as a durable log, lag and readiness.
    db_pool_max_size: int = 10
    db_acquire_timeout_seconds: float = 5.0  # an exhausted pool answers 503 after this
    relay_handover_seconds: float = 1.0  # a new lock holder waits for a batch still in flight
    outbox_check_seconds: float = 60.0  # how often the relay compares the broker with the outbox
    outbox_retention_days: int = 0  # sent outbox rows kept this long; 0 keeps them (the log)
    health_sample_seconds: float = 5.0  # lag, stuck partitions and outbox backlog sampled
    consumer_stuck_seconds: float = 60.0  # lag > 0 with no progress this long: degraded
    outbox_stuck_seconds: float = 60.0  # oldest unsent outbox row this old: degraded

    otel_exporter: Literal["none", "otlp", "console"] = "none"
    otel_exporter_otlp_endpoint: str = "http://127.0.0.1:4318"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "ServiceSettings":
        if self.environment == "production" and (
            self.jwt_secret == LOCAL_JWT_SECRET or len(self.jwt_secret) < 32
        ):
            raise ValueError(
                "JOURNEY_JWT_SECRET must be set to a secret of at least 32 characters in production"
            )
        return self

    @property
    def db_name(self) -> str:
        return self.database_name or self.service_name.replace("-", "_")
