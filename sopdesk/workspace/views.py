"""The agent workspace pages: queues, the ticket page and their actions.

Views parse input with the forms, read through the visibility querysets and change tickets only
through `sopdesk.tickets.actions`; every rule lives there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.casework import actions as casework
from sopdesk.casework import queries as casework_queries
from sopdesk.casework.canned import substitute, variables_for
from sopdesk.casework.models import CannedResponse, SolutionPlan
from sopdesk.casework.scheduling import calendar_for_plans, off_peak_hint
from sopdesk.core.errors import ActionError, PreconditionFailed
from sopdesk.core.http import client_address
from sopdesk.core.pagination import bounded_count
from sopdesk.notifications.actions import mark_all_read, mark_read
from sopdesk.notifications.queries import get_notification_for_user, inbox_for
from sopdesk.routing import actions as routing
from sopdesk.sla import actions as sla_actions
from sopdesk.sla.clocks import ran_over
from sopdesk.sla.queries import overdue_reasons_for, sla_snapshot, sla_snapshots
from sopdesk.tickets import actions
from sopdesk.tickets.attachments import attachment_download_response, check_upload
from sopdesk.tickets.choices import OPEN_STATUSES, AccessChannel, Status
from sopdesk.tickets.filters import ORDERINGS, RELEVANCE, TicketFilterSet
from sopdesk.tickets.forms import VersionedForm
from sopdesk.tickets.models import Category, Ticket
from sopdesk.tickets.queries import (
    ACCESS_LOG_PAGE,
    access_log_for,
    attachments_for,
    events_for,
    get_attachment_for_user,
    get_ticket_for_user,
    latest_events_for,
    ticket_list_page,
)
from sopdesk.tickets.querysets import team_ids_of
from sopdesk.workspace import forms, saved_views
from sopdesk.workspace.collaboration import ask_another_team, collaboration_context, pop_step_draft
from sopdesk.workspace.models import SavedView
from sopdesk.workspace.presentation import (
    PRIORITY_COLOURS,
    SCRIPT_PHRASES,
    STATUS_COLOURS,
    QueueRow,
    clock_sentences,
    queue_rows,
)
from sopdesk.workspace.queues import (
    DEFAULT_QUEUE,
    QUEUES,
    QUEUES_BY_SLUG,
    SINGLE_FILTERS,
    Viewer,
    filter_params,
    queue_counts,
    queue_params,
    queue_tickets,
)
from sopdesk.workspace.saved_views import saved_views_for
from sopdesk.workspace.similar import similar_tickets
from sopdesk.workspace.timeline import timeline_entries

PAGE_SIZE = 50
TIMELINE_LIMIT = 500
NOTIFICATION_LIMIT = 100
CANNED_LIMIT = 200
# Query parameters a queue page understands besides the filters.
PAGING_PARAMETERS = ("cursor", "ordering")

View = Callable[..., HttpResponseBase]

ORDERING_LABELS = {
    "-updated_at": gettext_lazy("Recently updated first"),
    "updated_at": gettext_lazy("Least recently updated first"),
    "-created_at": gettext_lazy("Newest first"),
    "created_at": gettext_lazy("Oldest first"),
    "priority": gettext_lazy("Most urgent priority first"),
    "-priority": gettext_lazy("Least urgent priority first"),
    "-number": gettext_lazy("Number, descending"),
    "number": gettext_lazy("Number, ascending"),
    RELEVANCE: gettext_lazy("Best match"),
}


def staff_required(view: View) -> View:
    """Let staff in; requesters go to their landing page (the portal comes later)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user: User = request.user  # type: ignore[assignment]
        if user.is_requester:
            return redirect("web:home")
        return view(request, *args, **kwargs)

    return wrapped


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def nav_context(request: HttpRequest, *, active: str, team_ids: list[int] | None = None) -> dict[str, Any]:
    """What the navigation of every workspace page needs: queues, saved views, script phrases."""
    user = _user(request)
    ids = team_ids if team_ids is not None else team_ids_of(user)
    return {
        "active": active,
        "queue_items": [(item, None) for item in QUEUES],
        "saved_views": [(view, _view_url(view)) for view in saved_views_for(user, ids)],
        "script_phrases": SCRIPT_PHRASES,
        "lead_teams": [],
    }


