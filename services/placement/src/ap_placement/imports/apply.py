"""Apply validated rows through the same routes, rules and events as the HTTP API.

How each command travels (no back door):
- placements and ends: `POST /v1/placements`, `POST /v1/placements/{id}/end` on this service, sent
  in-process through its own routes with the caller's token, so authentication, the access rules,
  validation, the domain rules, idempotency and the events are exactly the API's;
- referrals and decisions belong to the referral service, and this service never writes them:
  the import calls the referral service's HTTP API (`referral_base_url`) with the caller's token,
  as a case-management system would. One import covers a school's whole census file, which is what
  the issue asks, rather than making the officer upload it twice to two services;
- providers named by URN, UKPRN or setting type that are not registered yet are registered with
  this service's `register_provider` handler in its unit of work (same rule, same event, same
  idempotency store, the same steps as a command route),
  called directly rather than through `POST /v1/providers`, whose route is the LA's alone: the
  census names providers only by these public identifiers, and a school's return must not wait on
  the LA's register. The event records the importer as its actor, and the report lists each one.

A census row is AP the school arranged itself: its referral is made as the school with
`route: school_arranged`, which the referral service accepts at once as the school's own
decision, so the row is placed in the same run (retrying while the acceptance travels to this
service). LA-arranged rows of the `journey` layout still need the LA's decision, which an LA
import may carry; without it they are reported as "awaiting decision" with the referral id, and
importing the same file again after the LA has decided places them (everything already done is
recognised). The import never decides on anyone's behalf.

Every command carries an Idempotency-Key derived from the layout and the command's own content
(for a placement: with the ids its referral and provider resolved to), never from the whole file,
so a corrected file re-sends unchanged rows under the same keys and only what changed is new.
"""

import asyncio
import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from ap_chassis.access import enforce, tenant
from ap_chassis.auth import Principal
from ap_chassis.http import nothing_to_load, run_once
from ap_chassis.idempotency import request_hash
from ap_chassis.uow import EventContext

from .. import access, handlers
from ..commands import RegisterProvider
from ..models import ProviderIn
from ..uow import PlacementUnitOfWork
from . import repository
from .validate import Issue, RowPlan

log = logging.getLogger(__name__)
WORKERS = 4  # pupils applied at once; one pupil's rows always in file order


