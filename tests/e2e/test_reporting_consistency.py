"""One cohort, the same figures on every route and page that shows them, through the real
broker and database: the provider API and page, the outcomes page's row for the provider,
/v1/costs, /v1/outcomes beside the outcomes page, and each pupil's clocks on their page and on
the action list. The cohort has the awkward cases: a pupil moving between providers (outcomes
attributed by date), a reintegration with no placement, a reintegration checked twice, two
destinations of one pupil in the period, a destination before any placement."""

import csv
import io
import uuid
from datetime import date

from ap_schemas import codec, topics
from ap_schemas.envelope import Actor
from ap_schemas.events import (
    BY_MODEL,
    Attendance,
    Commissioner,
    Cost,
    DestinationConfirmedV1,
    EventData,
    PlacementEndedV1,
    PlacementReviewedV1,
    PupilPlacedV1,
    PupilReferredV1,
    PupilReintegratedV1,
    Referrer,
    SustainmentCheckedV1,
)

from tests.e2e.support.dashboard import signed_in
from tests.e2e.support.journeys import new_provider, produce
from tests.support.platform import token

LA = token()
ACTOR = Actor(system="test", user_id="consistency")
PERIOD = {"from": "2026-09-01", "to": "2027-08-31"}


def _day(text: str) -> date:
    return date.fromisoformat(text)


async def _send(bootstrap: str, *events: EventData) -> None:
    for data in events:
        spec = BY_MODEL[type(data)]
        envelope = codec.build(
            data, source=topics.OWNERS[spec.topic], actor=ACTOR, correlation_id="consistency"
        )
        pupil = str(getattr(data, "pupil_id"))  # noqa: B009 (pupil events only)
        await produce(bootstrap, spec.topic, pupil, codec.encode(envelope))


def _journey(pupil: uuid.UUID, plan: list[tuple[str, str, str | None]]) -> list[EventData]:
    """A referral, then each (provider, start, end) placement of the plan."""
    referral = uuid.uuid4()
    out: list[EventData] = [
        PupilReferredV1(
            occurred_at=_day("2026-08-20"), pupil_id=pupil, referral_id=referral,
            referred_on=_day("2026-08-20"), referrer=Referrer(kind="local_authority"),
            reason="suspension", tier_requested=2, sen_provision="N",
        )
    ]  # fmt: skip
    for provider, start, end in plan:
        placement = uuid.uuid4()
        out.append(PupilPlacedV1(
            occurred_at=_day(start), pupil_id=pupil, placement_id=placement,
            referral_id=referral, provider_id=uuid.UUID(provider),
            commissioner=Commissioner(kind="local_authority"), tier=2, start_date=_day(start),
            sessions_per_week=4, cost=Cost(amount_pence=1001, per="week"),
            annual_cost_pence=1001 * 39, dual_registered=False, reason="suspension",
        ))  # fmt: skip
        if end:
            out.append(PlacementEndedV1(occurred_at=_day(end), pupil_id=pupil,
                                        placement_id=placement, end_date=_day(end),
                                        reason="moved_provider"))  # fmt: skip
    return out


def _placement_of(events: list[EventData], provider: str) -> uuid.UUID:
    return next(
        e.placement_id for e in events
        if isinstance(e, PupilPlacedV1) and str(e.provider_id) == provider
    )  # fmt: skip


def _review(pupil: uuid.UUID, placement: uuid.UUID, on: str, possible: int, attended: int):
    return PlacementReviewedV1(
        occurred_at=_day(on), pupil_id=pupil, review_id=uuid.uuid4(), placement_id=placement,
        reviewed_on=_day(on), attendance=Attendance(possible_sessions=possible,
                                                    attended_sessions=attended),
        progress="expected", outcome="continue",
    )  # fmt: skip


def _reintegrated(pupil: uuid.UUID, on: str, placement: uuid.UUID | None, rid: uuid.UUID):
    return PupilReintegratedV1(
        occurred_at=_day(on), pupil_id=pupil, reintegration_id=rid, placement_id=placement,
        school_urn="100001", reintegrated_on=_day(on), mode="full_time",
    )  # fmt: skip