def _zone(request: HttpRequest) -> ZoneInfo:
    return ZoneInfo(timezone.get_current_timezone_name())


# Queues


@require_GET
@staff_required
def queue(request: HttpRequest, slug: str = DEFAULT_QUEUE) -> HttpResponse:
    chosen = QUEUES_BY_SLUG.get(slug)
    if chosen is None:
        raise Http404("No such queue")
    now = timezone.now()
    viewer = Viewer.of(_user(request))
    data = filter_params(request.GET)
    searching = "q" in data
    # With search words the queue also offers best match first. Not the default: it sorts every
    # match, which grows with the desk (a common word at 1,000,000 tickets), while the queue's own
    # order stops after one page (docs/search.md).
    ordering = request.GET.get("ordering") or chosen.default_ordering
    if ordering == RELEVANCE:
        data["ordering"] = RELEVANCE  # the filter set ranks the matches (and refuses it without words)
    filters = TicketFilterSet(data=data, queryset=queue_tickets(chosen, viewer, now=now), viewer=_user(request))
    errors: dict[str, list[str]] = {}
    rows: list[QueueRow] = []
    next_cursor = None
    if ordering not in ORDERINGS and ordering != RELEVANCE:
        errors["ordering"] = [_("Unknown ordering.")]
    elif not filters.is_valid():
        errors = {name: [str(message) for message in messages_] for name, messages_ in filters.errors.items()}
    else:
        try:
            page = ticket_list_page(
                filters.qs,
                ordering=ordering,
                cursor=request.GET.get("cursor") or None,
                limit=PAGE_SIZE,
                also=("organization",),
            )
        except ActionError as error:
            errors[error.field or "cursor"] = [error.message]
        else:
            snapshots = sla_snapshots(page.items, now=now)
            ticket_url = reverse("workspace:ticket", args=["NUMBER"])
            rows = queue_rows(page.items, snapshots, ticket_url=ticket_url, now=now)
            next_cursor = page.next_cursor
    context = {
        **nav_context(request, active=chosen.slug, team_ids=viewer.team_ids),
        "queue": chosen,
        "select_label": _("Select"),
        "unassigned_label": _("Unassigned"),
        "lead_teams": list(
            Team.objects.filter(memberships__user=viewer.user, memberships__is_lead=True).values_list("code", "name")
        ),
        "rows": rows,
        "errors": errors,
        "filters": filters,
        "ordering": ordering,
        "orderings": [
            *([(RELEVANCE, ORDERING_LABELS[RELEVANCE])] if searching else []),
            *[(name, ORDERING_LABELS[name]) for name in ORDERINGS],
        ],
        "filter_query": filter_params(request.GET).urlencode(),
        "view_query": queue_params(request.GET).urlencode(),
        "next_query": _page_query(request.GET, next_cursor) if next_cursor else None,
        "is_first_page": not request.GET.get("cursor"),
        "bulk_form": forms.BulkForm(),
        "filter_choices": _filter_choices(viewer),
        "selected": {name: request.GET.getlist(name) for name in ("status", "priority", "channel", "ticket_type")},
        "values": {name: request.GET.get(name, "") for name in SINGLE_FILTERS},
    }
    return render(request, "workspace/queue.html", context, status=400 if errors else 200)


def _page_query(query: QueryDict, cursor: str) -> str:
    data = queue_params(query)
    data["cursor"] = cursor
    return data.urlencode()


