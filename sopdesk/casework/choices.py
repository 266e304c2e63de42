from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseworkEventKind(models.TextChoices):
    """The casework entries on a ticket's timeline (registered with the ticket timeline in CaseworkConfig.ready)."""

    DIAGNOSIS_RECORDED = "diagnosis_recorded", _("Diagnosis step recorded")
    REMOTE_REQUESTED = "remote_requested", _("Remote assistance requested")
    REMOTE_GRANTED = "remote_granted", _("Remote assistance granted")
    REMOTE_REFUSED = "remote_refused", _("Remote assistance refused")
    REMOTE_REVOKED = "remote_revoked", _("Remote assistance revoked")
    PLAN_PROPOSED = "plan_proposed", _("Solution plan proposed")
    PLAN_CONFIRMED = "plan_confirmed", _("Solution plan confirmed")
    PLAN_REJECTED = "plan_rejected", _("Solution plan rejected")
    VERIFICATION_RECORDED = "verification_recorded", _("Verification recorded")


class AuthorizationState(models.TextChoices):
    """Stored states of a remote-assistance authorisation; `expired` is read from the time limit."""

    REQUESTED = "requested", _("Requested")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class PlanState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class VerificationOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")