def _checked(pupil: uuid.UUID, on: str, rid: uuid.UUID, sustained: bool):
    return SustainmentCheckedV1(occurred_at=_day(on), pupil_id=pupil, reintegration_id=rid,
                                checked_on=_day(on), sustained=sustained)  # fmt: skip


def _destination(pupil: uuid.UUID, on: str, code: int, group: str):
    return DestinationConfirmedV1(occurred_at=_day(on), pupil_id=pupil,
                                  destination_id=uuid.uuid4(), activity_code=code, group=group,
                                  confirmed_on=_day(on))  # fmt: skip


async def _table(services, path: str, table: str, **params: str) -> list[list[str]]:
    answer = await services.reporting.get(
        path,
        params={**params, "format": "csv", "table": table},
        cookies=await signed_in(services.reporting, LA["Authorization"]),
    )
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.text)))


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


async def _cohort(services, infra) -> tuple[str, str, list[uuid.UUID]]:
    p, q = await new_provider(services), await new_provider(services)
    pupils = [uuid.uuid4() for _ in range(4)]
    a, b, c, d = pupils
    ja = _journey(a, [(p, "2026-09-07", "2026-10-30"), (q, "2026-11-02", None)])
    jb = _journey(b, [(p, "2026-09-14", None)])
    jc = _journey(c, [(q, "2026-09-01", "2026-09-30"), (p, "2026-10-01", "2026-12-18")])
    jd = _journey(d, [(p, "2026-10-05", None)])
    ra, rc, rd = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    outcomes: list[EventData] = [
        _review(a, _placement_of(ja, p), "2026-10-12", 20, 15),
        _review(a, _placement_of(ja, q), "2026-12-01", 30, 30),  # Q's, after the move
        _destination(a, "2026-10-20", 210, "education_training"),  # P's by date, superseded
        _destination(a, "2026-12-20", 540, "neet"),  # Q's: a's latest, counted there only
        _reintegrated(a, "2027-01-10", None, ra),  # no placement named: Q's by date
        _checked(a, "2027-03-01", ra, False),
        _checked(a, "2027-04-01", ra, True),  # the latest check decides
        _review(b, _placement_of(jb, p), "2026-10-20", 40, 38),
        _destination(b, "2026-08-25", 330, "employment"),  # before any placement: unknown
        _destination(b, "2027-06-01", 330, "education_training"),  # group from the code
        _reintegrated(c, "2026-12-19", _placement_of(jc, p), rc),
        _checked(c, "2027-02-01", rc, True),
        _destination(c, "2027-01-15", 210, "education_training"),  # P's: latest started
        _reintegrated(d, "2027-02-01", None, rd),  # P's, never checked: a sustainment clock
    ]
    for journey_events in (ja, jb, jc, jd):
        await _send(infra.kafka_bootstrap_servers, *journey_events)
    await _send(infra.kafka_bootstrap_servers, *outcomes)
    return p, q, pupils