@dataclass
class Progress:
    """Counts an import reports while it runs; `flush` persists them."""

    rows: int = 0
    validated: int = 0
    applied: int = 0
    unchanged: int = 0
    refused: int = 0
    awaiting: int = 0
    steps_total: int = 0
    steps_done: int = 0

    def counts(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Answer:
    status: int
    body: Any
    replayed: bool

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class RowState:
    referral_id: UUID | None = None
    placement_id: UUID | None = None
    new: bool = False
    awaiting: str | None = None
    accepted: bool = False  # the referral service answered `accepted` (school-arranged AP)
    issue: Issue | None = None
    notes: list[Issue] = field(default_factory=list)


def key_of(layout: str, kind: str, body: Any) -> str:
    canonical = json.dumps([layout, kind, body], sort_keys=True, separators=(",", ":"), default=str)
    return f"import-{kind}-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


@dataclass
class Importer:
    pool: asyncpg.Pool
    principal: Principal
    authorization: str
    local: httpx.AsyncClient  # this service's own routes, in-process
    referral: httpx.AsyncClient  # the referral service's HTTP API
    events: EventContext
    layout: str
    progress: Progress
    decision_wait_seconds: float = 20.0
    on_step: Callable[[], Awaitable[None]] | None = None
    states: dict[int, RowState] = field(default_factory=lambda: defaultdict(RowState))

    # commands ----------------------------------------------------------------------------

    async def send(self, client: httpx.AsyncClient, path: str, body: Any, key: str) -> Answer:
        """POST once per key: an answer this import already had is reused without a call."""
        known = await repository.command_answer(self.pool, tenant(self.principal), key)
        if known is not None:
            return Answer(known[0], known[1], replayed=True)
        headers = {"Authorization": self.authorization, "Idempotency-Key": key}
        try:
            answer = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            return Answer(503, {"detail": f"{path} did not answer ({type(exc).__name__})"}, False)
        payload = _json(answer)
        if answer.is_success:
            await repository.remember_command(
                self.pool, tenant(self.principal), key, answer.status_code, payload
            )
        return Answer(answer.status_code, payload, replayed=False)

    async def step(self) -> None:
        self.progress.steps_done += 1
        if self.on_step is not None:
            await self.on_step()

    # providers ---------------------------------------------------------------------------

    async def providers(self, plans: list[RowPlan], *, dry_run: bool) -> dict[str, UUID]:
        """Find each provider named by identifier; register those not known yet."""
        found: dict[str, UUID] = {}
        for plan in plans:
            if plan.provider is None:
                continue
            name = provider_key(plan.provider)
            if name in found:
                continue
            p = plan.provider
            existing = await repository.find_provider(
                self.pool, urn=p.urn, ukprn=p.ukprn, setting_type=p.setting_type, name=p.name
            )
            if existing is not None:
                found[name] = existing
                continue
            if dry_run:
                self.states[plan.row].notes.append(
                    Issue(plan.row, "provider", f"would register provider {p.name}")
                )
                continue
            found[name] = await self.register(p)
            self.states[plan.row].notes.append(
                Issue(plan.row, "provider", f"registered provider {p.name}: {found[name]}")
            )
        return found

    async def register(self, cmd: ProviderIn) -> UUID:
        enforce(
            access.can(self.principal, "register_named_provider"),
            action="register",
            what="the providers this file names",
        )
        payload = cmd.model_dump(mode="json")
        scope, key = tenant(self.principal), key_of(self.layout, "provider", payload)
        _, answer = await run_once(
            self.pool,
            self.events,
            self.principal,
            scope=scope,
            authorize=nothing_to_load,  # checked above: the importer may register named ones
            handler=handlers.register_provider,
            command=RegisterProvider(**dict(cmd)),
            unit_of_work=PlacementUnitOfWork,
            key=key,
            fingerprint=request_hash("POST", "/v1/providers", payload),
            status_code=201,
        )
        return UUID(answer["provider_id"])

    # rows --------------------------------------------------------------------------------

    async def refer(self, plan: RowPlan) -> None:
        """Phase 1 of a row: its referral (made, or named) and the LA's decision when given."""
        state = self.states[plan.row]
        if plan.referral is not None:
            answer = await self.send(
                self.referral, "/v1/referrals", plan.referral,
                key_of(self.layout, "referral", plan.referral),
            )  # fmt: skip
            await self.step()
            if not self.accept(plan, answer):
                return
            state.referral_id = UUID(answer.body["referral_id"])
            state.accepted = answer.body.get("status") == "accepted"
        else:
            state.referral_id = plan.referral_id
        if plan.decision is not None and state.referral_id is not None:
            answer = await self.send(
                self.referral, f"/v1/referrals/{state.referral_id}/decision", plan.decision,
                key_of(self.layout, "decision", [str(state.referral_id), plan.decision]),
            )  # fmt: skip
            await self.step()
            self.accept(plan, answer, field="decision")

    async def place(self, plan: RowPlan, providers: dict[str, UUID]) -> None:
        """Phase 2 of a row: its placement (once the referral is accepted) and its end."""
        state = self.states[plan.row]
        if state.issue is not None:
            return
        placement_id = plan.placement_id
        if plan.placement is not None and state.referral_id is not None:
            provider_id = plan.provider_id or (
                providers.get(provider_key(plan.provider)) if plan.provider else None
            )
            if provider_id is None:
                state.issue = Issue(plan.row, "provider", "the provider could not be registered")
                return
            body = plan.placement.model_copy(
                update={"referral_id": state.referral_id, "provider_id": provider_id}
            ).model_dump(mode="json", exclude_none=True)
            key = key_of(self.layout, "placement", body)
            known = await repository.command_answer(self.pool, tenant(self.principal), key)
            if (
                known is None
                and plan.decision is None
                and not state.accepted
                and not await self.referral_accepted(plan, state)
            ):
                return
            answer = await self.placed(body, key)
            await self.step()
            if answer.status == 409 and answer.body.get("retry_after"):
                state.awaiting = (
                    f"awaiting decision: referral {state.referral_id} has no accepted decision"
                    " at the placement service yet; import this file again once it has"
                )
                return
            if not self.accept(plan, answer, field="start_date"):
                return
            placement_id = UUID(answer.body["placement_id"])
            state.placement_id = placement_id
        if plan.end is not None and placement_id is not None:
            body = plan.end.model_dump(mode="json")
            answer = await self.send(
                self.local, f"/v1/placements/{placement_id}/end", body,
                key_of(self.layout, "end", [str(placement_id), body]),
            )  # fmt: skip
            await self.step()
            self.accept(plan, answer, field="end_date")

    async def referral_accepted(self, plan: RowPlan, state: RowState) -> bool:
        """Ask the referral service whether the referral was accepted: rows never decide it."""
        try:
            answer = await self.referral.get(
                f"/v1/referrals/{state.referral_id}",
                headers={"Authorization": self.authorization},
            )
        except httpx.HTTPError as exc:
            message = f"the referral service did not answer ({type(exc).__name__}): try later"
            state.issue = Issue(plan.row, "referral_id", message)
            return False
        if not answer.is_success:
            return self.accept(plan, Answer(answer.status_code, _json(answer), False))
        status = _json(answer).get("status")
        if status == "received":
            state.awaiting = (
                f"awaiting decision: referral {state.referral_id} waits for the LA's decision;"
                " import this file again once it is accepted"
            )
            return False
        if status != "accepted":
            state.issue = Issue(
                plan.row, "referral_id", f"referral {state.referral_id} is {status}"
            )
            return False
        return True

    async def placed(self, body: dict[str, Any], key: str) -> Answer:
        """Place, retrying while the accepted referral is still travelling to this service."""
        deadline = time.monotonic() + self.decision_wait_seconds
        while True:
            known = await repository.command_answer(self.pool, tenant(self.principal), key)
            if known is not None:
                return Answer(known[0], known[1], replayed=True)
            answer = await self.local.post(
                "/v1/placements",
                json=body,
                headers={"Authorization": self.authorization, "Idempotency-Key": key},
            )
            payload = _json(answer)
            if answer.is_success:
                await repository.remember_command(
                    self.pool, tenant(self.principal), key, answer.status_code, payload
                )
                return Answer(answer.status_code, payload, replayed=False)
            if answer.status_code == 409 and "retry-after" in answer.headers:
                if time.monotonic() >= deadline:
                    return Answer(409, {**payload, "retry_after": True}, replayed=False)
                await asyncio.sleep(0.2)
                continue
            return Answer(answer.status_code, payload, replayed=False)

    def accept(self, plan: RowPlan, answer: Answer, *, field: str = "row") -> bool:
        """Record a command's answer on its row: new, replayed, or the reason it was refused."""
        state = self.states[plan.row]
        if answer.ok:
            state.new = state.new or not answer.replayed
            return True
        body = answer.body if isinstance(answer.body, dict) else {}
        errors = body.get("errors") or [{"field": field, "message": body.get("detail", "")}]
        first = errors[0]
        message = str(first.get("message") or body.get("detail") or f"HTTP {answer.status}")
        if answer.status == 401:
            message = "the token was refused (expired?): import the file again with a new one"
        state.issue = Issue(plan.row, str(first.get("field") or field), message)
        return False

    # the whole file ----------------------------------------------------------------------

    async def run(self, plans: list[RowPlan]) -> list[Issue]:
        providers = await self.providers(plans, dry_run=False)
        groups: dict[str, list[RowPlan]] = defaultdict(list)
        for plan in plans:
            groups[plan.pupil_key].append(plan)

        async def each_group(work: Callable[[RowPlan], Awaitable[None]]) -> None:
            queue = list(groups.values())

            async def worker() -> None:
                while queue:
                    for plan in queue.pop(0):
                        await work(plan)

            await asyncio.gather(*(worker() for _ in range(min(WORKERS, len(queue) or 1))))

        started = time.monotonic()
        await each_group(self.refer)
        referred = time.monotonic()
        await each_group(lambda plan: self.place(plan, providers))
        log.info(
            "import applied %d rows: referrals %.1fs, placements %.1fs",
            len(plans), referred - started, time.monotonic() - referred,
        )  # fmt: skip
        return self.tally(plans)

    def tally(self, plans: list[RowPlan]) -> list[Issue]:
        """Each row's outcome in the counts; the report lines of every row."""
        report: list[Issue] = []
        for plan in plans:
            state = self.states[plan.row]
            report.extend(state.notes)
            if state.issue is not None:
                self.progress.refused += 1
                report.append(state.issue)
            elif state.awaiting is not None:
                self.progress.awaiting += 1
                report.append(Issue(plan.row, "referral_id", state.awaiting))
            elif state.new:
                self.progress.applied += 1
            else:
                self.progress.unchanged += 1
        return report


def steps_of(plan: RowPlan) -> int:
    return sum(
        1 for part in (plan.referral, plan.decision, plan.placement, plan.end) if part is not None
    )


def provider_key(provider: ProviderIn) -> str:
    return json.dumps([provider.urn, provider.ukprn, provider.setting_type, provider.name])


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return {"detail": answer.text[:500]}
