"""The per-provider dashboard page, built from the API's figures. Pure."""

from datetime import date

from ap_reporting.projection import JourneyEvent
from ap_reporting.provider_figures import suppress
from ap_reporting.provider_outcomes import provider_outcomes
from ap_reporting.ui import pages, provider_page

PERIOD = pages.Filters(date(2026, 9, 1), date(2026, 11, 30))


def _placed(pupil: str, provider: str) -> list[JourneyEvent]:
    return [
        JourneyEvent(f"{pupil}-p", "journey.pupil.placed.v1", date(2026, 9, 1), {
            "pupil_id": pupil, "placement_id": f"pl-{pupil}", "provider_id": provider,
            "commissioner": {"kind": "local_authority"}, "tier": 2, "start_date": "2026-09-01",
            "annual_cost_pence": 3_650_000, "sessions_per_week": 10,
        }),
    ]  # fmt: skip


def _figures(n: int) -> dict:
    events = {f"p{i}": _placed(f"p{i}", "prov") for i in range(n)}
    return {
        **provider_outcomes("prov", events, PERIOD.start, PERIOD.end),
        "inspection": None,
        "beyond_capacity_flags": 0,
    }


def test_the_page_shows_the_api_figures_for_an_la_officer():
    figures = _figures(2)
    supply = [{"provider_id": "prov", "tier": 2, "phase": "secondary", "places_offered": 10,
               "places_used": 2, "pupils": 2}]  # fmt: skip
    page = provider_page.build("Brookside", figures, supply, PERIOD)
    rows = {(r[0], r[1]): r[2] for r in page.tables[0].rows}
    assert rows[("placements", "pupils")] == figures["placements"]["pupils"] == 2
    assert rows[("cost", "cost_pence")] == figures["cost"]["cost_pence"] > 0
    assert page.tables[1].rows == [("Tier 2", "secondary", 10, 2)]
    assert not any("suppressed" in n for n in page.notes)


def test_an_analyst_sees_small_blocks_suppressed_as_the_api_does():
    figures = suppress(_figures(2))
    supply = suppress([{"provider_id": "prov", "tier": 2, "phase": "secondary",
                        "places_offered": 10, "places_used": 2, "pupils": 2}])  # fmt: skip
    page = provider_page.build("Brookside", figures, supply, PERIOD)
    rows = {(r[0], r[1]): r[2] for r in page.tables[0].rows}
    assert rows[("cost", "cost_pence")] == provider_page.MARK
    assert {f[0]: f[2] for f in page.figures}["pupils"] == provider_page.MARK
    assert page.tables[1].rows == [("Tier 2", "secondary", provider_page.MARK, provider_page.MARK)]
    assert any("suppressed" in n for n in page.notes)
