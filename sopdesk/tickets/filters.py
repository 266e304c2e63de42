"""Ticket filters shared by the API and (later) the agent workspace lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import Team
from sopdesk.lib.text import has_forbidden_characters
from sopdesk.tickets.choices import OPEN_STATUS_VALUES, Channel, Priority, Status, TicketType
from sopdesk.tickets.models import OPEN_STATUS_CONDITION, Ticket

if TYPE_CHECKING:
    from sopdesk.accounts.models import User

# How `q` narrows tickets: a substring scan until the search app registers its service
# (`register_text_search`, from its AppConfig.ready()); the function gets the viewer's visible
# tickets, the text (at most 200 characters: longer ones fail validation) and the viewer.
TextSearch = Callable[..., "QuerySet[Ticket]"]
_text_search: list[TextSearch] = []


def register_text_search(search: TextSearch) -> None:
    """Have `search(tickets, text, viewer=user)` answer the `q` filter (call from an AppConfig.ready())."""
    _text_search[:] = [search]


# How the "relevance" ordering ranks the tickets `q` matched: newest first until the search app
# registers its ranking (`register_text_rank`); the function returns the tickets ordered best first.
_text_rank: list[TextSearch] = []


def register_text_rank(rank: TextSearch) -> None:
    """Have `rank(tickets, text, viewer=user)` order the tickets for `ordering=relevance` (from a ready())."""
    _text_rank[:] = [rank]


def rank_by_text(tickets: QuerySet[Ticket], text: str, *, viewer: User | None) -> QuerySet[Ticket]:
    """Return `tickets` (already narrowed by `q`) ordered best match first for `text`."""
    if _text_rank:
        return _text_rank[0](tickets, text, viewer=viewer)
    return tickets.order_by("-created_at", "-id")


# Allow-listed orderings: public name → model fields. Nothing user-supplied reaches order_by().
ORDERINGS: dict[str, tuple[str, ...]] = {
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "priority": ("priority", "-created_at", "-id"),
    "-priority": ("-priority", "-created_at", "-id"),
    "number": ("number",),
    "-number": ("-number",),
}
DEFAULT_ORDERING = "-created_at"
# Best match first: only with `q` (the search ranks the matches); pages follow offset cursors.
RELEVANCE = "relevance"


def _plain_text(value: str) -> None:
    if has_forbidden_characters(value):
        raise forms.ValidationError(_("Must not contain control characters."))


class PlainCharFilter(django_filters.CharFilter):
    field_class = forms.CharField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)
        self.extra["validators"] = [_plain_text]


class TicketFilterSet(django_filters.FilterSet):
    # distinct=False: these columns live on the ticket row, so no row can repeat, and DISTINCT
    # over every column made status filters 10× slower on 100,000 tickets.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False, method="filter_status")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    category = PlainCharFilter(method="filter_category", label=_("category code"))
    team = PlainCharFilter(method="filter_team", label=_("team code"))
    assignee = PlainCharFilter(field_name="assignee__username", label=_("assignee username"))
    requester = PlainCharFilter(field_name="requester__username", label=_("requester username"))
    ticket_type = django_filters.MultipleChoiceFilter(choices=TicketType.choices, distinct=False)
    organization = django_filters.NumberFilter(field_name="organization_id", min_value=1, max_value=2**31)
    customer_level = PlainCharFilter(field_name="organization__customer_level__code", label=_("customer level code"))
    tag = PlainCharFilter(method="filter_tag", label=_("tag"))
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = PlainCharFilter(method="filter_text", label=_("text in title or description"))
    ordering = django_filters.ChoiceFilter(
        choices=[(name, name) for name in (*ORDERINGS, RELEVANCE)], method="filter_ordering", empty_label=None
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, *args: Any, viewer: User | None = None, **kwargs: Any) -> None:
        """`viewer`: whose internal notes `q` may match (none without one)."""
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def filter_status(self, queryset: QuerySet[Ticket], name: str, value: list[str]) -> QuerySet[Ticket]:
        if not value:
            return queryset
        chosen = set(value)
        if chosen <= set(OPEN_STATUS_VALUES):
            # Open statuses only: repeat the partial indexes' condition term for term, which is
            # what lets SQLite walk the open tickets of a team or an assignee in order.
            queryset = queryset.filter(OPEN_STATUS_CONDITION)
            if chosen == set(OPEN_STATUS_VALUES):
                return queryset
        return queryset.filter(status__in=value)

    def filter_team(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        # The team's id as a one-row subquery rather than a join: both databases then read the
        # ticket indexes by team id, in their order (bench/README.md, issue 8).
        return queryset.filter(team_id=Subquery(Team.objects.filter(code=value).values("pk")[:1]))

    def filter_category(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        """Match the category and its direct children."""
        return queryset.filter(Q(category__code=value) | Q(category__parent__code=value))

    def filter_tag(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        # A subquery, not a join: no ticket repeats, and no DISTINCT is needed.
        return queryset.filter(pk__in=Ticket.tags.through.objects.filter(tag__name=value.strip()).values("ticket_id"))

    def filter_text(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        text = value.strip()
        if not text:
            return queryset
        if _text_search:
            return _text_search[0](queryset, text, viewer=self.viewer)
        return queryset.filter(Q(title__icontains=text) | Q(description__icontains=text) | Q(number__iexact=text))

    def is_valid(self) -> bool:
        valid: bool = super().is_valid()
        data = self.form.cleaned_data if valid else {}
        if valid and data.get("ordering") == RELEVANCE and not (data.get("q") or "").strip():
            self.form.add_error("ordering", _("The best-match order needs search words (q)."))
            return False
        return valid

    def filter_ordering(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if value == RELEVANCE:
            return rank_by_text(queryset, self.form.cleaned_data["q"].strip(), viewer=self.viewer)
        return queryset.order_by(*ORDERINGS[value])
