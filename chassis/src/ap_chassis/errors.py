"""The error vocabulary use cases raise; the HTTP edge turns each into a problem+json answer."""


class DomainError(Exception):
    """A command breaks a rule of the field (409)."""

    status = 409
    title = "Rule violated"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFoundError(DomainError):
    status = 404
    title = "Not found"


class ForbiddenError(DomainError):
    """The caller's role or scope does not cover this resource (403)."""

    status = 403
    title = "Forbidden"


class NotYetKnownError(DomainError):
    """A prerequisite owned by another service has not reached this one yet: retry shortly."""

    status = 409
    title = "Prerequisite not yet known"
    retry_after = 1


class InvalidCommandError(DomainError):
    """A command whose fields are individually valid but inconsistent together (422)."""

    status = 422
    title = "Validation failed"


class PermanentEventError(Exception):
    """A consumed event that can never be applied: it goes to the dead-letter topic."""
