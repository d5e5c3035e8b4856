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

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, get_type_hints

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .access import Policy
from .auth import ROLES, Principal, require
from .http import IdempotencyKey, answer_once
from .uow import EventContext, PgUnitOfWork

U = TypeVar("U", bound=PgUnitOfWork)
B = TypeVar("B", bound=BaseModel)
C = TypeVar("C")
L = TypeVar("L")
R = TypeVar("R", bound=BaseModel)

CALLER = Annotated[Principal, Depends(require(*ROLES))]
"""Any authenticated caller: the policy's role check follows, naming the action."""
Authorize = Callable[[U, C, Principal], Awaitable[L]]
"""`(uow, command, principal) -> loaded`: load and lock what access depends on, check, hand on."""
Handle = Callable[[U, C, L], Awaitable[R]]
"""`(uow, command, loaded) -> answer`: the use case, deciding on what `Authorize` loaded."""


def as_received(body: B) -> B:
    """The command for a route whose body is already its typed command."""
    return body


@dataclass(frozen=True)
class CommandRoute:
    """One declared write: where it is served, the policy action it needs, what it answers."""

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
        answer: type[R],
        status_code: int = 200,
    ) -> CommandRoute:
        """Serve `POST path`: the body, its command (path ids are the command function's other
        parameters), the action and its check, the use case, and the answer's model."""
        ids = {k: v for k, v in get_type_hints(command).items() if k != "return"}
        ids.pop(next(iter(inspect.signature(command).parameters)))  # the body
        route = CommandRoute(path, action, handler.__name__, status_code, tuple(ids))

        async def endpoint(**given: Any) -> JSONResponse:
            principal: Principal = given["principal"]
            received: B = given["body"]
            typed = command(received, **{name: given[name] for name in ids})

            async def steps(uow: U) -> Callable[[], Awaitable[R]]:
                loaded = await authorize(uow, typed, principal)
                return functools.partial(handler, uow, typed, loaded)

            return await answer_once(
                given["request"], principal, body=received,
                idempotency_key=given["idempotency_key"], unit_of_work=self.unit_of_work,
                steps=steps, status_code=status_code,
            )  # fmt: skip

        keyword = inspect.Parameter.KEYWORD_ONLY
        endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(name, keyword, annotation=kind) for name, kind in ids.items()]
            + [
                inspect.Parameter("body", keyword, annotation=body),
                inspect.Parameter("request", keyword, annotation=Request),
                inspect.Parameter("principal", keyword, annotation=self.caller(action)),
                inspect.Parameter(
                    "idempotency_key", keyword, annotation=IdempotencyKey, default=None
                ),
            ]
        )
        endpoint.__name__ = handler.__name__  # the operation id stays what it always was
        self.router.add_api_route(
            path, endpoint, methods=["POST"], status_code=status_code, response_model=answer,
            description=inspect.getdoc(handler),
        )  # fmt: skip
        self.routes.append(route)
        return route
