"""Composition root of the reporting service."""

import asyncio

from ap_chassis.runtime import Runtime, build_app
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter
from pydantic import Field

from . import generations, privacy, rebuild
from .consumers import CONSUMERS
from .rebuild import RebuildGauges
from .returns.api import router as returns_router
from .routes.admin import router as admin_router
from .routes.providers import router as provider_router
from .routes.reports import router
from .routes.schemas import router as schemas_router
from .ui.provider_page import router as ui_provider_router
from .ui.routes import router as ui_router
from .ui.signin_settings import SignInSettings

# Reporting's own state goes into public; the read models into the active generation's schema
# (generations.py), whatever files migrations/ holds.
MIGRATIONS = generations.STATE_MIGRATIONS


class Settings(SignInSettings):
    service_name: str = "reporting"
    census_la_number: str | None = Field(
        default=None, pattern=r"^\d{3}$",
        description="this LA's 3-digit DfE number, for return headers (env CENSUS_LA_NUMBER)",
    )  # fmt: skip


def create_app(
    settings: Settings | None = None, span_exporter: SpanExporter | None = None
) -> FastAPI:
    app = build_app(
        settings or Settings(),
        title="AP Journey: reporting",
        routers=[
            router,
            returns_router,
            schemas_router,
            provider_router,
            ui_router,
            ui_provider_router,
            *privacy.routers(),
            admin_router,
        ],
        migrations=MIGRATIONS,
        consumers=CONSUMERS,
        publishes=False,  # reporting writes no events, only dead letters
        span_exporter=span_exporter,
        on_migrated=lambda runtime: read_models_ready(app, runtime),
    )
    app.state.rebuild_gauges = RebuildGauges(app.state.runtime.metrics.registry)
    return app


async def read_models_ready(app: FastAPI, runtime: Runtime) -> None:
    """Bring the active generation up to date; rebuild by itself when an upgrade added read
    models that its events must fill (rebuild.after_upgrade)."""
    stale = await generations.prepare(runtime)
    if stale:
        gauges = app.state.rebuild_gauges
        runtime.tasks.append(asyncio.create_task(rebuild.after_upgrade(runtime, gauges, stale)))
