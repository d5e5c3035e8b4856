"""A provider as its journey.providers events describe it. Pure, and the same whatever the
order the events arrive in: they are folded sorted by business date, then event id."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .projection import JourneyEvent

T = "journey.provider."


@dataclass(frozen=True)
class ProviderView:
    provider_id: str
    registered: bool | None  # None: the registration has not arrived yet (events are held)
    name: str | None
    checks: tuple[tuple[str, str, str, str], ...]  # latest (check, checked_on, expires_on, outcome)
    inspection: tuple[str, str, str] | None  # (inspected_on, judgement, judgement_text)
    capacity: tuple[tuple[int, str, str, int], ...]  # (tier, phase, effective_from, places)
    contracts: tuple[tuple[str, int, str, str, int, str], ...]
    overrides: int
    capacity_flags: tuple[tuple[str, str], ...]  # (occurred_at, placement_id)
    urn: str | None = None  # from the registration, or the latest change of registration

    @property
    def known(self) -> bool:
        return self.name is not None  # its registration has arrived (a change alone is held)

    def places(self, tier: int, phase: str, on: date) -> int | None:
        """Places offered for tier and phase in force on `on`, or None when never stated."""
        stated = [c for c in self.capacity if c[:2] == (tier, phase) and c[2] <= on.isoformat()]
        return max(stated, key=lambda c: c[2])[3] if stated else None


def project_provider(provider_id: str, events: Iterable[JourneyEvent]) -> ProviderView:
    registered: bool | None = None
    name: str | None = None
    urn: str | None = None
    changed = False
    checks: dict[str, tuple[str, str, str, str]] = {}
    inspection: tuple[str, str, str] | None = None
    capacity: dict[tuple[int, str, str], int] = {}
    contracts: dict[str, tuple[str, int, str, str, int, str]] = {}
    overrides = 0
    flags: set[tuple[str, str]] = set()
    for e in sorted(events, key=lambda e: e.order):
        d: dict[str, Any] = e.data
        if e.type == T + "registered.v1":
            name = str(d["name"])
            if not changed:  # a later change of registration supersedes the first record
                registered, urn = bool(d["registered"]), d.get("urn") or urn
        elif e.type == T + "registration_changed.v1":  # folded in changed_on order
            changed, registered = True, bool(d["registered"])
            urn = d.get("ofsted_urn") or urn
        elif e.type == T + "check_recorded.v1":
            record = (d["check"], d["checked_on"], d["expires_on"], d["outcome"])
            if d["check"] not in checks or checks[d["check"]][1] <= d["checked_on"]:
                checks[d["check"]] = record
        elif e.type == T + "inspected.v1":
            if inspection is None or inspection[0] <= d["inspected_on"]:
                inspection = (d["inspected_on"], d["judgement"], d["judgement_text"])
        elif e.type == T + "capacity_set.v1":
            capacity[(int(d["tier"]), d["phase"], d["effective_from"])] = int(d["places"])
        elif e.type == T + "contract_agreed.v1":
            cost = d["cost"]
            contracts[d["contract_id"]] = (
                d["contract_id"], int(d["tier"]), d["starts_on"], d["ends_on"],
                int(cost["amount_pence"]), cost["per"],
            )  # fmt: skip
        elif e.type == T + "approval_overridden.v1":
            overrides += 1
        elif e.type == T + "capacity_exceeded.v1":
            flags.add((e.occurred_at.isoformat(), str(d["placement_id"])))
    return ProviderView(
        provider_id=provider_id,
        registered=registered,
        name=name,
        checks=tuple(sorted(checks.values())),
        inspection=inspection,
        capacity=tuple(sorted((*k, v) for k, v in capacity.items())),
        contracts=tuple(sorted(contracts.values())),
        overrides=overrides,
        capacity_flags=tuple(sorted(flags)),
        urn=urn,
    )
