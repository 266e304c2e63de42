"""The signed-in person's own account: the profile page, and the password reset pages' rate limit."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from sopdesk.accounts.actions import update_profile
from sopdesk.accounts.models import User
from sopdesk.core.validation import ValidationFailed
from sopdesk.notifications.choices import NotificationKind
from sopdesk.portal.forms import ProfileForm, RateLimitedPasswordResetForm, mark_invalid

# The kinds whose e-mail a person may switch off (each goes through `enqueue`, which honours the choice).
MAIL_KINDS = (NotificationKind.REQUEST_RECEIVED, NotificationKind.TICKET_EVENT)


def _mail_choices() -> list[tuple[str, str]]:
    return [(kind.value, str(kind.label)) for kind in MAIL_KINDS]


def _initial(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "language": user.language,
        "time_zone": user.time_zone,
        "email_kinds": [kind for kind, _label in _mail_choices() if kind not in user.email_muted_kinds],
    }


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show and change the signed-in person's name, contact, language, time zone and mail choices (staff too)."""
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(request.POST or None, initial=_initial(user), mail_kinds=_mail_choices())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: data[name] for name in ("display_name", "email", "phone", "language", "time_zone")}
            wanted = set(data["email_kinds"])
            offered = {kind for kind, _label in _mail_choices()}
            kept = [kind for kind in user.email_muted_kinds if kind not in offered]
            changes["email_muted_kinds"] = kept + sorted(offered - wanted)
            try:
                with transaction.atomic():
                    update_profile(user, changes=changes)
            except ValidationFailed as error:
                for field, problems in error.errors.items():
                    form.add_error(field if field in form.fields else None, " ".join(problems))
            else:
                messages.success(request, _("Your profile was saved."))
                response = redirect("portal:profile")
                if user.language:
                    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
                    translation.activate(user.language)
                return response
        status = 400
    mark_invalid(form)
    base = "portal/layout.html" if user.is_requester else "web/base.html"
    return render(
        request, "portal/account_profile.html", {"form": form, "active": "profile", "base": base}, status=status
    )


def _address_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"password-reset:{digest}"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request; one address is mailed at most SOPDESK_PASSWORD_RESET_LIMIT times an hour.

    The answer is the same whether the address exists, is limited or not: no oracle.
    """

    form_class = RateLimitedPasswordResetForm
    template_name = "portal/account_password_reset_form.html"
    email_template_name = "portal/account_password_reset_email.txt"
    subject_template_name = "portal/account_password_reset_subject.txt"

    def form_valid(self, form: RateLimitedPasswordResetForm) -> HttpResponse:  # type: ignore[override]
        key = _address_key(form.cleaned_data["email"])
        cache.add(key, 0, timeout=3600)
        if cache.incr(key) > settings.SOPDESK_PASSWORD_RESET_LIMIT:
            return redirect(self.get_success_url())
        return super().form_valid(form)
