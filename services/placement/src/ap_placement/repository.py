"""The placement service's state: two ports (placements, providers) and their PostgreSQL forms.

Handlers see only the Protocols; the unit of work gives them the PostgreSQL repositories over
its transaction, and handler tests an in-memory fake (tests/conftest.py) that the repository
contract suite holds to the same behaviour. Parameters are always bind parameters.
"""

from datetime import date
from typing import Protocol
from uuid import UUID

import asyncpg
from ap_schemas.events import Commissioner, Cost

from .domain import Placement, Provider, ReferralFact
from .provider_quality import Capacity, CheckRecord, Contract, Inspection


class Placements(Protocol):
    async def referral(self, referral_id: UUID) -> ReferralFact | None: ...

    async def lock_pupil(self, pupil_id: UUID) -> None:
        """Serialise one pupil's writes so their outbox rows commit in order."""

    async def get(self, placement_id: UUID) -> Placement | None: ...

    async def open_placement(self, pupil_id: UUID) -> Placement | None: ...

    async def add(self, placement: Placement) -> None: ...

    async def save_end(self, placement: Placement) -> None: ...

    async def in_use(self, provider_id: UUID, *, tier: int, phase: str | None, on: date) -> int:
        """Placements with the provider for the tier (and phase, when given) running on `on`."""
        ...


class Providers(Protocol):
    async def get(self, provider_id: UUID, *, for_update: bool = False) -> Provider | None:
        """The provider; `for_update` serialises commands on one provider."""

    async def all(self) -> list[Provider]:
        """Every provider, by name."""
        ...

    async def add(self, provider: Provider) -> None: ...

    async def save_registration(self, provider: Provider) -> None: ...

    async def checks(self, provider_id: UUID) -> list[CheckRecord]: ...

    async def add_check(self, provider_id: UUID, check: CheckRecord) -> None: ...

    async def latest_inspection(self, provider_id: UUID) -> Inspection | None: ...

    async def save_inspection(self, provider_id: UUID, inspection: Inspection) -> None:
        """One inspection per date: a later record of the same date replaces it."""

    async def capacity(self, provider_id: UUID) -> list[Capacity]:
        """By tier, phase, effective date."""
        ...

    async def save_capacity(self, provider_id: UUID, capacity: Capacity) -> None:
        """One figure per (tier, phase, effective date): a later one replaces it."""

    async def contracts(self, provider_id: UUID) -> list[Contract]:
        """By tier, start date."""
        ...

    async def add_contract(self, provider_id: UUID, contract: Contract) -> None: ...


# PostgreSQL --------------------------------------------------------------------------------

_PLACEMENT = (
    "SELECT placement_id, pupil_id, referral_id, provider_id, commissioner_kind,"
    " commissioner_urn, tier, start_date, planned_end_date, sessions_per_week,"
    " cost_amount_pence, cost_per, annual_cost_pence, dual_registered, reason, phase, funded_by,"
    " end_date, end_reason, notice_given_on, off_site_direction FROM placements"
)


def _placement(row: asyncpg.Record | None) -> Placement | None:
    if row is None:
        return None
    r = dict(row)
    commissioner = Commissioner(kind=r.pop("commissioner_kind"), urn=r.pop("commissioner_urn"))
    amount, per = r.pop("cost_amount_pence"), r.pop("cost_per")
    cost = None if per is None else Cost(amount_pence=amount, per=per)
    return Placement(**r, commissioner=commissioner, cost=cost)


