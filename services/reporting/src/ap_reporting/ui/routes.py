"""The web pages under /ui/ (docs/http-api.md "Web pages"): sign-in, overview, money, outcomes,
action list, a pupil's journey. Same roles and scoping as the API; every table downloads as
CSV/XLSX."""

import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from ap_chassis.access import ALLOW
from ap_chassis.auth import Principal, Role
from ap_chassis.errors import InvalidCommandError, NotFoundError
from ap_chassis.problems import ProblemError
from ap_schemas.calendar import default_calendar
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from .. import access, report_queries, repository
from ..clocks import Clock, from_rows
from ..placement_facts import PlacementFact
from ..policy import policy
from . import cache, oidc, pages, queries, session, suppression
from .session import SESSION, SignInRequiredError, principal_of
from .tables import Table, pounds, to_csv, to_xlsx

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
router = APIRouter(prefix="/ui", include_in_schema=False)
templates = Jinja2Templates(
    env=Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(HERE / "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
    )
)
templates.env.filters["pounds"] = pounds

# Which roles see which page (docs/http-api.md "Web pages": the same as the API's).
PAGE_ROLES: dict[str, tuple[Role, ...]] = {
    "overview": ("la_officer", "analyst", "auditor", "school", "provider"),
    "money": ("la_officer", "analyst", "school"),
    "outcomes": ("la_officer", "analyst"),
    "actions": ("la_officer", "auditor", "school", "provider"),
    "pupil": ("la_officer", "auditor", "school", "provider"),
}
NAV = (
    ("overview", "/ui/", "The city now"),
    ("money", "/ui/money", "Money"),
    ("outcomes", "/ui/outcomes", "Outcomes"),
    ("actions", "/ui/actions", "Action list"),
)
IDENTITY_ROLES = ("la_officer",)  # the roles that see names: as for the AP census


