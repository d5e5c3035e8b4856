"""The cross-service journeys' name for the shared platform helpers (`tests.support.platform`).

They live in `tests/support/` so that the root conftest and the services' integration suites
need nothing from `tests/e2e/`; the journeys and the suites not yet pointed at the new home
import them from here. New code imports `tests.support.platform`.
"""

from tests.support.platform import (
    JWT_SECRET,
    RUN,
    Platform,
    TcpProxy,
    build,
    eventually,
    random_upn,
    random_urn,
    read_topic,
    referral_body,
    running,
    service_settings,
    token,
)

__all__ = [
    "JWT_SECRET",
    "RUN",
    "Platform",
    "TcpProxy",
    "build",
    "eventually",
    "random_upn",
    "random_urn",
    "read_topic",
    "referral_body",
    "running",
    "service_settings",
    "token",
]
