"""The error vocabulary use cases raise: what went wrong, in the domain's terms.

How each reads over HTTP (status, title, Retry-After) is the edge's business: see
`problems.DOMAIN_PROBLEMS`.
"""


class DomainError(Exception):
    """A command breaks a rule of the field."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFoundError(DomainError):
    """No such resource, or none the caller may know exists."""


class ForbiddenError(DomainError):
    """The caller's role or scope does not cover this resource."""


class NotYetKnownError(DomainError):
    """A prerequisite owned by another service has not reached this one yet: retry shortly."""


class InvalidCommandError(DomainError):
    """A command whose fields are individually valid but inconsistent together."""


class PermanentEventError(Exception):
    """A consumed event that can never be applied: it goes to the dead-letter topic."""
