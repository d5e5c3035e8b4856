"""One command route: body -> typed command -> authorize -> handler -> answer, declared once.

A service binds its write routes to its unit of work and its access policy once
(`CommandRoutes(router, unit_of_work=..., policy=...)`) and declares each write with one
`post` call whose arguments follow the request in that order. The route function is generated,
so every write takes the same path:

1. authentication (a bad token is 401), then the policy's role check: a role that can never do
   the action is 403 before its body is read or anything is looked up;
2. in one unit of work, `authorize(uow, command, principal)` loads (and locks) what the access
   rule decides on, checks it, and returns it;
3. the stored answer, when the Idempotency-Key was used before;
4. `handler(uow, command, loaded)` decides with what `authorize` loaded; it is not given the
   principal, so it cannot check access again on a read of its own;
5. the answer remembered, the events written to the outbox, commit (`ap_chassis.http`).

`routes` lists what was declared, so a test can walk every write route of a service.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, get_type_hints

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .access import Policy
from .auth import ROLES, Principal, require
from .http import Authorize, Handle, IdempotencyKey, answer_once, steps_of
from .uow import EventContext, PgUnitOfWork

U = TypeVar("U", bound=PgUnitOfWork)
B = TypeVar("B", bound=BaseModel)
C = TypeVar("C")
L = TypeVar("L")
R = TypeVar("R", bound=BaseModel)

CALLER = Annotated[Principal, Depends(require(*ROLES))]
"""Any authenticated caller: the policy's role check follows, naming the action."""
INJECTED = ("settings", "principal")
"""Parameters of a command function that are not path ids: the app's settings, the caller."""


def as_received(body: B) -> B:
    """The command for a route whose body is already its typed command."""
    return body


@dataclass(frozen=True)
class CommandRoute:
    """One declared write: where it is served (with the router's prefix), the policy action it
    needs, its operation's name and status, the path's ids."""

    path: str
    action: str
    name: str
    status_code: int
    path_parameters: tuple[str, ...]


class CommandRoutes(Generic[U]):
    """A service's write routes, bound once to its unit of work and its access policy."""

    def __init__(
        self,
        router: APIRouter,
        *,
        unit_of_work: Callable[[asyncpg.Connection, EventContext], U],
        policy: Policy,
    ) -> None:
        self.router, self.unit_of_work, self.policy = router, unit_of_work, policy
        self.routes: list[CommandRoute] = []

    def caller(self, action: str) -> Any:
        """The principal of a caller whose role may ever do `action`: a dependency, so the
        role check runs before the body is read, and a role that can never do the action is
        403 whatever it sent."""

        async def dependency(principal: CALLER) -> Principal:
            self.policy.check_role(principal, action)
            return principal

        return Annotated[Principal, Depends(dependency)]

    def post(
        self,
        path: str,
        *,
        body: type[B],
        command: Callable[..., C],
        action: str,
        authorize: Authorize[U, C, L],
        handler: Handle[U, C, L, R],
        answer: Any,
        status_code: int = 200,
        name: str | None = None,
    ) -> CommandRoute:
        """Serve `POST path`: the body, its command, the action and its check, the use case,
        and the answer's model (or a union of models).

        The command function's parameters after the body are the path's ids, except one named
        `settings` (the app's settings) or `principal` (the caller). A body with no fields is
        not read: the route takes none, as it always did. `name` is the operation's when it is
        not the use case's, so operation ids stay what they always were."""
        ids = {k: v for k, v in get_type_hints(command).items() if k != "return"}
        ids.pop(next(iter(inspect.signature(command).parameters)))  # the body
        injected = [given_as for given_as in INJECTED if ids.pop(given_as, None) is not None]
        name = name or handler.__name__
        route = CommandRoute(self.router.prefix + path, action, name, status_code, tuple(ids))
        reads_body = bool(body.model_fields)

        async def endpoint(**given: Any) -> JSONResponse:
            principal: Principal = given["principal"]
            request: Request = given["request"]
            received: B = given["body"] if reads_body else body()
            extra = {"settings": request.app.state.settings, "principal": principal}
            typed = command(
                received,
                **{path_id: given[path_id] for path_id in ids},
                **{given_as: extra[given_as] for given_as in injected},
            )
            return await answer_once(
                request, principal, body=received, idempotency_key=given["idempotency_key"],
                unit_of_work=self.unit_of_work, status_code=status_code,
                steps=steps_of(authorize, handler, typed, principal),
            )  # fmt: skip

        keyword = inspect.Parameter.KEYWORD_ONLY
        endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(id_, keyword, annotation=kind) for id_, kind in ids.items()]
            + [inspect.Parameter("body", keyword, annotation=body)] * reads_body
            + [
                inspect.Parameter("request", keyword, annotation=Request),
                inspect.Parameter("principal", keyword, annotation=self.caller(action)),
                inspect.Parameter(
                    "idempotency_key", keyword, annotation=IdempotencyKey, default=None
                ),
            ]
        )
        endpoint.__name__ = name
        self.router.add_api_route(
            path, endpoint, methods=["POST"], status_code=status_code, response_model=answer,
            description=inspect.getdoc(handler),
        )  # fmt: skip
        self.routes.append(route)
        return route
