"""Every change of casework records and canned responses. Views, API, admin and demo call these and nothing else.

Record actions follow the ticket actions: they lock and reload the ticket through
`tickets.actions.changing_ticket` (403 for a ticket the actor may read but not change, 404 for
one they may not see), write the record and its timeline entry, and give the ticket a new version.
Staff of the ticket write diagnosis steps, plans, verification results and authorisation requests;
only the ticket's requester grants, refuses or revokes an authorisation and confirms or rejects a plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.models import Team, User
from sopdesk.casework import events
from sopdesk.casework.canned import check_template
from sopdesk.casework.choices import (
    AuthorizationState,
    CaseworkEventKind,
    Language,
    PlanState,
    VerificationOutcome,
)
from sopdesk.casework.models import (
    CANNED_BODY_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    CannedResponse,
    DiagnosisStep,
    RemoteAssistanceAuthorization,
    SolutionPlan,
    VerificationResult,
)
from sopdesk.casework.notifications import notify
from sopdesk.core.errors import ActionError, PermissionRefused, TransitionRefused
from sopdesk.core.validation import TextInputs, ValidationFailed
from sopdesk.tickets.actions import add_attachment, changing_ticket, ticket_touched
from sopdesk.tickets.models import TEXT_MAX_LENGTH, Attachment, Ticket

MAX_ATTACHMENTS_PER_STEP = 20
# How far ahead remote assistance may be authorised: long grants outlive the work they were for.
MAX_AUTHORIZATION_PERIOD = timedelta(days=30)


# --- who may do what (the UI asks these to offer only what will succeed) ------------------


def may_write_records(actor: User, ticket: Ticket) -> bool:
    """Return True when `actor` may record diagnosis, plans, verification and authorisation requests on `ticket`."""
    return not actor.is_requester and Ticket.objects.writable_by(actor, by_key=True).filter(pk=ticket.pk).exists()


def may_decide(actor: User, ticket: Ticket) -> bool:
    """Return True when `actor` may grant authorisations and confirm plans on `ticket`: its requester only."""
    return (
        actor.pk == ticket.requester_id and Ticket.objects.writable_by(actor, by_key=True).filter(pk=ticket.pk).exists()
    )


def _check_staff(actor: User, message: str) -> None:
    if actor.is_requester:
        raise PermissionRefused(message)


def _check_requester(ticket: Ticket, actor: User, message: str) -> None:
    # Called on the locked ticket: whoever else may see it (staff, colleagues of a sharing
    # organisation) does not decide about access to the requester's own systems and plans.
    if actor.pk != ticket.requester_id:
        raise PermissionRefused(message)


# --- diagnosis steps ----------------------------------------------------------------------


def record_diagnosis_step(
    ticket: Ticket,
    *,
    actor: User,
    checked: str,
    result: str,
    now: datetime,
    command: str = "",
    is_public: bool = False,
    attachment_ids: Sequence[int] = (),
    uploads: Sequence[UploadedFile] = (),
) -> DiagnosisStep:
    """Record a diagnosis step (staff) with screenshots: attachments of the ticket by id and/or new uploads.

    Uploads pass the ticket's attachment checks and are stored as the step is (internal unless public).
    """
    _check_staff(actor, _("Only staff may record diagnosis steps."))
    texts = TextInputs()
    checked = texts.take("checked", checked, required=True, max_length=SHORT_TEXT_MAX_LENGTH, one_line=True)
    command = texts.take("command", command, required=False, max_length=TEXT_MAX_LENGTH)
    result = texts.take("result", result, required=True, max_length=TEXT_MAX_LENGTH)
    texts.check()
    wanted = list(dict.fromkeys(attachment_ids))
    if len(wanted) + len(uploads) > MAX_ATTACHMENTS_PER_STEP:
        raise ActionError(
            _("At most %(count)d files per diagnosis step.") % {"count": MAX_ATTACHMENTS_PER_STEP},
            field="attachment_ids",
        )
    with changing_ticket(ticket, actor=actor):
        attachments = list(Attachment.objects.filter(ticket=ticket, pk__in=wanted))
        missing = sorted(set(wanted) - {attachment.pk for attachment in attachments})
        if missing:
            raise ActionError(_("This ticket has no attachment %(id)d.") % {"id": missing[0]}, field="attachment_ids")
        if is_public and any(attachment.is_internal for attachment in attachments):
            raise ActionError(_("A public diagnosis step cannot show internal attachments."), field="attachment_ids")
        for upload in uploads:
            attachments.append(add_attachment(ticket, actor=actor, upload=upload, is_internal=not is_public, now=now))
        step = DiagnosisStep(
            ticket=ticket,
            checked=checked,
            command=command,
            result=result,
            is_public=is_public,
            created_by=actor,
            created_at=now,
        )
        step.save(force_insert=True)
        step.attachments.set(attachments)
        events.diagnosis_recorded(step, attachment_ids=[attachment.pk for attachment in attachments])
        ticket_touched(ticket, now=now)
    return step


# --- remote-assistance authorisations -----------------------------------------------------


def request_remote_assistance(
    ticket: Ticket, *, actor: User, scope: str, method: str, ends_at: datetime, now: datetime
) -> RemoteAssistanceAuthorization:
    """Ask the requester (staff) to authorise remote assistance: what the agent may do, with what, until when."""
    _check_staff(actor, _("Only staff may ask for remote-assistance authorisation."))
    texts = TextInputs()
    scope = texts.take("scope", scope, required=True, max_length=TEXT_MAX_LENGTH)
    method = texts.take("method", method, required=True, max_length=200, one_line=True)
    if ends_at <= now:
        texts.errors["ends_at"] = [_("The end of the authorisation must be in the future.")]
    elif ends_at - now > MAX_AUTHORIZATION_PERIOD:
        texts.errors["ends_at"] = [
            _("Remote assistance can be authorised for at most %(days)d days.")
            % {"days": MAX_AUTHORIZATION_PERIOD.days}
        ]
    texts.check()
    with changing_ticket(ticket, actor=actor):
        authorization = RemoteAssistanceAuthorization.objects.create(
            ticket=ticket, scope=scope, method=method, ends_at=ends_at, requested_by=actor, requested_at=now
        )
        event = events.remote_requested(authorization)
        ticket_touched(ticket, now=now)
        notify(event)
    return authorization


def _locked_authorization(
    authorization: RemoteAssistanceAuthorization, ticket: Ticket
) -> RemoteAssistanceAuthorization:
    """Reload `authorization` under a row lock (after its ticket's: lock order ticket, then record)."""
    authorization.refresh_from_db(
        from_queryset=RemoteAssistanceAuthorization.objects.select_for_update().filter(ticket=ticket)
    )
    authorization.ticket = ticket
    return authorization


def _decide_authorization(
    authorization: RemoteAssistanceAuthorization,
    *,
    actor: User,
    now: datetime,
    to_state: AuthorizationState,
    reason: str = "",
    ends_at: datetime | None = None,
) -> RemoteAssistanceAuthorization:
    ticket = authorization.ticket
    with changing_ticket(ticket, actor=actor):
        _check_requester(ticket, actor, _("Only the requester may grant, refuse or revoke remote assistance."))
        _locked_authorization(authorization, ticket)
        current = authorization.state_at(now)
        if to_state == AuthorizationState.REVOKED:
            if current != AuthorizationState.GRANTED:
                raise TransitionRefused(_("Only an authorisation in force can be revoked."), field="state")
            authorization.revoked_by = actor
            authorization.revoked_at = now
            fields = ["state", "revoked_by", "revoked_at"]
            kind = CaseworkEventKind.REMOTE_REVOKED
        else:
            if current != AuthorizationState.REQUESTED:
                raise TransitionRefused(_("This authorisation has already been decided."), field="state")
            if to_state == AuthorizationState.GRANTED and now >= authorization.ends_at:
                raise TransitionRefused(
                    _("The requested period has already ended; the agent has to ask again."), field="state"
                )
            authorization.decided_by = actor
            authorization.decided_at = now
            authorization.refusal_reason = reason
            fields = ["state", "decided_by", "decided_at", "refusal_reason"]
            if ends_at is not None:
                # The requester may shorten the period asked for, never extend it.
                if not now < ends_at <= authorization.ends_at:
                    raise ValidationFailed(
                        {"ends_at": [_("Choose a time in the future and no later than the time asked for.")]}
                    )
                authorization.ends_at = ends_at
                fields.append("ends_at")
            granted = to_state == AuthorizationState.GRANTED
            kind = CaseworkEventKind.REMOTE_GRANTED if granted else CaseworkEventKind.REMOTE_REFUSED
        authorization.state = to_state
        authorization.save(update_fields=fields)
        event = events.remote_decided(authorization, kind, actor=actor, now=now, reason=reason)
        ticket_touched(ticket, now=now)
        notify(event, asked_by=authorization.requested_by)
    return authorization


def grant_remote_assistance(
    authorization: RemoteAssistanceAuthorization, *, actor: User, now: datetime, ends_at: datetime | None = None
) -> RemoteAssistanceAuthorization:
    """Grant a requested authorisation (the requester) until its `ends_at`, or until the earlier `ends_at` given."""
    return _decide_authorization(
        authorization, actor=actor, now=now, to_state=AuthorizationState.GRANTED, ends_at=ends_at
    )


def refuse_remote_assistance(
    authorization: RemoteAssistanceAuthorization, *, actor: User, now: datetime, reason: str = ""
) -> RemoteAssistanceAuthorization:
    """Refuse a requested authorisation (the requester), with an optional reason."""
    texts = TextInputs()
    reason = texts.take("reason", reason, required=False, max_length=TEXT_MAX_LENGTH)
    texts.check()
    return _decide_authorization(
        authorization, actor=actor, now=now, to_state=AuthorizationState.REFUSED, reason=reason
    )


def revoke_remote_assistance(
    authorization: RemoteAssistanceAuthorization, *, actor: User, now: datetime
) -> RemoteAssistanceAuthorization:
    """Withdraw a granted authorisation before its time limit (the requester)."""
    return _decide_authorization(authorization, actor=actor, now=now, to_state=AuthorizationState.REVOKED)


def authorization_moves(authorization: RemoteAssistanceAuthorization, *, deciding: bool, now: datetime) -> list[str]:
    """Return what may be done with `authorization` now: some of "grant", "refuse", "revoke".

    `deciding` is `may_decide(actor, ticket)`, asked once for all the ticket's records.
    """
    if not deciding:
        return []
    state = authorization.state_at(now)
    if state == AuthorizationState.REQUESTED:
        return ["grant", "refuse"] if now < authorization.ends_at else ["refuse"]
    return ["revoke"] if state == AuthorizationState.GRANTED else []


# --- solution plans ------------------------------------------------------------------------


def propose_solution_plan(
    ticket: Ticket,
    *,
    actor: User,
    steps: str,
    rollback_plan: str,
    now: datetime,
    resources: str = "",
    risks: str = "",
    scheduled_at: datetime | None = None,
) -> SolutionPlan:
    """Propose the next version of the plan (staff); it supersedes the previous proposed or confirmed one."""
    _check_staff(actor, _("Only staff may propose solution plans."))
    texts = TextInputs()
    steps = texts.take("steps", steps, required=True, max_length=TEXT_MAX_LENGTH)
    resources = texts.take("resources", resources, required=False, max_length=TEXT_MAX_LENGTH)
    risks = texts.take("risks", risks, required=False, max_length=TEXT_MAX_LENGTH)
    rollback_plan = texts.take("rollback_plan", rollback_plan, required=True, max_length=TEXT_MAX_LENGTH)
    if scheduled_at is not None and scheduled_at < now:
        texts.errors["scheduled_at"] = [_("The scheduled time must not be in the past.")]
    texts.check()
    with changing_ticket(ticket, actor=actor):
        plans = SolutionPlan.objects.select_for_update().filter(ticket=ticket)
        previous = plans.filter(state__in=[PlanState.PROPOSED, PlanState.CONFIRMED]).order_by("-version").first()
        last_version = plans.order_by("-version").values_list("version", flat=True).first() or 0
        if previous is not None:
            previous.state = PlanState.SUPERSEDED
            previous.superseded_at = now
            previous.save(update_fields=["state", "superseded_at"])
        plan = SolutionPlan.objects.create(
            ticket=ticket,
            version=last_version + 1,
            steps=steps,
            resources=resources,
            risks=risks,
            rollback_plan=rollback_plan,
            scheduled_at=scheduled_at,
            proposed_by=actor,
            proposed_at=now,
        )
        event = events.plan_proposed(plan, superseded=previous.version if previous is not None else None)
        ticket_touched(ticket, now=now)
        notify(event)
    return plan


def _decide_plan(
    plan: SolutionPlan, *, actor: User, now: datetime, to_state: PlanState, reason: str = ""
) -> SolutionPlan:
    ticket = plan.ticket
    with changing_ticket(ticket, actor=actor):
        _check_requester(ticket, actor, _("Only the requester may confirm or reject the solution plan."))
        plan.refresh_from_db(from_queryset=SolutionPlan.objects.select_for_update().filter(ticket=ticket))
        plan.ticket = ticket
        if plan.state == PlanState.SUPERSEDED:
            raise TransitionRefused(_("A newer version of this plan has been proposed."), field="state")
        if plan.state != PlanState.PROPOSED:
            raise TransitionRefused(_("This plan has already been decided."), field="state")
        plan.state = to_state
        plan.decided_by = actor
        plan.decided_at = now
        plan.rejection_reason = reason
        plan.save(update_fields=["state", "decided_by", "decided_at", "rejection_reason"])
        kind = CaseworkEventKind.PLAN_CONFIRMED if to_state == PlanState.CONFIRMED else CaseworkEventKind.PLAN_REJECTED
        event = events.plan_decided(plan, kind, actor=actor, now=now, reason=reason)
        ticket_touched(ticket, now=now)
        notify(event, asked_by=plan.proposed_by)
    return plan


def confirm_solution_plan(plan: SolutionPlan, *, actor: User, now: datetime) -> SolutionPlan:
    """Confirm the proposed plan (the requester)."""
    return _decide_plan(plan, actor=actor, now=now, to_state=PlanState.CONFIRMED)


def reject_solution_plan(plan: SolutionPlan, *, actor: User, reason: str, now: datetime) -> SolutionPlan:
    """Reject the proposed plan (the requester), saying why."""
    texts = TextInputs()
    reason = texts.take("reason", reason, required=True, max_length=TEXT_MAX_LENGTH)
    texts.check()
    return _decide_plan(plan, actor=actor, now=now, to_state=PlanState.REJECTED, reason=reason)


def plan_moves(plan: SolutionPlan, *, deciding: bool) -> list[str]:
    """Return what may be done with `plan` now: "confirm" and "reject", or nothing (`deciding`: see above)."""
    if not deciding or plan.state != PlanState.PROPOSED:
        return []
    return ["confirm", "reject"]


# --- verification results --------------------------------------------------------------------


def record_verification(
    ticket: Ticket,
    *,
    actor: User,
    verified: str,
    outcome: str,
    now: datetime,
    notes: str = "",
    is_public: bool = False,
) -> VerificationResult:
    """Record what was verified after the fix and whether it passed (staff)."""
    _check_staff(actor, _("Only staff may record verification results."))
    texts = TextInputs()
    verified = texts.take("verified", verified, required=True, max_length=TEXT_MAX_LENGTH)
    notes = texts.take("notes", notes, required=False, max_length=TEXT_MAX_LENGTH)
    if outcome not in VerificationOutcome.values:
        texts.errors["outcome"] = [_("The outcome is passed or failed.")]
    texts.check()
    with changing_ticket(ticket, actor=actor):
        result = VerificationResult(
            ticket=ticket,
            verified=verified,
            outcome=outcome,
            notes=notes,
            is_public=is_public,
            created_by=actor,
            created_at=now,
        )
        result.save(force_insert=True)
        events.verification_recorded(result)
        ticket_touched(ticket, now=now)
    return result


# --- canned responses --------------------------------------------------------------------------


def canned_response_manager(actor: User) -> Callable[[CannedResponse], bool]:
    """Return the test "may `actor` change this canned response?" (its owner, a lead of its team, an administrator).

    The teams `actor` leads are read once, so a list asks the database once, not once per row.
    """
    if not actor.is_active or actor.is_requester or actor.is_read_only:
        return lambda response: False
    is_admin = actor.is_administrator
    led = set(actor.memberships.filter(is_lead=True).values_list("team_id", flat=True))

    def may_manage(response: CannedResponse) -> bool:
        if response.owner_id is not None:
            return response.owner_id == actor.pk
        return is_admin or response.team_id in led

    return may_manage


def may_manage_canned_response(actor: User, response: CannedResponse) -> bool:
    """Return True when `actor` may change or deactivate `response`."""
    return canned_response_manager(actor)(response)


def _check_canned_fields(
    texts: TextInputs, *, title: str | None, body: str | None, language: str | None
) -> dict[str, str]:
    values: dict[str, str] = {}
    if title is not None:
        values["title"] = texts.take("title", title, required=True, max_length=200, one_line=True)
    if body is not None:
        values["body"] = texts.take("body", body, required=True, max_length=CANNED_BODY_MAX_LENGTH)
        if "body" not in texts.errors:
            try:
                check_template(values["body"])
            except ActionError as error:
                texts.errors["body"] = [error.message]
    if language is not None and language not in Language.values:
        texts.errors["language"] = [_("The language is zh-hans or en.")]
    elif language is not None:
        values["language"] = language
    texts.check()
    return values


def create_canned_response(
    *, actor: User, title: str, body: str, language: str, now: datetime, team: Team | None = None
) -> CannedResponse:
    """Create a personal canned response (any staff member) or one for `team` (its leads, administrators)."""
    if actor.is_requester or actor.is_read_only:
        raise PermissionRefused(_("Your role may not write canned responses."))
    if team is not None and not (actor.is_administrator or actor.memberships.filter(team=team, is_lead=True).exists()):
        raise PermissionRefused(_("Only the team's leads manage its canned responses."), field="team")
    if team is not None and not team.is_active:
        raise ActionError(_("This team is inactive."), field="team")
    values = _check_canned_fields(TextInputs(), title=title, body=body, language=language)
    return CannedResponse.objects.create(
        **values,
        owner=None if team is not None else actor,
        team=team,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )


def _locked_canned(response: CannedResponse, actor: User) -> CannedResponse:
    response.refresh_from_db(from_queryset=CannedResponse.objects.select_for_update())
    if not may_manage_canned_response(actor, response):
        raise PermissionRefused(_("You may use this canned response but not change it."))
    return response


def update_canned_response(
    response: CannedResponse,
    *,
    actor: User,
    now: datetime,
    title: str | None = None,
    body: str | None = None,
    language: str | None = None,
) -> CannedResponse:
    """Change the title, body or language of a canned response the actor manages (None keeps a value)."""
    values = _check_canned_fields(TextInputs(), title=title, body=body, language=language)
    with transaction.atomic():
        _locked_canned(response, actor)
        changed = [name for name, value in values.items() if getattr(response, name) != value]
        for name in changed:
            setattr(response, name, values[name])
        if changed:
            response.updated_at = now
            response.save(update_fields=[*changed, "updated_at"])
    return response


def set_canned_response_active(
    response: CannedResponse, *, actor: User, is_active: bool, now: datetime
) -> CannedResponse:
    """Deactivate (hide from lists, keep the record) or reactivate a canned response the actor manages."""
    with transaction.atomic():
        _locked_canned(response, actor)
        if response.is_active != is_active:
            response.is_active = is_active
            response.updated_at = now
            response.save(update_fields=["is_active", "updated_at"])
    return response
