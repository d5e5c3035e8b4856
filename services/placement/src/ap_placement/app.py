"""Composition root of the placement service."""

from pathlib import Path
from typing import Literal

from ap_chassis.data_protection import data_protection_routers
from ap_chassis.runtime import build_app
from ap_chassis.settings import ServiceSettings
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from .api import router
from .consumers import CONSUMERS
from .provider_api import router as provider_router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    service_name: str = "placement"
    # PROVIDER_APPROVAL: `enforce` refuses placing with an unapproved provider unless overridden.
    provider_approval: Literal["warn", "enforce"] = "warn"


def create_app(
    settings: Settings | None = None, span_exporter: SpanExporter | None = None
) -> FastAPI:
    return build_app(
        settings or Settings(),
        title="AP Journey: placement",
        routers=[router, provider_router, *data_protection_routers("placement")],
        migrations=MIGRATIONS,
        consumers=CONSUMERS,
        span_exporter=span_exporter,
    )
