"""Composition root of the referral service."""

from pathlib import Path

from ap_chassis.batches import router as batches
from ap_chassis.runtime import build_app
from ap_chassis.settings import ServiceSettings
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from .api import router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    service_name: str = "referral"


def create_app(
    settings: Settings | None = None, span_exporter: SpanExporter | None = None
) -> FastAPI:
    return build_app(
        settings or Settings(),
        title="AP Journey: referral",
        routers=[router, batches],
        migrations=MIGRATIONS,
        span_exporter=span_exporter,
    )
