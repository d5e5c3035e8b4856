"""What every bench section shares: one run tag, service settings, a token, the figure table.

Figures are measured and printed, never asserted: `Figure` holds a value, its limit and which side
of the limit is good, and prints the ratio so a reader sees at once how far off each one is.
"""

import os
import secrets
import statistics
from dataclasses import dataclass
from typing import Any

from ap_chassis.auth import issue_token

SECRET = "bench-secret-" + "x" * 32
RUN = secrets.token_hex(3)
TABLE: list["Figure"] = []


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    limit: float | None = None
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.limit is None or not self.value or not self.limit:
            return None
        return self.value / self.limit if self.higher_is_better else self.limit / self.value

    def line(self) -> str:
        limit = ""
        if self.limit is not None:
            sign = ">=" if self.higher_is_better else "<="
            ok = "ok  " if (self.ratio or 0) >= 1 else "SHORT"
            limit = f"{sign} {self.limit:>9,.0f}  x{self.ratio or 0:6.2f}  {ok}"
        return f"  {self.name:<66} {self.value:>11,.1f} {self.unit:<9} {limit}  {self.note}"


def report(figure: Figure) -> Figure:
    """Print a figure as soon as it is measured, and keep it for the summary table."""
    TABLE.append(figure)
    print(figure.line(), flush=True)
    return figure


def summary() -> None:
    print("\nsummary (value, limit, ratio: >= 1 meets the limit)")
    for figure in TABLE:
        print(figure.line())


def settings(module: Any, name: str, infra: Any, **overrides: Any) -> Any:
    """A service's settings for the bench: its own database and consumer groups for this run."""
    values: dict[str, Any] = {
        "JOURNEY_ENVIRONMENT": "test",
        "JOURNEY_JWT_SECRET": SECRET,
        "database_url": infra.database_url,
        "database_name": f"ap_{name}_bench_{RUN}",
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "kafka_session_timeout_ms": 2000,
        "kafka_heartbeat_interval_ms": 500,
        "log_level": "WARNING",
        "rate_limit_writes_per_minute": 0,  # the bench measures throughput, not the limit
        "relay_poll_seconds": 0.5,
        **overrides,
    }
    return module.Settings(**values)


def bearer(role: str = "la_officer", **scope: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + issue_token(SECRET, sub="bench", role=role, **scope)}  # type: ignore[arg-type]


def ms(values: list[float], q: int) -> float:
    """The q-th percentile of durations in seconds, in milliseconds."""
    if len(values) < 2:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def knob(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