class PgPlacements:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def referral(self, referral_id: UUID) -> ReferralFact | None:
        row = await self.conn.fetchrow(
            "SELECT referral_id, pupil_id, status, reason, referrer_urn, route"
            " FROM referral_replica"
            " WHERE referral_id = $1",
            referral_id,
        )
        return ReferralFact(**dict(row)) if row else None

    async def lock_pupil(self, pupil_id: UUID) -> None:
        await self.conn.execute(
            "INSERT INTO pupils (pupil_id) VALUES ($1) ON CONFLICT DO NOTHING", pupil_id
        )
        await self.conn.execute("SELECT 1 FROM pupils WHERE pupil_id = $1 FOR UPDATE", pupil_id)

    async def get(self, placement_id: UUID) -> Placement | None:
        return _placement(
            await self.conn.fetchrow(_PLACEMENT + " WHERE placement_id = $1", placement_id)
        )

    async def open_placement(self, pupil_id: UUID) -> Placement | None:
        return _placement(
            await self.conn.fetchrow(
                _PLACEMENT + " WHERE pupil_id = $1 AND end_date IS NULL", pupil_id
            )
        )

    async def add(self, p: Placement) -> None:
        await self.conn.execute(
            "INSERT INTO placements (placement_id, pupil_id, referral_id, provider_id,"
            " commissioner_kind, commissioner_urn, tier, start_date, planned_end_date,"
            " sessions_per_week, cost_amount_pence, cost_per, annual_cost_pence, dual_registered,"
            " reason, phase, funded_by, end_date, end_reason, notice_given_on, off_site_direction)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
            " $18, $19, $20, $21)",
            p.placement_id, p.pupil_id, p.referral_id, p.provider_id, p.commissioner.kind,
            p.commissioner.urn, p.tier, p.start_date, p.planned_end_date, p.sessions_per_week,
            p.cost and p.cost.amount_pence, p.cost and p.cost.per, p.annual_cost_pence,
            p.dual_registered, p.reason, p.phase, p.funded_by, p.end_date, p.end_reason,
            p.notice_given_on, p.off_site_direction,
        )  # fmt: skip

    async def save_end(self, placement: Placement) -> None:
        await self.conn.execute(
            "UPDATE placements SET end_date = $2, end_reason = $3 WHERE placement_id = $1",
            placement.placement_id,
            placement.end_date,
            placement.end_reason,
        )

    async def in_use(self, provider_id: UUID, *, tier: int, phase: str | None, on: date) -> int:
        n: int = await self.conn.fetchval(
            "SELECT count(*) FROM placements WHERE provider_id = $1 AND tier = $2"
            " AND ($3::text IS NULL OR phase = $3) AND start_date <= $4"
            " AND (end_date IS NULL OR end_date >= $4)",
            provider_id, tier, phase, on,
        )  # fmt: skip
        return n


_PROVIDER = (
    "SELECT provider_id, name, urn, ukprn, setting_type, registered, state_ap,"
    " registration_changed_on FROM providers"
)