async def test_a_cohorts_figures_are_equal_on_every_route_and_page(services, infra, wait):
    p, q, pupils = await _cohort(services, infra)

    async def provider_figures(provider: str, expected: dict[str, int]):
        """The provider's figures once every event of the cohort has been applied."""
        answer = await services.reporting.get(
            f"/v1/providers/{provider}/outcomes", params=PERIOD, headers=LA
        )
        if answer.status_code != 200:
            return False
        got = answer.json()
        arrived = {
            "reintegrations": got["reintegration"]["count"],
            "sustained": got["reintegration"]["sustained"],
            "attendance": got["attendance"]["pupils"],
            "destinations": got["destinations"]["pupils"],
        }
        return arrived == expected and got

    # by hand, by the rules of docs/http-api.md and the attribution rule:
    # P: c's (named) and d's (by date) reintegrations, c's sustained; a's and b's reviews;
    # b's destination (330: employment by its code, whatever the event says) and c's (210)
    api_p = await wait(lambda: provider_figures(
        p, {"reintegrations": 2, "sustained": 1, "attendance": 2, "destinations": 2}))  # fmt: skip
    # Q: a's reintegration (by date, after the move), sustained by its latest check; a's
    # review of the Q placement; a's latest destination (NEET) only
    api_q = await wait(lambda: provider_figures(
        q, {"reintegrations": 1, "sustained": 1, "attendance": 1, "destinations": 1}))  # fmt: skip
    assert api_p["destinations"]["education_training"] == 1
    assert api_p["destinations"]["employment"] == 1
    assert api_p["destinations"]["participation_rate"] == 0.5
    assert api_q["destinations"]["neet"] == 1 and api_q["destinations"]["education_training"] == 0
    assert api_p["attendance"]["possible_sessions"] == 60

    by_provider = {
        row[1]: row
        for row in await _table(services, "/ui/outcomes", "outcomes-by-provider", **PERIOD)
    }
    for provider, api in ((p, api_p), (q, api_q)):
        dest = api["destinations"]
        confirmed = sum(dest[g] for g in ("education_training", "employment", "other_activity",
                                          "neet", "not_known", "excluded"))  # fmt: skip
        assert by_provider[provider][2:] == [
            str(api["attendance"]["possible_sessions"]),
            str(api["attendance"]["attended_sessions"]),
            _rate(api["attendance"]["rate"]),
            str(api["reintegration"]["count"]),
            str(api["reintegration"]["sustained"]),
            str(confirmed),
            str(dest["education_training"]), _rate(dest["participation_rate"]),
        ]  # fmt: skip
        page = await _table(services, f"/ui/providers/{provider}", "provider-outcomes", **PERIOD)
        shown = {(area, measure): value for area, measure, value in page[1:]}
        for block in ("attendance", "reintegration", "destinations", "cost"):
            for measure, value in api[block].items():
                expected = "" if value is None else str(value)
                assert shown[(block, measure)] == expected, (block, measure)

    costs = await services.reporting.get(
        "/v1/costs", params={**PERIOD, "by": "provider"}, headers=LA
    )
    cost_rows = {r["key"]: r for r in costs.json()["rows"]}
    for provider, api in ((p, api_p), (q, api_q)):
        assert cost_rows[provider]["cost_pence"] == api["cost"]["cost_pence"]
        assert cost_rows[provider]["pupils"] == api["cost"]["pupils"]

    # the whole city: /v1/outcomes and the outcomes page's overall row, read back to back
    async def overall_equal():
        before = await _table(services, "/ui/outcomes", "outcomes-overall", **PERIOD)
        api = (await services.reporting.get("/v1/outcomes", params=PERIOD, headers=LA)).json()
        after = await _table(services, "/ui/outcomes", "outcomes-overall", **PERIOD)
        dest = api["destinations"]
        confirmed = sum(dest[g] for g in ("education_training", "employment", "other_activity",
                                          "neet", "not_known", "excluded"))  # fmt: skip
        row = [
            "All", "all", str(api["attendance"]["possible_sessions"]),
            str(api["attendance"]["attended_sessions"]), _rate(api["attendance"]["rate"]),
            str(api["reintegration"]["count"]), str(api["reintegration"]["sustained"]),
            str(confirmed), str(dest["education_training"]), _rate(dest["participation_rate"]),
        ]  # fmt: skip
        return before == after and before[1] == row

    assert await wait(overall_equal)

    # each pupil's clocks: their page and the action list show the same rows
    actions = await _table(services, "/ui/actions", "clocks")
    kinds = 0
    for pupil in pupils:
        listed = sorted((r[2], r[0], r[3]) for r in actions[1:] if r[1] == str(pupil))
        timeline = await _table(services, f"/ui/pupils/{pupil}", "timeline")
        on_page = sorted(
            (r[0], r[1].removeprefix("Clock: "), r[2])
            for r in timeline[1:] if r[1].startswith("Clock: ")
        )  # fmt: skip
        assert on_page == listed, pupil
        kinds += len(listed)
    assert kinds  # the cohort has clocks run out (its providers are not registered)