def _html(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page with the headers every page carries: a strict CSP (the template's one inline script
    runs by nonce), no framing, no caching of pages that may hold personal data."""
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(
        request, name, {**context, "cspNonce": nonce}, status_code=status_code
    )
    response.headers.update({
        "Content-Security-Policy": (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self';"
            " img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self';"
            " frame-ancestors 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    })  # fmt: skip
    return response


class UiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def guarded(handler: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """A page: to the sign-in form without a session, an HTML error page when refused."""

    @functools.wraps(handler)
    async def page(request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(request, *args, **kwargs)
        except SignInRequiredError:
            return RedirectResponse("/ui/sign-in", status_code=303)
        except UiError as exc:
            return _html(
                request,
                "error.html",
                {
                    "status": exc.status,
                    "message": exc.message,
                    "nav": [],
                    "principal": None,
                },
                status_code=exc.status,
            )

    return page


@router.get("/assets/{path:path}")
async def asset(path: str) -> Response:
    """GOV.UK Frontend's CSS, JS and images, vendored from its npm package (no CDN)."""
    root = ASSETS.resolve()
    file = (root / path).resolve()
    if not file.is_relative_to(root) or not file.is_file():
        raise NotFoundError(f"no asset {path}")
    return FileResponse(file, headers={"Cache-Control": "public, max-age=86400"})


def academic_year_start(today: date) -> date:
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


Tier = Annotated[int | None, Query(ge=1, le=3)]
Key = Annotated[str | None, Query(max_length=64, pattern=r"^[\w:-]*$")]
School = Annotated[str | None, Query(pattern=r"^(\d{6})?$")]


def scope_query(
    tier: Tier = None, commissioner: Key = None, provider: Key = None, school: School = None
) -> pages.Filters:
    """The filters of every page but the period (as of today)."""
    today = date.today()
    return pages.Filters(today, today, tier, commissioner or None, provider or None, school or None)


def period_query(
    scope: Annotated[pages.Filters, Depends(scope_query)],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> pages.Filters:
    """The period (default: this academic year to date) and the other filters."""
    start = start or academic_year_start(scope.end)
    end = end or scope.end
    if end < start:
        raise InvalidCommandError("to cannot be before from", field="to")
    if (end - start).days > 366 * 3:
        raise InvalidCommandError("a period is at most three years", field="to")
    return replace(scope, start=start, end=end)


@dataclass(frozen=True)
class Export:
    format: str | None = None
    table: str | None = None


def export_query(
    format: Annotated[str | None, Query(pattern=r"^(html|csv|xlsx)$")] = None,
    table: Annotated[str | None, Query(max_length=64)] = None,
) -> Export:
    return Export(format, table)


PeriodFilters = Annotated[pages.Filters, Depends(period_query)]
ScopeFilters = Annotated[pages.Filters, Depends(scope_query)]
Exports = Annotated[Export, Depends(export_query)]
Builder = Callable[[Any, Principal, dict[str, dict[str, Any]]], Awaitable[pages.Page]]


async def _signed_in(request: Request, page: str) -> tuple[Principal, str]:
    principal, token = await principal_of(request)
    if principal.role not in PAGE_ROLES[page]:
        raise UiError(403, f"the {principal.role} role cannot see this page")
    return principal, token


def _scope(
    principal: Principal, facts: list[PlacementFact], *, spend: bool = False
) -> list[PlacementFact]:
    """A school sees its own pupils (its commissioned spend, on the money page); a provider its
    own placements; the LA, analysts and auditors everything."""
    if principal.role == "school":
        own = f"school:{principal.urn}"
        return [
            f
            for f in facts
            if f.commissioner == own or (not spend and f.home_school_urn == principal.urn)
        ]
    if principal.role == "provider":
        return [f for f in facts if f.provider_id == principal.provider_id]
    return facts


def fact_scope(
    principal: Principal, filters: pages.Filters, *, spend: bool = False
) -> report_queries.FactScope:
    """`_scope` and `Filters.keeps` as SQL conditions (report_queries): a school its own pupils
    (its commissioned spend, on the money page), a provider its own placements."""
    own: dict[str, str] = {}
    if principal.role == "school":
        own = {"own_spend" if spend else "own_school": principal.urn or ""}
    elif principal.role == "provider":
        own = {"own_provider": principal.provider_id or ""}
    return report_queries.FactScope(
        filters.tier, filters.commissioner, filters.provider, filters.school, **own
    )


def _respond(
    request: Request,
    principal: Principal,
    token: str,
    page: pages.Page,
    current: str,
    filters: pages.Filters | None,
    export: Export,
    providers: dict[str, dict[str, Any]],
    template: str = "page.html",
    **extra: Any,
) -> Response:
    if export.format in ("csv", "xlsx"):
        return _download(page.tables, current, export.format, export.table)
    query = str(request.url.query)
    return _html(
        request,
        template,
        {
            "page": page,
            "principal": principal,
            "current": current,
            "filters": filters,
            "nav": [n for n in NAV if principal.role in PAGE_ROLES[n[0]]],
            "csrf": session.csrf_token(request, token),
            "providers": providers,
            "query": "&".join(
                p for p in query.split("&") if p and not p.startswith(("format=", "table="))
            ),
            **extra,
        },
    )


def _download(tables: list[Table], name: str, fmt: str, table: str | None) -> Response:
    chosen = [t for t in tables if table is None or t.id == table]
    if not chosen:
        raise NotFoundError(f"no table {table} on this page", field="table")
    if fmt == "csv":
        first = chosen[0]
        return Response(
            to_csv(first),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}-{first.id}.csv"',
                     "Cache-Control": "no-store"},
        )  # fmt: skip
    stem = f"{name}-{chosen[0].id}" if table else name
    return Response(
        to_xlsx(chosen),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


# sign-in ----------------------------------------------------------------------------------


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request) -> Response:
    nonce = request.cookies.get(session.PRE_SESSION) or session.new_pre_session()
    response = _sign_in_page(request, nonce, None, 200)
    session.set_cookie(request, response, session.PRE_SESSION, nonce, 3600)
    return response


