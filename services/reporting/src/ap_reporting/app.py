"""Composition root of the reporting service."""

from pathlib import Path

from ap_chassis.runtime import build_app
from ap_chassis.settings import ServiceSettings
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from .api import router
from .consumers import CONSUMERS
from .ui.routes import router as ui_router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    service_name: str = "reporting"


def create_app(
    settings: Settings | None = None, span_exporter: SpanExporter | None = None
) -> FastAPI:
    return build_app(
        settings or Settings(),
        title="AP Journey: reporting",
        routers=[router, ui_router],
        migrations=MIGRATIONS,
        consumers=CONSUMERS,
        publishes=False,  # reporting writes no events, only dead letters
        span_exporter=span_exporter,
    )
