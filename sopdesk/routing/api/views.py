"""Routing endpoints: rules and specialist teams (administrators change, managers read), tiered escalation."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Router, Status

from sopdesk.accounts.models import Team
from sopdesk.core.api import error_responses, request_user
from sopdesk.core.errors import NotFound
from sopdesk.core.validation import ValidationFailed
from sopdesk.routing import actions
from sopdesk.routing.api.schemas import (
    EscalationIn,
    EscalationOut,
    RuleIn,
    RuleOut,
    RulePage,
    RulePath,
    RuleUpdateIn,
    SpecialistIn,
    SpecialistOut,
    SpecialistPath,
    rule_out,
)
from sopdesk.routing.models import CategorySpecialist, RoutingRule
from sopdesk.tickets.models import Category
from sopdesk.tickets.queries import get_ticket_for_user

router = Router(tags=["routing_rules"])
specialists_router = Router(tags=["routing_specialists"])
tickets_router = Router(tags=["routing_escalation"])

ERRORS = error_responses(400, 401, 403, 404, 409, 412, 422)


def _rules() -> QuerySet[RoutingRule]:
    return RoutingRule.objects.select_related("team", "category", "customer_level").order_by("position", "pk")


def _rule(rule_id: int) -> RoutingRule:
    rule = _rules().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("No such routing rule."))
    return rule


def _text_values(values: dict[str, Any]) -> dict[str, Any]:
    # An absent condition is stored as an empty string for the choice fields.
    for name in ("ticket_type", "channel", "priority"):
        if name in values and values[name] is None:
            values[name] = ""
    return values


@router.get("/rules", response={200: RulePage, **ERRORS})
def list_rules(request: HttpRequest) -> dict[str, Any]:
    """List the routing rules in the order they are tried (administrators and managers)."""
    actions.check_may_read_routing(request_user(request))
    rules = list(_rules())
    return {"count": len(rules), "items": [rule_out(rule) for rule in rules]}


@router.post("/rules", response={201: RuleOut, **ERRORS})
@transaction.atomic
def create_rule(request: HttpRequest, payload: RuleIn) -> Status[Any]:
    """Add a rule. New tickets are routed by the first active rule, by position, whose conditions all match;
    rules to inactive teams are skipped. Unknown codes are field errors (422)."""
    actor = request_user(request)
    actions.check_may_change_routing(actor)
    values = actions.by_code(_text_values(payload.dict()))
    rule = actions.create_rule(actor=actor, values=values, now=timezone.now())
    return Status(201, rule_out(_rule(rule.pk)))


@router.get("/rules/{rule_id}", response={200: RuleOut, **ERRORS})
def get_rule(request: HttpRequest, path: Path[RulePath]) -> dict[str, Any]:
    """Return one routing rule."""
    actions.check_may_read_routing(request_user(request))
    return rule_out(_rule(path.rule_id))


@router.patch("/rules/{rule_id}", response={200: RuleOut, **ERRORS})
@transaction.atomic
def update_rule(request: HttpRequest, path: Path[RulePath], payload: RuleUpdateIn) -> dict[str, Any]:
    """Change a rule; omitted fields stay, null clears a condition. The next new ticket uses the change."""
    actor = request_user(request)
    actions.check_may_change_routing(actor)
    rule = _rule(path.rule_id)
    changes = actions.by_code(_text_values(payload.dict(exclude_unset=True)))
    actions.update_rule(rule, actor=actor, changes=changes, now=timezone.now())
    return rule_out(_rule(rule.pk))


@router.delete("/rules/{rule_id}", response={204: None, **ERRORS})
@transaction.atomic
def delete_rule(request: HttpRequest, path: Path[RulePath]) -> Status[None]:
    """Remove a rule (the audit log keeps its last values)."""
    actor = request_user(request)
    actions.check_may_change_routing(actor)
    actions.delete_rule(_rule(path.rule_id), actor=actor, now=timezone.now())
    return Status(204, None)


@specialists_router.get("/specialists", response={200: list[SpecialistOut], **ERRORS})
def list_specialists(request: HttpRequest) -> list[dict[str, Any]]:
    """The specialist team of each category that has one (tickets of difficulty 2 and above go there)."""
    actions.check_may_read_routing(request_user(request))
    rows = CategorySpecialist.objects.select_related("category", "team").order_by("category__code")
    return [{"category": row.category.code, "team": row.team.code} for row in rows]


def _category(code: str) -> Category:
    category: Category | None = Category.objects.filter(code=code).first()
    if category is None:
        raise NotFound(_("No such category."))
    return category


@specialists_router.put("/specialists/{category}", response={200: SpecialistOut, **ERRORS})
@transaction.atomic
def set_specialist(request: HttpRequest, path: Path[SpecialistPath], payload: SpecialistIn) -> dict[str, Any]:
    """Make a team the category's specialist team (its subcategories inherit it)."""
    actor = request_user(request)
    actions.check_may_change_routing(actor)
    category = _category(path.category)
    team = Team.objects.filter(code=payload.team).first()
    if team is None:
        raise ValidationFailed({"team": [_("Unknown code “%(code)s”.") % {"code": payload.team}]})
    actions.set_specialist_team(category, team=team, actor=actor, now=timezone.now())
    return {"category": category.code, "team": team.code}


@specialists_router.delete("/specialists/{category}", response={204: None, **ERRORS})
@transaction.atomic
def delete_specialist(request: HttpRequest, path: Path[SpecialistPath]) -> Status[None]:
    """Leave the category without a specialist team."""
    actor = request_user(request)
    actions.check_may_change_routing(actor)
    actions.set_specialist_team(_category(path.category), team=None, actor=actor, now=timezone.now())
    return Status(204, None)


@tickets_router.post("/{number}/escalations", response={201: EscalationOut, **ERRORS})
def escalate(request: HttpRequest, number: str, payload: EscalationIn) -> Status[Any]:
    """Escalate the ticket to a team of the next tier (first line → second line → specialist → management).

    The reason is recorded on the timeline, the assignee is cleared so the receiving team picks the
    ticket up, the receiving team's leads are notified, and the SLA clocks continue. Staff who may
    change the ticket only.
    """
    user = request_user(request)
    ticket = get_ticket_for_user(user, number)
    team = None
    if payload.team is not None:
        team = Team.objects.filter(code=payload.team).first()
        if team is None:
            raise ValidationFailed({"team": [_("Unknown code “%(code)s”.") % {"code": payload.team}]})
    event = actions.escalate_to_next_tier(
        ticket,
        actor=user,
        reason=payload.reason,
        team=team,
        now=timezone.now(),
    )
    data = event.data
    to_team = Team.objects.get(pk=data["to_team"])
    return Status(
        201, {"event_id": event.pk, "team": to_team.code, "from_tier": data["from_tier"], "to_tier": data["to_tier"]}
    )