def _sign_in_page(request: Request, nonce: str, error: str | None, status: int) -> Response:
    return _html(
        request,
        "sign_in.html",
        {
            "csrf": session.csrf_token(request, nonce),
            "error": error,
            "oidc": session.oidc_client(request) is not None,
            "paste": session.paste_allowed(request),
            "nav": [],
            "principal": None,
        },
        status_code=status,
    )


@router.post("/sign-in")
async def sign_in(
    request: Request,
    token: Annotated[str, Form(max_length=8192)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Token paste: local runs and tests only."""
    if not session.paste_allowed(request):
        return _error_page(request, 404, "Sign in with your organisation's account instead.")
    nonce = request.cookies.get(session.PRE_SESSION)
    if not session.csrf_ok(request, nonce, csrf):
        return _sign_in_page(
            request, nonce or session.new_pre_session(), "The form has expired: sign in again", 403
        )
    try:
        principal = await session.verify(request, token.strip())
    except ProblemError as exc:
        return _sign_in_page(request, nonce or "", f"That token was refused: {exc.detail}", 401)
    response = RedirectResponse("/ui/", status_code=303)
    sid = session.start_pasted(request, principal, token.strip())
    session.set_cookie(request, response, SESSION, sid, 8 * 3600)
    response.delete_cookie(session.PRE_SESSION, path="/ui")
    return response


def _error_page(request: Request, status: int, message: str) -> Response:
    heading = "Sign-in is not available just now" if status == 503 else "You cannot sign in"
    context = {"status": status, "heading": heading, "message": message, "nav": [],
               "principal": None}  # fmt: skip
    return _html(request, "error.html", context, status_code=status)


def _onward(request: Request, url: str, message: str) -> Response:
    """A page that moves the browser on by itself (meta refresh, with a link for no refresh).

    After the IdP's redirect the browser is on a cross-site navigation, which does not carry a
    SameSite=Strict cookie; a same-site step from this page does."""
    return _html(request, "onward.html", {"url": url, "message": message, "nav": [],
                                          "principal": None})  # fmt: skip


@router.get("/auth/login")
async def oidc_login(request: Request) -> Response:
    """Begin sign-in at the authority's IdP: state, nonce and a PKCE verifier, kept here."""
    client = session.oidc_client(request)
    if client is None:
        return _error_page(request, 404, "Sign-in with an identity provider is not set up here.")
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    browser = secrets.token_urlsafe(24)
    try:
        url = await client.authorization_url(state, nonce, verifier)
    except oidc.IdpUnreachableError:
        return _error_page(request, 503, IDP_DOWN)
    session.store(request).begin(state, nonce, verifier, browser)
    response = RedirectResponse(url, status_code=303)
    # Lax, not Strict: the IdP's redirect back is a cross-site navigation, and must carry it
    session.set_cookie(
        request, response, session.SIGN_IN, browser, 600, path="/ui/auth", samesite="lax"
    )
    return response


IDP_DOWN = (
    "Your organisation's sign-in service cannot be reached just now, so you cannot sign in."
    " Nothing has been changed. Try again in a few minutes."
)


@router.get("/auth/callback")
async def oidc_callback(
    request: Request,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=4096)] = "",
    error: Annotated[str, Query(max_length=200, pattern=r"^[\w.-]*$")] = "",
) -> Response:
    """The IdP's redirect back: the state must be one begun here, in this browser, unused."""
    client = session.oidc_client(request)
    if client is None:
        return _error_page(request, 404, "Sign-in with an identity provider is not set up here.")
    pending = session.store(request).take(state, request.cookies.get(session.SIGN_IN))
    if pending is None:
        return _error_page(
            request, 400,
            "This sign-in does not match one started in this browser (the state is unknown,"
            " expired or already used). Start again from the sign-in page.",
        )  # fmt: skip
    if error or not code:
        return _error_page(request, 401, f"Your identity provider did not sign you in ({error}).")
    try:
        principal, id_token = await client.finish(code, pending.nonce, pending.code_verifier)
    except oidc.IdpUnreachableError:
        return _error_page(request, 503, IDP_DOWN)
    except oidc.SignInRefusedError as exc:
        session.log.info("sign-in refused status=%s", exc.status)
        return _error_page(request, exc.status, exc.message)
    sid = session.start(request, principal, "oidc", id_token=id_token)
    response = _onward(request, "/ui/", "You are signed in.")
    session.set_cookie(request, response, SESSION, sid, 8 * 3600)
    response.delete_cookie(session.SIGN_IN, path="/ui/auth")
    return response