class PgProviders:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, provider_id: UUID, *, for_update: bool = False) -> Provider | None:
        sql = _PROVIDER + " WHERE provider_id = $1" + (" FOR UPDATE" if for_update else "")
        row = await self.conn.fetchrow(sql, provider_id)
        return Provider(**dict(row)) if row else None

    async def all(self) -> list[Provider]:
        return [Provider(**dict(r)) for r in await self.conn.fetch(_PROVIDER + " ORDER BY name")]

    async def add(self, p: Provider) -> None:
        await self.conn.execute(
            "INSERT INTO providers (provider_id, name, urn, ukprn, setting_type, registered,"
            " state_ap, registration_changed_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            p.provider_id, p.name, p.urn, p.ukprn, p.setting_type, p.registered, p.state_ap,
            p.registration_changed_on,
        )  # fmt: skip

    async def save_registration(self, p: Provider) -> None:
        await self.conn.execute(
            "UPDATE providers SET registered = $2, urn = $3, registration_changed_on = $4"
            " WHERE provider_id = $1",
            p.provider_id, p.registered, p.urn, p.registration_changed_on,
        )  # fmt: skip

    async def checks(self, provider_id: UUID) -> list[CheckRecord]:
        rows = await self.conn.fetch(
            "SELECT check_name, checked_on, expires_on, outcome, seq, check_id, officer_id"
            " FROM provider_checks WHERE provider_id = $1 ORDER BY seq",
            provider_id,
        )
        return [CheckRecord(*r) for r in rows]

    async def add_check(self, provider_id: UUID, c: CheckRecord) -> None:
        # seq is the table's own sequence: it orders checks as they were recorded
        await self.conn.execute(
            "INSERT INTO provider_checks (check_id, provider_id, check_name, checked_on,"
            " expires_on, outcome, officer_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            c.check_id, provider_id, c.check, c.checked_on, c.expires_on, c.outcome, c.officer_id,
        )  # fmt: skip

    async def latest_inspection(self, provider_id: UUID) -> Inspection | None:
        row = await self.conn.fetchrow(
            "SELECT ofsted_urn, inspected_on, published_on, judgement, judgement_text"
            " FROM provider_inspections WHERE provider_id = $1 ORDER BY inspected_on DESC LIMIT 1",
            provider_id,
        )
        return Inspection(**dict(row)) if row else None

    async def save_inspection(self, provider_id: UUID, i: Inspection) -> None:
        await self.conn.execute(
            "INSERT INTO provider_inspections (provider_id, inspected_on, ofsted_urn, published_on,"
            " judgement, judgement_text) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (provider_id, inspected_on) DO UPDATE SET"
            " ofsted_urn = EXCLUDED.ofsted_urn, published_on = EXCLUDED.published_on,"
            " judgement = EXCLUDED.judgement, judgement_text = EXCLUDED.judgement_text",
            provider_id, i.inspected_on, i.ofsted_urn, i.published_on, i.judgement,
            i.judgement_text,
        )  # fmt: skip

    async def capacity(self, provider_id: UUID) -> list[Capacity]:
        rows = await self.conn.fetch(
            "SELECT tier, phase, places, effective_from FROM provider_capacity"
            " WHERE provider_id = $1 ORDER BY tier, phase, effective_from",
            provider_id,
        )
        return [Capacity(**dict(r)) for r in rows]

    async def save_capacity(self, provider_id: UUID, c: Capacity) -> None:
        await self.conn.execute(
            "INSERT INTO provider_capacity (provider_id, tier, phase, effective_from, places)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider_id, tier, phase, effective_from)"
            " DO UPDATE SET places = EXCLUDED.places",
            provider_id, c.tier, c.phase, c.effective_from, c.places,
        )  # fmt: skip

    async def contracts(self, provider_id: UUID) -> list[Contract]:
        rows = await self.conn.fetch(
            "SELECT contract_id, tier, starts_on, ends_on, amount_pence, per"
            " FROM provider_contracts WHERE provider_id = $1 ORDER BY tier, starts_on",
            provider_id,
        )
        return [Contract(**dict(r)) for r in rows]

    async def add_contract(self, provider_id: UUID, c: Contract) -> None:
        await self.conn.execute(
            "INSERT INTO provider_contracts (contract_id, provider_id, tier, starts_on, ends_on,"
            " amount_pence, per) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            c.contract_id, provider_id, c.tier, c.starts_on, c.ends_on, c.amount_pence, c.per,
        )  # fmt: skip


async def record_referral(
    conn: asyncpg.Connection,
    *,
    referral_id: UUID,
    pupil_id: UUID,
    status: str,
    reason: str | None = None,
    referrer_urn: str | None = None,
    route: str | None = None,
) -> None:
    """Upsert what a referral event says (consumers.py); one pupil's events arrive in order."""
    await conn.execute(
        "INSERT INTO referral_replica (referral_id, pupil_id, status, reason, referrer_urn,"
        " route) VALUES ($1, $2, $3, $4, $5, COALESCE($6, 'la_arranged'))"
        " ON CONFLICT (referral_id) DO UPDATE SET"
        " status = EXCLUDED.status, reason = COALESCE(EXCLUDED.reason, referral_replica.reason),"
        " referrer_urn = COALESCE(EXCLUDED.referrer_urn, referral_replica.referrer_urn),"
        " route = CASE WHEN $6::text IS NULL THEN referral_replica.route ELSE $6 END",
        referral_id,
        pupil_id,
        status,
        reason,
        referrer_urn,
        route,
    )
