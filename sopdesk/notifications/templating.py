"""Mail templates in a small, closed subset of Django's template language.

An admin edits these, so a template may use only the variables named in VARIABLES (plain
strings, never objects: nothing else of the desk is reachable), a few harmless filters and the
`if` and `comment` tags. `template_errors` says what is wrong with a text; `render_text` renders
a checked text with autoescaping off, since every mail is plain text.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import FilterExpression, Lexer, Parser, TokenType
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Every variable a template may use, with what it holds (shown in the admin).
VARIABLES: Mapping[str, object] = {
    "ticket_number": gettext_lazy("The ticket number, e.g. TS-2026-000123."),
    "ticket_title": gettext_lazy("The ticket's title as the requester wrote it."),
    "recipient_name": gettext_lazy("The recipient's name."),
    "request_url": gettext_lazy("The address of the request page in the portal."),
    "message": gettext_lazy("The staff reply or the question asked (reply and information mails)."),
    "solution": gettext_lazy("The solution from the closure summary (resolution mail)."),
    "close_date": gettext_lazy("When the request closes by itself (reminder mail)."),
    "working_days": gettext_lazy("After how many working days without an answer a request closes."),
    "first_response_due": gettext_lazy(
        "When the first response is expected, in the recipient's time zone; a phrase when the request has "
        "no target (acknowledgement)."
    ),
    "resolution_due": gettext_lazy(
        "When the resolution is expected, in the recipient's time zone; a phrase when the request has no "
        "target (acknowledgement)."
    ),
    "service_hours": gettext_lazy(
        "The service hours of the request's business calendar, one line per group of days (acknowledgement)."
    ),
    "contact_ways": gettext_lazy("The desk's phone and e-mail, one per line (empty when none is set)."),
    "help_articles": gettext_lazy(
        "Up to three help articles matching the request that the requester may read, each as its title and "
        "address on two lines (acknowledgement; empty when none matches)."
    ),
}
ALLOWED_TAGS = frozenset({"if", "elif", "else", "endif", "comment", "endcomment"})
ALLOWED_FILTERS = frozenset(
    {"default", "upper", "lower", "capfirst", "title", "truncatechars", "truncatewords", "wordwrap"}
)
# Words an `if` condition may contain besides variables and literals.
_CONDITION_WORDS = frozenset({"and", "or", "not", "in", "==", "!=", "<", ">", "<=", ">=", "is"})


@functools.cache
def _engine() -> Engine:
    # No loaders and no libraries: {% include %}, {% extends %} and {% load %} find nothing.
    return Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid="")


def _expression_errors(expression: str, parser: Parser) -> list[str]:
    try:
        parsed = FilterExpression(expression, parser)
    except TemplateSyntaxError as error:
        return [str(error)]
    errors = []
    variables = [parsed.var]
    for function, arguments in parsed.filters:
        name = getattr(function, "_filter_name", "")
        if name not in ALLOWED_FILTERS:
            errors.append(_("The filter “%(name)s” is not available in mail templates.") % {"name": name})
        variables += [argument for is_lookup, argument in arguments if is_lookup]
    for variable in variables:
        lookups = getattr(variable, "lookups", None)
        if lookups is not None and (len(lookups) != 1 or lookups[0] not in VARIABLES):
            errors.append(_("Unknown variable “%(name)s”.") % {"name": ".".join(lookups)})
    return errors


def template_errors(text: str) -> list[str]:
    """Return what is wrong with `text` as a mail template (empty when it may be saved)."""
    errors: list[str] = []
    try:
        tokens = Lexer(text).tokenize()
    except TemplateSyntaxError as error:
        return [str(error)]
    parser = Parser([], libraries={}, builtins=_engine().template_builtins)
    for token in tokens:
        if token.token_type == TokenType.VAR:
            errors += _expression_errors(token.contents, parser)
        elif token.token_type == TokenType.BLOCK:
            bits = token.split_contents()
            name = bits[0] if bits else ""
            if name not in ALLOWED_TAGS:
                errors.append(_("The tag “%(name)s” is not available in mail templates.") % {"name": name})
                continue
            for bit in bits[1:]:
                if bit not in _CONDITION_WORDS and name in ("if", "elif"):
                    errors += _expression_errors(bit, parser)
    if not errors:
        try:
            _engine().from_string(text)
        except TemplateSyntaxError as error:
            errors.append(str(error))
    return list(dict.fromkeys(errors))


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    # Parsed once per text and process: a ticket's creation renders its acknowledgement on the hot
    # path. A compiled template holds no state between renders (Django's contract for its tags).
    return _engine().from_string(text)


def render_text(text: str, values: Mapping[str, str]) -> str:
    """Render a checked template `text` with `values` (plain text: nothing is escaped)."""
    context = {name: str(values.get(name, "")) for name in VARIABLES}
    return _compiled(text).render(Context(context, autoescape=False))
