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
        default="production", validation_alias="JOURNEY_ENVIRONMENT"
    )
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        description="a server URL; the service uses its own database on it",
    )
    database_name: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # HS256 with a shared secret: local runs and tests only (whoever holds it can mint tokens).
    jwt_secret: str | None = Field(default=None, validation_alias="JOURNEY_JWT_SECRET")
    # RS256/ES256 tokens of the LA's identity provider, verified against its JWKS (URL or file).
    jwks_url: str | None = Field(default=None, validation_alias="JOURNEY_JWKS_URL")
    jwt_issuer: str | None = Field(default=None, validation_alias="JOURNEY_JWT_ISSUER")
    jwt_audience: str | None = Field(default=None, validation_alias="JOURNEY_JWT_AUDIENCE")
    jwt_max_lifetime_seconds: int = Field(
        default=12 * 3600, ge=60, le=7 * 24 * 3600, validation_alias="JOURNEY_JWT_MAX_LIFETIME"
    )
    jwks_refresh_seconds: float = Field(default=300.0, ge=1.0)
    # The authority's claim-to-role table (claims.py; deploy/claim-mapping.json is an example):
    # with it, an IdP token's role comes from its group, app-role, organisation or provider claim.
    claim_mapping_file: str | None = Field(default=None, validation_alias="JOURNEY_CLAIM_MAPPING")

    # Kafka consumer timing: Tansu needs short waits
    # (docs/architecture.md#where-kafka-and-postgresql-come-from).
    kafka_fetch_max_wait_ms: int = 50
    kafka_session_timeout_ms: int = 6_000
    kafka_heartbeat_interval_ms: int = 1_000
    kafka_request_timeout_ms: int = 10_000
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2
    consumer_batch_max_records: int = Field(default=500, ge=1)  # records applied per transaction
    consumer_batch_timeout_ms: int = Field(default=25, ge=1)  # wait for records when none buffered

    relay_poll_seconds: float = 2.0
    relay_batch_size: int = 500

    # Request guards (ap_chassis.guards) and rate limits (ap_chassis.ratelimit).
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    rate_limit_auth_failures_per_minute: float = Field(default=30, ge=0)
    rate_limit_auth_failures_burst: float = Field(default=30, ge=0)
    rate_limit_writes_per_minute: float = Field(default=6_000, ge=0)  # 0 turns a limit off
    rate_limit_writes_burst: float = Field(default=1_000, ge=0)

    # Faults: pool bounds, the outbox as a durable log, lag and readiness.
    db_pool_max_size: int = 10
    db_acquire_timeout_seconds: float = 5.0  # an exhausted pool answers 503 after this
    relay_handover_seconds: float = 1.0  # a new lock holder waits for a batch still in flight
    outbox_check_seconds: float = 60.0  # how often the relay compares the broker with the outbox
    outbox_retention_days: int = 0  # sent outbox rows kept this long; 0 keeps them (the log)
    health_sample_seconds: float = 5.0  # lag, stuck partitions and outbox backlog sampled
    consumer_stuck_seconds: float = 60.0  # lag > 0 with no progress this long: degraded
    outbox_stuck_seconds: float = 60.0  # oldest unsent outbox row this old: degraded
    loop_lag_interval_seconds: float = Field(default=0.1, gt=0)  # event-loop lag sample period

    otel_exporter: Literal["none", "otlp", "console"] = "none"
    otel_exporter_otlp_endpoint: str = "http://127.0.0.1:4318"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _claim_mapping_reads(self) -> "ServiceSettings":
        """A bad claim-mapping file stops the service at start, not at its first request."""
        if self.claim_mapping_file:
            from .claims import load

            load(self.claim_mapping_file)
        return self

    @model_validator(mode="after")
    def _tokens_fit_the_environment(self) -> "ServiceSettings":
        if self.environment in ("local", "test"):
            if self.jwt_secret is None and self.jwks_url is None:
                object.__setattr__(self, "jwt_secret", LOCAL_JWT_SECRET)
            return self
        if self.jwt_secret is not None:
            weak = self.jwt_secret == LOCAL_JWT_SECRET or len(self.jwt_secret) < 32
            raise ValueError(
                "JOURNEY_JWT_SECRET is for local runs and tests only"
                + (" (and this one is built in or shorter than 32 characters)" if weak else "")
                + ": in production the service holds no key that can mint tokens;"
                " set JOURNEY_JWKS_URL, JOURNEY_JWT_ISSUER and JOURNEY_JWT_AUDIENCE"
            )
        missing = [
            name
            for name, value in (
                ("JOURNEY_JWKS_URL", self.jwks_url),
                ("JOURNEY_JWT_ISSUER", self.jwt_issuer),
                ("JOURNEY_JWT_AUDIENCE", self.jwt_audience),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"{', '.join(missing)} must be set in production")
        return self

    @property
    def db_name(self) -> str:
        """This service's own database: the configured name or the service's."""
        return self.database_name or self.service_name.replace("-", "_")
