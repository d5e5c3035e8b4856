"""Composition root of the placement service."""

from pathlib import Path
from typing import Literal

from ap_chassis.batches import router as batches
from ap_chassis.data_protection import data_protection_routers
from ap_chassis.runtime import ServiceApp
from ap_chassis.settings import ServiceSettings

from .api import router
from .consumers import CONSUMERS
from .imports.api import router as imports
from .provider_api import router as provider_router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    service_name: str = "placement"
    # PROVIDER_APPROVAL: `enforce` refuses placing with an unapproved provider unless overridden.
    provider_approval: Literal["warn", "enforce"] = "warn"
    referral_base_url: str = "http://127.0.0.1:8001"  # imports send referrals there
    import_max_bytes: int = 20 * 1024 * 1024
    import_max_rows: int = 100_000
    import_decision_wait_seconds: float = 20.0  # how long a placement waits for its decision


create_app = ServiceApp(
    Settings,
    title="AP Journey: placement",
    routers=lambda _: [
        imports,
        router,
        provider_router,
        batches,
        *data_protection_routers("placement"),
    ],
    migrations=MIGRATIONS,
    consumers=CONSUMERS,
    # a spreadsheet upload has its own limit (the route answers a clear 413 past it)
    body_limits=lambda settings: {"/v1/imports": settings.import_max_bytes + 1_048_576},
)