@router.post("/sign-out")
@guarded
async def sign_out(request: Request, csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    if not session.csrf_ok(request, request.cookies.get(SESSION), csrf):
        raise UiError(403, "the form has expired")
    ended = session.end(request)
    client = session.oidc_client(request)
    at_idp = None
    if ended is not None and ended.method == "oidc" and client is not None:
        at_idp = await client.end_session_url(ended.id_token)
    response: Response = (
        _onward(request, at_idp, "You are signed out here; now signing out at your organisation.")
        if at_idp
        else RedirectResponse("/ui/sign-in", status_code=303)
    )
    response.delete_cookie(SESSION, path="/ui")
    return response


# pages ------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
@guarded
async def overview(request: Request, filters: PeriodFilters, export: Exports) -> Response:
    today = date.today()

    async def build(conn: Any, principal: Principal, providers: Any) -> pages.Page:
        figures = await report_queries.overview_figures(
            conn, today, filters.start, filters.end, pages.weeks(filters.start, filters.end),
            pages.unregistered_providers(providers), fact_scope(principal, filters),
        )  # fmt: skip
        return pages.overview_page(figures, providers)

    return await _serve(request, "overview", filters, export, build)


@router.get("/money", response_class=HTMLResponse)
@guarded
async def money(request: Request, filters: PeriodFilters, export: Exports) -> Response:
    async def build(conn: Any, principal: Principal, providers: Any) -> pages.Page:
        figures = await report_queries.money_figures(
            conn, filters.start, filters.end, pages.months(filters.start, filters.end),
            fact_scope(principal, filters, spend=True),
        )  # fmt: skip
        return pages.money_page(figures, providers)

    return await _serve(request, "money", filters, export, build)


@router.get("/outcomes", response_class=HTMLResponse)
@guarded
async def outcomes(request: Request, filters: PeriodFilters, export: Exports) -> Response:
    async def build(conn: Any, principal: Principal, providers: Any) -> pages.Page:
        narrow = fact_scope(principal, filters) if filters.narrowed else None
        splits = await report_queries.outcome_splits(conn, filters.start, filters.end, narrow)
        return pages.outcomes_page(splits, providers)

    return await _serve(request, "outcomes", filters, export, build)


@router.get("/actions", response_class=HTMLResponse)
@guarded
async def actions(request: Request, filters: ScopeFilters, export: Exports) -> Response:
    async def build(conn: Any, principal: Principal, providers: Any) -> pages.Page:
        pupils: list[UUID] | None = None
        if principal.role == "school" and principal.urn:
            pupils = await queries.pupils_of_school(conn, principal.urn)
        elif principal.role == "provider" and principal.provider_id:
            pupils = await queries.pupils_of_provider(conn, principal.provider_id)
        narrow = report_queries.FactScope(
            filters.tier, filters.commissioner, filters.provider, filters.school
        )
        clocks = await clocks_of(
            conn, principal, filters.end, providers, pupils, narrow if filters.narrowed else None
        )
        page = pages.actions(clocks, providers, pupil_links=principal.role in PAGE_ROLES["pupil"])
        page.notes.append(_calendar_note())
        return page

    return await _serve(request, "actions", filters, export, build)


async def clocks_of(
    conn: Any,
    principal: Principal,
    today: date,
    providers: dict[str, dict[str, Any]],
    pupils: list[UUID] | None,
    narrow: report_queries.FactScope | None = None,
) -> list[Clock]:
    """The clocks run out on `today` for these pupils as this principal may see them: the one
    computation behind the action list and the pupil page, so the two cannot disagree."""
    calendar = default_calendar()
    rows = await report_queries.clock_rows(
        conn, today, calendar.last_complete_half_term(today),
        [k for k, registered in _registered(providers).items() if not registered], pupils,
        (principal.provider_id or "") if principal.role == "provider" else None, narrow,
    )  # fmt: skip
    return from_rows(rows, today=today, calendar=calendar)


async def _serve(
    request: Request, name: str, filters: pages.Filters, export: Export, build: Builder
) -> Response:
    """Sign-in and role check, then the page built for this scope and these filters unless
    the read model has moved on since (cache.py). Builders have the figures computed in SQL
    (report_queries.py), so a big page moves a few rows, not every placement and event."""
    principal, token = await _signed_in(request, name)
    async with request.app.state.runtime.pool.acquire() as conn:
        providers = await repository.all_providers(conn)
        key = (name, principal.role, principal.urn, principal.provider_id, filters)
        page = await cache.of(request.app).get(
            key, await cache.version(conn), lambda: build(conn, principal, providers)
        )
    if suppression.applies(principal.role):
        page = suppression.page(page)  # small numbers, in the page and its downloads
    return _respond(request, principal, token, page, name, filters, export, providers)


def _registered(providers: dict[str, dict[str, Any]]) -> dict[str, bool]:
    return {k: bool(v.get("registered")) for k, v in providers.items() if "registered" in v}


def _calendar_note() -> str:
    rule = policy()
    return (
        "School days come from the LA's term dates (a default for England's usual pattern unless"
        " the LA has loaded its own) and England and Wales bank holidays. Limits: part-time"
        f" {rule.part_time_limit_days // 7} weeks, review {rule.review_interval_days // 7} weeks,"
        f" sustainment check {rule.sustainment_window_days // 7} weeks."
    )


@router.get("/pupils/{pupil_id}", response_class=HTMLResponse)
@guarded
async def pupil(request: Request, pupil_id: str, export: Exports) -> Response:
    principal, token = await _signed_in(request, "pupil")
    try:
        pid = UUID(pupil_id)
    except ValueError:
        raise UiError(404, "no such pupil") from None
    today = date.today()
    async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
        state = await repository.get_state(conn, pid)
        rows = await repository.pupil_events(conn, pid) if state is not None else []
        outcome, visible, status = access.journey_view(
            principal, state, repository.as_journey_events(rows)
        )
        if outcome != ALLOW or state is None:
            raise UiError(404, "no journey for this pupil that you may see")
        shown = {e.event_id for e in visible}
        rows = [r for r in rows if r["event_id"] in shown]
        facts = await queries.facts_of(conn, [pid])
        providers = await repository.all_providers(conn)
        clocks = await clocks_of(conn, principal, today, providers, [pid])
        identity = None
        if principal.role in IDENTITY_ROLES and export.format in (None, "html"):
            identity = await queries.identity(conn, pid)
            if identity is not None:
                await repository.record_identity_reads(
                    conn,
                    reader=principal.sub,
                    role=principal.role,
                    pupil_ids=[pid],
                    purpose="dashboard pupil page",
                )
    page = pages.Page("A pupil's journey")
    page.figures = [
        ("status", "Status now", (status or "").replace("_", " ")),
        ("tier", "Tier", str(state.tier or "")),
        ("clocks", "Clocks run out", str(len(clocks))),
    ]
    page.tables.append(pages.timeline(rows, clocks))
    page.tables.append(
        Table(
            "placements",
            "Placements",
            (
                "Provider",
                "Commissioner",
                "Tier",
                "Start",
                "End",
                "Sessions a week",
                "Annual cost (£)",
            ),
            [
                (
                    pages.provider_name(providers, f.provider_id),
                    pages.commissioner_label(f.commissioner),
                    f.tier,
                    f.start_date.isoformat(),
                    f.end_date.isoformat() if f.end_date else None,
                    f.sessions_per_week,
                    f.annual_cost_pence,
                )
                for f in facts
            ],
            numeric=frozenset({2, 5, 6}),
            money=frozenset({6}),
        )
    )
    return _respond(
        request,
        principal,
        token,
        page,
        "pupil",
        None,
        export,
        providers,
        template="pupil.html",
        identity=identity,
        pupil_id=str(pid),
    )
