"""Composition root of the outcomes service."""

from pathlib import Path

from ap_chassis.batches import router as batches
from ap_chassis.data_protection import data_protection_routers
from ap_chassis.runtime import build_app
from ap_chassis.settings import ServiceSettings
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from .api import router
from .consumers import CONSUMERS

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    service_name: str = "outcomes"


def create_app(
    settings: Settings | None = None, span_exporter: SpanExporter | None = None
) -> FastAPI:
    return build_app(
        settings or Settings(),
        title="AP Journey: outcomes",
        routers=[router, batches, *data_protection_routers("outcomes")],
        migrations=MIGRATIONS,
        consumers=CONSUMERS,
        span_exporter=span_exporter,
    )
