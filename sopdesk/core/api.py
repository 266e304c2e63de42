"""Shared pieces of the REST API: authentication, the error format, error handlers, the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, Union, get_args, get_origin

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.types import DictStrAny
from pydantic import AfterValidator

from sopdesk.core.errors import ActionError
from sopdesk.core.middleware import request_too_large
from sopdesk.core.validation import ValidationFailed
from sopdesk.lib.text import has_forbidden_name_characters

if TYPE_CHECKING:
    from sopdesk.accounts.models import User


def _single_line_name(value: str) -> str:
    # Names and codes are looked up in the database; PostgreSQL cannot even compare NUL.
    if has_forbidden_name_characters(value):
        raise ValueError("must be one line without control, invisible or direction-changing characters")
    return value


PlainStr = Annotated[str, AfterValidator(_single_line_name)]
"""A name or code from the caller (username, team or category code, a label): refused with 422 if it holds
control characters, line breaks, bidirectional overrides or zero-width characters."""


def _storable(value: datetime) -> datetime:
    # Year 1 at +14:00 is before year 1 in UTC: the database (or Python) would overflow with a 500.
    if not 1900 <= value.year <= 9998:
        raise ValueError("must be between the years 1900 and 9998")
    # A time without a zone is read in the service's time zone, as a person would mean it.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


InputDatetime = Annotated[datetime, AfterValidator(_storable)]
"""An instant from the caller: years 1900–9998; without a zone, read in the service's time zone."""


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


class OperationName(NamedTuple):
    """How one route appears in the OpenAPI document (and so in clients generated from it)."""

    tag: str
    """The resource the route belongs to; generators group methods by it."""
    operation_id: str
    """`<resource>_<verb>`, e.g. `tickets_create`: the name of the generated client's function."""


def route_key(method: str, path: str) -> str:
    """Return the key of a route in an operation table: `"POST /tickets/{number}/comments"`."""
    return f"{method.upper()} {path}"


def _fallback_name(method: str, path: str) -> OperationName:
    # Only for a route missing from the table: still a well-formed id; a test requires the entry.
    segments = [segment for segment in path.split("/") if segment and "{" not in segment]
    words = [word for word in (re.sub(r"[^a-z]+", "_", segment.lower()).strip("_") for segment in segments) if word]
    return OperationName(words[0] if words else "api", "_".join([*words, method.lower()]))


def _examples_as_map(examples: list[Any]) -> dict[str, dict[str, Any]]:
    return {f"example_{index}": {"value": value} for index, value in enumerate(examples, start=1)}


class DocumentedAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document is valid OpenAPI 3.1 and names every operation from one table.

    `operations` maps each route (`route_key()`, relative to the API's root) to its tag and
    operation id, so the names clients are generated with do not follow view functions' module
    paths and change only when the table does. Ninja copies a field's JSON Schema `examples`
    (a list) into its parameter, where OpenAPI requires a map of Example objects; that is
    rewritten here once for every parameter.
    """

    def __init__(
        self, *, operations: Mapping[str, OperationName], tag_descriptions: Mapping[str, str], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.operation_names = dict(operations)
        self.tag_descriptions = dict(tag_descriptions)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        root = ("/" + path_prefix).replace("//", "/").rstrip("/")
        for full_path, operations in schema["paths"].items():
            path = full_path.removeprefix(root) or "/"
            for method, shared in operations.items():
                # Ninja hands one dict to every method of a multi-method view; each needs its own id.
                operations[method] = operation = dict(shared)
                name = self.operation_names.get(route_key(method, path)) or _fallback_name(method, path)
                operation["operationId"] = name.operation_id
                operation["tags"] = [name.tag]
                for parameter in operation.get("parameters", []):
                    if isinstance(parameter.get("examples"), list):
                        parameter["examples"] = _examples_as_map(parameter["examples"])
        # Listed in the table's order, which is the order the docs page shows the groups in.
        tags = dict.fromkeys(name.tag for name in self.operation_names.values())
        schema["tags"] = [{"name": tag, "description": self.tag_descriptions.get(tag, "")} for tag in tags]
        return schema
