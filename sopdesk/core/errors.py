"""Domain errors raised by actions and turned into 4xx responses at the HTTP edge."""

from __future__ import annotations


class ActionError(Exception):
    """A refused state change: `field` names the offending input when there is one."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class TransitionRefused(ActionError):
    """The requested status change is not allowed from the ticket's current status."""

    status_code = 409


class PermissionRefused(ActionError):
    """The actor may not perform this change on an object they can see."""

    status_code = 403


class NotFound(ActionError):
    """The object does not exist for this actor (answered as 404: no existence oracle)."""

    status_code = 404


class PreconditionFailed(ActionError):
    """The object changed since the client read it (HTTP `If-Match` did not match)."""

    status_code = 412