def _filter_choices(viewer: Viewer) -> dict[str, Any]:
    """Options of the filter bar: the viewer's teams (all teams for those who see everything)."""
    from sopdesk.accounts.models import Team

    teams = Team.objects.filter(is_active=True)
    if not viewer.user.sees_all_tickets:
        teams = teams.filter(pk__in=viewer.team_ids)
    return {
        "teams": list(teams.order_by("name").values_list("code", "name")),
        "categories": list(
            Category.objects.filter(is_active=True).order_by("sort_order", "name").values_list("code", "name")
        ),
    }


@require_GET
@staff_required
def queue_counts_fragment(request: HttpRequest) -> HttpResponse:
    """The queue counts of the navigation, loaded after the page and refreshed by polling."""
    user = _user(request)
    viewer = Viewer.of(user)
    counts = queue_counts(viewer, now=timezone.now())
    context = {
        "queue_items": [(item, counts[item.slug]) for item in QUEUES],
        "active": request.GET.get("active", ""),
        "saved_views": [(view, _view_url(view)) for view in saved_views_for(user, viewer.team_ids)],
        "unread": bounded_count(inbox_for(user, is_unread_only=True), limit=99),
    }
    return render(request, "workspace/_queue_counts.html", context)


@require_POST
@staff_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to each selected ticket; each ticket goes through the action on its own."""
    form = forms.BulkForm(request.POST)
    back = _safe_next(request, form.data.get("next"))
    if not form.is_valid():
        for field, problems in form.errors.items():
            for problem in problems:
                messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {problem}")
        return redirect(back)
    user, now = _user(request), timezone.now()
    done, refused = 0, []
    for number in form.cleaned_data["tickets"]:
        try:
            ticket = get_ticket_for_user(user, number)
            with transaction.atomic():
                _apply_bulk(form.cleaned_data, ticket=ticket, user=user, now=now)
        except Http404:
            refused.append((number, _("No such ticket.")))
        except ActionError as error:
            refused.append((number, error.message))
        else:
            done += 1
    if done:
        messages.success(request, _("Done for %(count)d ticket(s).") % {"count": done})
    for number, reason in refused:
        messages.error(request, _("%(number)s: %(reason)s") % {"number": number, "reason": reason})
    return redirect(back)


def _apply_bulk(data: dict[str, Any], *, ticket: Ticket, user: User, now: Any) -> None:
    operation = data["operation"]
    if operation == "take":
        actions.assign_ticket(ticket, team=None, assignee=user, actor=user, now=now)
    elif operation == "assign":
        assignee = User.objects.filter(username=data["assignee"], is_active=True).first()
        if assignee is None:
            raise ActionError(_("Unknown user."), field="assignee")
        actions.assign_ticket(ticket, team=None, assignee=assignee, actor=user, now=now)
    elif operation == "status":
        actions.change_status(ticket, to_status=data["to_status"], actor=user, now=now)
    elif operation == "tag" and actions.add_tags(ticket, actor=user, names=[data["tag"]], now=now) is None:
        raise ActionError(_("The ticket has this tag already."), field="tag")


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return reverse("workspace:queue_default")


# The ticket page


def _canned_for(ticket: Ticket, user: User) -> list[tuple[CannedResponse, str]]:
    """The agent's canned responses (their language's first) filled in for this ticket."""
    language = translation.get_language() or ""
    rows = list(casework_queries.canned_responses_for(user))
    rows.sort(key=lambda row: (row.language != language, row.title.lower()))
    values = variables_for(ticket, user)
    return [(row, substitute(row.body, values)) for row in rows[:CANNED_LIMIT]]


def _plans_with_hints(ticket: Ticket, user: User) -> list[tuple[SolutionPlan, Any]]:
    plans = list(casework_queries.plans_for(ticket, user))
    if not any(plan.scheduled_at for plan in plans):
        return [(plan, None) for plan in plans]
    calendar = calendar_for_plans(ticket)
    return [
        (plan, off_peak_hint(calendar, plan.scheduled_at) if plan.scheduled_at and calendar is not None else None)
        for plan in plans
    ]


def _ticket_context(request: HttpRequest, ticket: Ticket, *, now: Any) -> dict[str, Any]:
    user = _user(request)
    events, has_older_events = latest_events_for(ticket, user, limit=TIMELINE_LIMIT)
    transitions = actions.allowed_transitions(ticket, actor=user, now=now)
    writable = bool(transitions) or Ticket.objects.writable_by(user, by_key=True).filter(pk=ticket.pk).exists()
    members = (
        list(
            TeamMembership.objects.filter(team_id=ticket.team_id, user__is_active=True)
            .select_related("user")
            .order_by("user__username")
        )
        if ticket.team_id
        else []
    )
    snapshot = sla_snapshot(ticket, now=now)
    overdue_reasons = overdue_reasons_for(ticket, user)
    visible = Ticket.objects.visible_to(user)
    requester_tickets = list(
        visible.filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .only("number", "title", "status", "created_at")
        .order_by("-created_at")[:10]
    )
    return {
        **nav_context(request, active=""),
        "ticket": ticket,
        "entries": timeline_entries(events, attachments=attachments_for(ticket, user)),
        "has_older_events": has_older_events,
        "timeline_limit": TIMELINE_LIMIT,
        "last_event_id": events[-1].pk if events else 0,
        # Each clock with whether it ran over its target and the newest reason given (the SOP asks for one).
        "clocks": [
            (view, words, colour, ran_over(view), overdue_reasons.get(view.metric))
            for view, words, colour in clock_sentences(snapshot, zone=_zone(request))
        ],
        "overdue_form": forms.OverdueReasonForm(initial={"version": ticket.version}),
        "transitions": transitions,
        "reassignable": actions.may_be_reassigned(ticket),
        "writable": writable,
        "members": [membership.user for membership in members],
        "requester_tickets": requester_tickets,
        "open_statuses": OPEN_STATUSES,
        "tags": list(ticket.tags.values_list("name", flat=True)),
        "priority_colour": PRIORITY_COLOURS.get(ticket.priority, "secondary"),
        "status_colour": STATUS_COLOURS.get(ticket.status, "secondary"),
        "comment_form": forms.CommentForm(initial={"version": ticket.version}),
        "canned": _canned_for(ticket, user) if writable else [],
        "authorizations": [(item, item.state_at(now)) for item in casework_queries.authorizations_for(ticket, user)],
        "plans": _plans_with_hints(ticket, user),
        "diagnosis_form": forms.DiagnosisForm(),
        "remote_form": forms.RemoteAssistanceForm(),
        "plan_form": forms.PlanForm(),
        "verification_form": forms.VerificationForm(),
        "status_form": forms.StatusForm(initial={"version": ticket.version}),
        "priority_form": forms.PriorityForm(initial={"version": ticket.version, "priority": ticket.priority}),
        "escalation_targets": routing.escalation_targets(ticket)
        if writable and actions.may_be_reassigned(ticket)
        else [],
        "escalate_form": forms.EscalateForm(initial={"version": ticket.version}),
        "resolved_status": Status.RESOLVED,
        "stale": False,
        "access_log": access_log_for(user, ticket),
        "access_log_limit": ACCESS_LOG_PAGE,
        **collaboration_context(ticket, user, writable=writable, now=now, step_draft=pop_step_draft(request)),
    }


@require_GET
@staff_required
def ticket_page(request: HttpRequest, number: str) -> HttpResponse:
    user, now = _user(request), timezone.now()
    ticket = get_ticket_for_user(user, number)
    actions.record_ticket_view(ticket, user=user, via=AccessChannel.WEB, now=now, ip_address=client_address(request))
    return render(request, "workspace/ticket.html", _ticket_context(request, ticket, now=now))


@require_GET
@staff_required
def ticket_updates(request: HttpRequest, number: str) -> HttpResponse:
    """New timeline entries after `after`, and whether the ticket changed since `version` (polled)."""
    user = _user(request)
    ticket = get_ticket_for_user(user, number)
    try:
        after = max(int(request.GET.get("after", "0")), 0)
        version = int(request.GET.get("version", "0"))
    except ValueError:
        return HttpResponse(_("after and version must be whole numbers."), status=400, content_type="text/plain")
    events = list(events_for(ticket, user).filter(pk__gt=after)[:TIMELINE_LIMIT])
    context = {
        "ticket": ticket,
        "entries": timeline_entries(events, attachments=attachments_for(ticket, user)),
        "last_event_id": events[-1].pk if events else after,
        "changed": ticket.version != version,
        "version": version,
    }
    return render(request, "workspace/_ticket_updates.html", context)


def _act(request: HttpRequest, number: str, form_class: type[VersionedForm], apply: Callable[..., Any]) -> HttpResponse:
    """Run one ticket action from a posted form: redirect on success, the page with the error on refusal."""
    user, now = _user(request), timezone.now()
    ticket = get_ticket_for_user(user, number)
    form = form_class(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            with transaction.atomic():
                message = apply(ticket, form, user=user, now=now, expected_version=form.cleaned_data.get("version"))
        except ActionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status_code
        else:
            messages.success(request, message)
            if (
                form_class in _MAY_LEAVE_SIGHT
                and not Ticket.objects.visible_to(user, by_key=True).filter(pk=ticket.pk).exists()
            ):
                return HttpResponseRedirect(reverse("workspace:queue_default"))  # escalated out of their teams
            return HttpResponseRedirect(reverse("workspace:ticket", args=[ticket.number]))
    ticket.refresh_from_db()
    context = _ticket_context(request, ticket, now=now)
    context["stale"] = status == PreconditionFailed.status_code
    context[_FORM_NAMES[form_class]] = form
    context["failed_form"] = _FORM_NAMES[form_class]
    return render(request, "workspace/ticket.html", context, status=status)


# Actions after which the actor may no longer see the ticket (it went to another team).
_MAY_LEAVE_SIGHT: frozenset[type[VersionedForm]] = frozenset({forms.EscalateForm})

_FORM_NAMES: dict[type[VersionedForm], str] = {
    forms.DiagnosisForm: "diagnosis_form",
    forms.RemoteAssistanceForm: "remote_form",
    forms.PlanForm: "plan_form",
    forms.VerificationForm: "verification_form",
    forms.CommentForm: "comment_form",
    forms.StatusForm: "status_form",
    forms.PriorityForm: "priority_form",
    forms.AssignForm: "assign_form",
    forms.TagsForm: "tags_form",
    forms.OverdueReasonForm: "overdue_form",
    forms.CollaborationRequestForm: "collaboration_form",
    forms.EscalateForm: "escalate_form",
}


def _comment(ticket: Ticket, form: forms.CommentForm, *, user: User, now: Any, expected_version: int | None) -> str:
    """Reply or note, with attachments: every file is checked before anything is written."""
    data = form.cleaned_data
    files = data["attachments"]
    for upload in files:
        try:
            check_upload(upload)
        except ActionError as error:
            name = upload.name or "?"
            raise ActionError(f"{name}: {error.message}", field="attachments") from None
    if not data["body"] and not files:
        raise ActionError(_("Write a message or attach a file."), field="body")
    if data["body"]:
        actions.add_comment(
            ticket,
            actor=user,
            body=data["body"],
            is_internal=data["internal"],
            now=now,
            expected_version=expected_version,
        )
        expected_version = None  # the comment was checked against the page's version
    for upload in files:
        actions.add_attachment(
            ticket,
            actor=user,
            upload=upload,
            is_internal=data["internal"],
            now=now,
            expected_version=expected_version,
        )
        expected_version = None  # the first file was
    if data["then_status"] and data["then_status"] != ticket.status:
        # The comment raised the version; the status move checks the ticket as the comment left it.
        actions.change_status(ticket, to_status=data["then_status"], actor=user, now=now)
    if not data["body"]:
        return _("%(count)d file(s) attached.") % {"count": len(files)}
    return str(_("Internal note added.") if data["internal"] else _("Reply sent to the requester."))


def _status(ticket: Ticket, form: forms.StatusForm, *, user: User, now: Any, expected_version: int | None) -> str:
    data = form.cleaned_data
    closure = None
    if data["to_status"] == Status.RESOLVED:
        closure = actions.ClosureSummary(
            problem=data["closure_problem"],
            diagnosis=data["closure_diagnosis"],
            solution=data["closure_solution"],
            effect=data["closure_effect"],
            recommendations=data["closure_recommendations"],
        )
    actions.change_status(
        ticket,
        to_status=data["to_status"],
        actor=user,
        now=now,
        reason=data["reason"],
        closure=closure,
        expected_version=expected_version,
    )
    return _("Status changed to %(status)s.") % {"status": Status(data["to_status"]).label}


def _assign(ticket: Ticket, form: forms.AssignForm, *, user: User, now: Any, expected_version: int | None) -> str:
    username = form.cleaned_data["assignee"]
    assignee = None
    if username:
        assignee = User.objects.filter(username=username, is_active=True).first()
        if assignee is None:
            raise ActionError(_("Unknown user."), field="assignee")
    actions.assign_ticket(
        ticket,
        team=None,
        assignee=assignee,
        actor=user,
        now=now,
        note=form.cleaned_data["note"],
        cosigner=_cosigner(form),
        expected_version=expected_version,
    )
    return _("Assigned to %(name)s.") % {"name": assignee.username} if assignee else _("Unassigned.")


def _cosigner(form: VersionedForm) -> User | None:
    """The certified colleague named to sign for an agent not yet certified (workforce rule)."""
    username = form.cleaned_data.get("cosigner")
    if not username:
        return None
    cosigner: User | None = User.objects.filter(username=username, is_active=True).first()
    if cosigner is None:
        raise ActionError(_("Unknown user."), field="cosigner")
    return cosigner


def _take(ticket: Ticket, form: forms.TakeForm, *, user: User, now: Any, expected_version: int | None) -> str:
    actions.assign_ticket(
        ticket,
        team=None,
        assignee=user,
        actor=user,
        now=now,
        cosigner=_cosigner(form),
        expected_version=expected_version,
    )
    return _("The ticket is yours.")


def _priority(ticket: Ticket, form: forms.PriorityForm, *, user: User, now: Any, expected_version: int | None) -> str:
    data = form.cleaned_data
    actions.override_priority(
        ticket, priority=data["priority"], reason=data["reason"], actor=user, now=now, expected_version=expected_version
    )
    return _("Priority changed.")


def _overdue_reason(
    ticket: Ticket, form: forms.OverdueReasonForm, *, user: User, now: Any, expected_version: int | None
) -> str:
    data = form.cleaned_data
    sla_actions.record_overdue_reason(
        ticket, actor=user, metric=data["metric"], reason=data["reason"], now=now, expected_version=expected_version
    )
    return _("Overdue reason recorded.")


def _escalate(ticket: Ticket, form: forms.EscalateForm, *, user: User, now: Any, expected_version: int | None) -> str:
    code = form.cleaned_data["team"]
    team = Team.objects.filter(code=code, is_active=True).first() if code else None
    if code and team is None:
        raise ActionError(_("Unknown team."), field="team")
    event = routing.escalate_to_next_tier(
        ticket, actor=user, reason=form.cleaned_data["reason"], team=team, now=now, expected_version=expected_version
    )
    return _("Escalated to %(team)s.") % {"team": event.data["team_name"]}


def _tags(ticket: Ticket, form: forms.TagsForm, *, user: User, now: Any, expected_version: int | None) -> str:
    if actions.add_tags(ticket, actor=user, names=form.names(), now=now, expected_version=expected_version) is None:
        raise ActionError(_("The ticket has these tags already."), field="tags")
    return _("Tags added.")


def _diagnosis(ticket: Ticket, form: forms.DiagnosisForm, *, user: User, now: Any, expected_version: int | None) -> str:
    data = form.cleaned_data
    casework.record_diagnosis_step(
        ticket,
        actor=user,
        checked=data["checked"],
        command=data["command"],
        result=data["result"],
        is_public=data["is_public"],
        uploads=data["screenshots"],
        now=now,
    )
    return _("Diagnosis step recorded.")


def _remote(
    ticket: Ticket, form: forms.RemoteAssistanceForm, *, user: User, now: Any, expected_version: int | None
) -> str:
    data = form.cleaned_data
    casework.request_remote_assistance(
        ticket, actor=user, scope=data["scope"], method=data["method"], ends_at=data["ends_at"], now=now
    )
    return _("Remote-assistance authorisation requested from the requester.")


def _plan(ticket: Ticket, form: forms.PlanForm, *, user: User, now: Any, expected_version: int | None) -> str:
    data = form.cleaned_data
    casework.propose_solution_plan(
        ticket,
        actor=user,
        steps=data["steps"],
        resources=data["resources"],
        risks=data["risks"],
        rollback_plan=data["rollback_plan"],
        scheduled_at=data["scheduled_at"],
        now=now,
    )
    return _("Solution plan proposed to the requester.")


def _verification(
    ticket: Ticket, form: forms.VerificationForm, *, user: User, now: Any, expected_version: int | None
) -> str:
    data = form.cleaned_data
    casework.record_verification(
        ticket,
        actor=user,
        verified=data["verified"],
        outcome=data["outcome"],
        notes=data["notes"],
        is_public=data["is_public"],
        now=now,
    )
    return _("Verification result recorded.")


ACTIONS: dict[str, tuple[type[VersionedForm], Callable[..., str]]] = {
    "diagnosis": (forms.DiagnosisForm, _diagnosis),
    "remote": (forms.RemoteAssistanceForm, _remote),
    "plan": (forms.PlanForm, _plan),
    "verification": (forms.VerificationForm, _verification),
    "comment": (forms.CommentForm, _comment),
    "status": (forms.StatusForm, _status),
    "assign": (forms.AssignForm, _assign),
    "take": (forms.TakeForm, _take),
    "priority": (forms.PriorityForm, _priority),
    "tags": (forms.TagsForm, _tags),
    "overdue_reason": (forms.OverdueReasonForm, _overdue_reason),
    "collaborate": (forms.CollaborationRequestForm, ask_another_team),
    "escalate": (forms.EscalateForm, _escalate),
}
_FORM_NAMES[forms.TakeForm] = "take_form"


@require_POST
@staff_required
def ticket_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action")
    form_class, apply = ACTIONS[action]
    return _act(request, number, form_class, apply)


# Saved views


@require_POST
@staff_required
def save_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    queue_slug = request.POST.get("queue", "")
    query = queue_params(QueryDict(request.POST.get("query", ""))).urlencode()
    share_with = None
    if request.POST.get("share"):
        share_with = Team.objects.filter(pk__in=team_ids_of(user), code=request.POST["share"]).first()
        if share_with is None:
            messages.error(request, _("Only team leads may share views with their team."))
            return redirect(_safe_next(request, request.POST.get("next")))
    try:
        view = saved_views.save_view(
            actor=user,
            name=request.POST.get("name", ""),
            queue=queue_slug,
            query=query,
            share_with=share_with,
            now=timezone.now(),
        )
    except ActionError as error:
        messages.error(request, error.message)
        return redirect(_safe_next(request, request.POST.get("next")))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(_view_url(view))


@require_POST
@staff_required
def retire_view(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        saved_views.retire_view(view_id, actor=_user(request))
    except ActionError as error:
        raise Http404(error.message) from None
    messages.success(request, _("The view was removed."))
    return redirect("workspace:queue_default")


def _view_url(view: SavedView) -> str:
    url = reverse("workspace:queue", args=[view.queue])
    return f"{url}?{view.query}" if view.query else url


# Notifications


@require_GET
@staff_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    unread_only = request.GET.get("unread") == "1"
    notifications = list(inbox_for(user, is_unread_only=unread_only)[:NOTIFICATION_LIMIT])
    context = {
        **nav_context(request, active=""),
        "notifications": notifications,
        "unread_only": unread_only,
    }
    return render(request, "workspace/notifications.html", context)


@require_POST
@staff_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go to its ticket."""
    user = _user(request)
    notification = get_notification_for_user(user, notification_id)
    mark_read(notification, actor=user, now=timezone.now())
    if notification.ticket is not None:
        return redirect("workspace:ticket", notification.ticket.number)
    return redirect("workspace:notifications")


