"""Composition root of the referral service."""

from pathlib import Path

from ap_chassis.batches import router as batches
from ap_chassis.retention import RetentionSettings
from ap_chassis.runtime import ServiceApp
from ap_chassis.settings import ServiceSettings
from pydantic import Field

from . import privacy_api
from .api import router
from .identity_api import router as identity_router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings, RetentionSettings):
    service_name: str = "referral"
    # Where subject access asks each service what it holds (subject_access.py).
    placement_url: str = "http://127.0.0.1:8002"
    outcomes_url: str = "http://127.0.0.1:8003"
    reporting_url: str = "http://127.0.0.1:8004"
    # The LA's rule for identity changes: the register fields a later referral may change at
    # once (comma-separated, e.g. "postcode,fsm_eligible"); every other change waits for an
    # LA officer. Empty (the default): every change waits.
    identity_auto_apply: str = Field(default="", validation_alias="JOURNEY_IDENTITY_AUTO_APPLY")


create_app = ServiceApp(
    Settings,
    title="AP Journey: referral",
    routers=lambda settings: [router, identity_router, batches, *privacy_api.routers(settings)],
    migrations=MIGRATIONS,
)
