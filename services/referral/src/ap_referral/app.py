"""Composition root of the referral service."""

from pathlib import Path

from ap_chassis.runtime import build_app
from ap_chassis.settings import ServiceSettings
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter
from pydantic import Field

from .api import router
from .identity_api import router as identity_router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    service_name: str = "referral"
    # The LA's rule for identity changes: the register fields a later referral may change at
    # once (comma-separated, e.g. "postcode,fsm_eligible"); every other change waits for an
    # LA officer. Empty (the default): every change waits.
    identity_auto_apply: str = Field(default="", validation_alias="JOURNEY_IDENTITY_AUTO_APPLY")


def create_app(
    settings: Settings | None = None, span_exporter: SpanExporter | None = None
) -> FastAPI:
    return build_app(
        settings or Settings(),
        title="AP Journey: referral",
        routers=[router, identity_router],
        migrations=MIGRATIONS,
        span_exporter=span_exporter,
    )
