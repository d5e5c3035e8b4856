"""Composition root of the outcomes service."""

from pathlib import Path

from ap_chassis.batches import router as batches
from ap_chassis.data_protection import data_protection_routers
from ap_chassis.runtime import ServiceApp
from ap_chassis.settings import ServiceSettings

from .api import router
from .consumers import CONSUMERS

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    service_name: str = "outcomes"


create_app = ServiceApp(
    Settings,
    title="AP Journey: outcomes",
    routers=lambda _: [router, batches, *data_protection_routers("outcomes")],
    migrations=MIGRATIONS,
    consumers=CONSUMERS,
)
