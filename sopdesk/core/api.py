"""Shared pieces of the REST API: authentication, the error format, error handlers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from sopdesk.core.errors import ActionError
from sopdesk.core.validation import ValidationFailed


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from POST /api/v1/auth/token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from sopdesk.accounts.actions import authenticate_token

        user = authenticate_token(token, now=timezone.now())
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """Browser session (with CSRF on unsafe methods) of an active user."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


API_AUTH = [TokenAuth(), ActiveSessionAuth()]


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    """Every 4xx answer: a summary and, where known, the offending fields."""

    detail: str
    errors: list[FieldError] = []


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors: list[dict[str, Any]]
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors}, status=status)


def _field_from_location(location: list[Any]) -> str | None:
    parts = [str(part) for part in location]
    if not parts:
        return None
    source, rest = parts[0], parts[1:]
    if source == "body" and rest:
        rest = rest[1:]  # drop the schema parameter name
    return ".".join(rest) or None


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer bad input with 4xx and field names, never with a 500."""

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field_from_location(list(item.get("loc", []))), "message": str(item.get("msg", "invalid"))}
            for item in exc.errors
        ]
        return error_response(api, request, 422, "Invalid input.", errors)

    @api.exception_handler(ValidationFailed)
    def on_validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        errors = [{"field": field, "message": " ".join(msgs)} for field, msgs in exc.errors.items()]
        return error_response(api, request, 422, "Invalid input.", errors)

    @api.exception_handler(ActionError)
    def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
        return error_response(
            api, request, exc.status_code, exc.message, [{"field": exc.field, "message": exc.message}]
        )

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(api, request, 401, "Authentication required.", [])