@require_POST
@staff_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = mark_all_read(actor=_user(request), now=timezone.now())
    messages.success(request, _("%(count)d notification(s) marked read.") % {"count": count})
    return redirect("workspace:notifications")


# Editing the details


@staff_required
def ticket_edit(request: HttpRequest, number: str) -> HttpResponse:
    """Edit the standard template's fields; a stale form is refused (412) and keeps what was typed."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    user, now = _user(request), timezone.now()
    ticket = get_ticket_for_user(user, number)
    if not Ticket.objects.writable_by(user, by_key=True).filter(pk=ticket.pk).exists():
        return render(
            request, "workspace/read_only.html", {**nav_context(request, active=""), "ticket": ticket}, status=403
        )
    status = 200
    if request.method == "POST":
        form = forms.DetailsForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                event = actions.edit_ticket_details(
                    ticket,
                    actor=user,
                    changes=form.changes(ticket),
                    now=now,
                    expected_version=form.cleaned_data.get("version"),
                )
            except ActionError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status_code
            else:
                messages.success(request, _("Details saved.") if event is not None else _("Nothing was changed."))
                return redirect("workspace:ticket", ticket.number)
    else:
        initial = {name: getattr(ticket, name) for name in actions.DETAIL_FIELDS}
        initial.update(version=ticket.version, category=ticket.category.code if ticket.category else None)
        form = forms.DetailsForm(initial=initial)
    context = {
        **nav_context(request, active=""),
        "ticket": ticket,
        "form": form,
        "stale": status == PreconditionFailed.status_code,
    }
    return render(request, "workspace/ticket_edit.html", context, status=status)


@require_GET
@staff_required
def ticket_similar(request: HttpRequest, number: str) -> HttpResponse:
    """Similar past tickets, loaded after the page: the search service's best matches the viewer may see."""
    user = _user(request)
    ticket = get_ticket_for_user(user, number)
    labels = dict(Status.choices)
    found = [(item, labels.get(item.status, "")) for item in similar_tickets(user, ticket)]
    return render(request, "workspace/_similar.html", {"similar": found})


@require_GET
@staff_required
def ticket_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    """Download an attachment (or show a checked raster image with `?inline=1`); logged like a view."""
    user, now = _user(request), timezone.now()
    ticket = get_ticket_for_user(user, number)
    attachment = get_attachment_for_user(user, ticket, attachment_id)
    actions.record_ticket_view(
        ticket, user=user, via=AccessChannel.WEB, now=now, ip_address=client_address(request), attachment=attachment
    )
    response = attachment_download_response(attachment, inline=request.GET.get("inline") == "1")
    response["Cache-Control"] = "private, max-age=3600"
    return response
