"""Shared pieces of the REST API: authentication, the error format, error handlers."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from ninja.types import DictStrAny
from pydantic import AfterValidator

from sopdesk.accounts.actions import authenticate_token
from sopdesk.accounts.models import User
from sopdesk.core.errors import ActionError
from sopdesk.core.middleware import request_too_large
from sopdesk.core.validation import ValidationFailed
from sopdesk.lib.text import has_forbidden_name_characters


def _single_line_name(value: str) -> str:
    # Names and codes are looked up in the database; PostgreSQL cannot even compare NUL.
    if has_forbidden_name_characters(value):
        raise ValueError("must be one line without control, invisible or direction-changing characters")
    return value


PlainStr = Annotated[str, AfterValidator(_single_line_name)]
"""A name or code from the caller (username, team or category code, a label): refused with 422 if it holds
control characters, line breaks, bidirectional overrides or zero-width characters."""


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from POST /api/v1/auth/token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token, now=timezone.now())
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """Browser session (with CSRF on unsafe methods) of an active user."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a logged-in session there is nothing to protect from CSRF: answer 401, not 403.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


API_AUTH = [TokenAuth(), ActiveSessionAuth()]


class UnsupportedMediaType(ActionError):
    status_code = 415


class JsonOnlyParser(Parser):
    """Read a request body only when it is declared as `application/json`.

    A cross-site HTML form can post any JSON text as `text/plain` without a CORS preflight; the
    token endpoint would then count failed logins against a victim's own address and username.
    """

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        if request.content_type != "application/json":
            raise UnsupportedMediaType(_("Send the request body as application/json."))
        return super().parse_body(request)


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    """Every 4xx answer: a summary and, where known, the offending fields."""

    detail: str
    errors: list[FieldError] = []


def error_responses(*codes: int) -> dict[int, Any]:
    """Declare an endpoint group's error answers, all in the `ErrorOut` shape (for the OpenAPI schema)."""
    return dict.fromkeys(codes, ErrorOut)


def request_user(request: HttpRequest) -> User:
    """Return the authenticated caller (the API's auth classes guarantee an active user)."""
    return request.user  # type: ignore[return-value]


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
    elif len(rest) > 1 and not rest[1].isdigit():
        # Query/path/form values are flat: a second name means the first is the schema parameter
        # (`params.status.1` for the second `status`), which ninja only strips from whole fields.
        rest = rest[1:]
    return ".".join(rest) or None


def _accepts_many(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return get_origin(annotation) in (Union, UnionType) and any(_accepts_many(arg) for arg in get_args(annotation))


def check_query_parameters(request: HttpRequest, schema: type[Schema]) -> None:
    """Refuse query parameters `schema` does not declare, and repeats of single-valued ones.

    Ninja silently drops unknown names (`?status[x]=1`) and keeps the last of repeated values
    (`?team=a&team=b`); a filter the caller believes applied but was not is worse than a 422.
    """
    errors: dict[str, list[str]] = {}
    for name, values in request.GET.lists():
        field = schema.model_fields.get(name)
        if field is None:
            errors[name] = [_("Unknown query parameter.")]
        elif len(values) > 1 and not _accepts_many(field.annotation):
            errors[name] = [_("Give this parameter only once.")]
    if errors:
        raise ValidationFailed(errors)


FORM_PARTS_ALWAYS_ALLOWED = frozenset({"csrfmiddlewaretoken"})


def check_form_parts(request: HttpRequest, names: frozenset[str]) -> None:
    """Refuse multipart parts other than `names`, and any part sent more than once.

    Ninja keeps one value of a repeated part and drops the rest (a second `file` would vanish
    without a word); the caller must learn that only one is taken.
    """
    errors: dict[str, list[str]] = {}
    for name in sorted({*request.POST, *request.FILES}):
        count = len(request.POST.getlist(name)) + len(request.FILES.getlist(name))
        if name not in names | FORM_PARTS_ALWAYS_ALLOWED:
            errors[name] = [_("Unknown form field.")]
        elif count > 1:
            errors[name] = [_("Send this field only once.")]
    if errors:
        raise ValidationFailed(errors)


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

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Ninja reports any failure to read the body as "Cannot parse request body" (400) and
        # keeps the reason as the cause: answer with the reason's own status and message.
        if isinstance(exc.__cause__, ActionError):
            return on_action_error(request, exc.__cause__)
        if isinstance(exc.__cause__, RequestDataTooBig):
            return on_body_too_large(request, exc.__cause__)
        return error_response(api, request, exc.status_code, str(exc), [])

    @api.exception_handler(RequestDataTooBig)
    def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # A body without a declared length, or form fields beside a file above the limit.
        return request_too_large(request, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE, field=None)

    @api.exception_handler(TooManyFieldsSent)
    @api.exception_handler(TooManyFilesSent)
    def on_too_many_parts(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        message = _("The request has too many fields or files.")
        return error_response(api, request, 413, message, [{"field": None, "message": message}])

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(api, request, 401, "Authentication required.", [])
