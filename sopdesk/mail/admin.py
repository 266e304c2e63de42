"""Admin for inbound mail: mailboxes save through the audited actions (password write-only); mail is read-only,
the quarantine can be processed again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sopdesk.accounts.models import User
from sopdesk.core.admin import ActionAdmin, ReadOnlyAdmin, admin_refusal
from sopdesk.core.errors import ActionError
from sopdesk.mail import actions
from sopdesk.mail.choices import MailState
from sopdesk.mail.models import InboundMail, Mailbox


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class MailboxForm(forms.ModelForm):  # type: ignore[type-arg]
    # Write-only: the stored password is never sent to the browser; empty keeps it.
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Never shown again. Leave empty to keep the stored password."),
    )

    class Meta:
        model = Mailbox
        fields = list(actions.MAILBOX_FIELDS)


@admin.register(Mailbox)
class MailboxAdmin(ActionAdmin):
    form = MailboxForm
    list_display = ["name", "address", "is_active", "imap_host", "imap_security", "last_polled_at", "last_error"]
    list_filter = ["is_active"]
    search_fields = ["name", "address"]
    readonly_fields = ["last_polled_at", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and actions.may_manage_mail(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and actions.may_manage_mail(_actor(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # mailboxes are deactivated; their mail keeps pointing at them

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields["imap_password"].initial = ""
        return form

    def save_model(self, request: HttpRequest, obj: Mailbox, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        values = {name: form.cleaned_data.get(name) for name in actions.MAILBOX_FIELDS}
        try:
            if change:
                stored = Mailbox.objects.get(pk=obj.pk)
                actions.update_mailbox(stored, actor=_actor(request), changes=values, now=timezone.now())
            else:
                values["imap_password"] = values["imap_password"] or ""
                obj.pk = actions.create_mailbox(actor=_actor(request), values=values, now=timezone.now()).pk
        except ActionError as error:
            raise admin_refusal(error) from error


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "mailbox", "source", "from_address", "subject", "state", "ticket", "error"]
    list_filter = ["state", "source", "mailbox"]
    search_fields = ["from_address", "subject", "message_id", "ticket__number"]
    list_select_related = ["mailbox", "ticket"]
    date_hierarchy = "received_at"
    exclude = ["raw"]
    actions = ["reprocess"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundMail]:
        return super().get_queryset(request).defer("raw")

    def has_reprocess_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_manage_mail(_actor(request))

    @admin.action(description=_("Process the selected quarantined mail again"), permissions=["reprocess"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundMail]) -> None:
        done = 0
        for mail in queryset.filter(state=MailState.QUARANTINED).defer("raw"):
            result = actions.reprocess_mail(mail, actor=_actor(request), now=timezone.now())
            done += result.state != MailState.QUARANTINED
        self.message_user(
            request,
            ngettext("%(count)d message processed.", "%(count)d messages processed.", done) % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )
