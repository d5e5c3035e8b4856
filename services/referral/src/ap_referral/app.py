"""Composition root of the referral service."""

from pathlib import Path

from ap_chassis.retention import RetentionSettings
from ap_chassis.runtime import build_app
from ap_chassis.settings import ServiceSettings
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from . import privacy_api
from .api import router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings, RetentionSettings):
    service_name: str = "referral"
    # Where subject access asks each service what it holds (subject_access.py).
    placement_url: str = "http://127.0.0.1:8002"
    outcomes_url: str = "http://127.0.0.1:8003"
    reporting_url: str = "http://127.0.0.1:8004"


def create_app(
    settings: Settings | None = None, span_exporter: SpanExporter | None = None
) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        settings,
        title="AP Journey: referral",
        routers=[router, *privacy_api.routers(settings)],
        migrations=MIGRATIONS,
        span_exporter=span_exporter,
    )
