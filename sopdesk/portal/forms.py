"""Portal forms: the two steps of "Ask for help", the profile and the password reset request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from sopdesk.kb.choices import ArticleType
from sopdesk.portal.choices import StandardField
from sopdesk.portal.models import CategoryRequestField
from sopdesk.portal.request_fields import field_key
from sopdesk.tickets.choices import Frequency, Impact, Urgency
from sopdesk.tickets.forms import MultipleFileField
from sopdesk.tickets.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Category

SHORT_MAX_LENGTH = 200
LONG_TEXT_FIELDS = frozenset(
    {StandardField.ERROR_MESSAGE, StandardField.STEPS_TO_REPRODUCE, StandardField.ATTEMPTED_MEASURES}
)


def _styled(form: forms.Form) -> None:
    """Give every widget Tabler's class; the template renders Django's widgets as they are."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            # Each box beside its label (the template wraps each in a form-check), not above it.
            widget.attrs.setdefault("class", "form-check-input")
            continue
        if isinstance(widget, forms.CheckboxInput):
            continue
        widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")


def mark_invalid(form: forms.Form) -> None:
    """Add Tabler's `is-invalid` to the widgets of fields with errors (a bound form, after validation)."""
    if not form.is_bound:
        return
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Category) -> str:
        return str(obj)


class RequestStartForm(forms.Form):
    """Step 1: category, what is wrong, how many people are affected, how urgent."""

    category = CategoryChoiceField(
        label=_("What is it about?"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        empty_label=_("Choose a category"),
    )
    title = forms.CharField(label=_("What is wrong, in one line?"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you see, and what you expected instead."),
    )
    impact = forms.ChoiceField(
        label=_("How many people are affected?"), choices=Impact.choices, initial=Impact.SINGLE_USER
    )
    urgency = forms.ChoiceField(label=_("How urgent is it?"), choices=Urgency.choices, initial=Urgency.MEDIUM)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean_title(self) -> str:
        title: str = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("This field is required."))
        return title


def _detail_field(spec: CategoryRequestField) -> forms.Field:
    label = spec.display_label
    common: dict[str, Any] = {"label": label, "required": spec.is_required, "help_text": spec.help_text}
    if spec.standard_field == StandardField.OCCURRED_AT:
        return forms.DateTimeField(
            **common,
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        )
    if spec.standard_field == StandardField.FREQUENCY:
        return forms.ChoiceField(**common, choices=Frequency.choices)
    if spec.standard_field in LONG_TEXT_FIELDS:
        return forms.CharField(**common, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))
    return forms.CharField(**common, max_length=SHORT_MAX_LENGTH)


class RequestDetailsForm(forms.Form):
    """Step 2: the fields that matter for the chosen category, and attachments."""

    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, specs: Sequence[CategoryRequestField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = list(specs)
        fields = {field_key(spec): _detail_field(spec) for spec in self.specs}
        self.fields = {**fields, "attachments": self.fields["attachments"]}
        _styled(self)

    def standard_values(self) -> dict[str, Any]:
        """Return the answers to standard fields, by ticket field name, without empty ones."""
        return {
            spec.standard_field: self.cleaned_data[spec.standard_field]
            for spec in self.specs
            if spec.standard_field and self.cleaned_data.get(spec.standard_field) not in (None, "")
        }

    def extra_values(self) -> dict[str, str]:
        return {
            field_key(spec): str(self.cleaned_data.get(field_key(spec)) or "").strip()
            for spec in self.specs
            if not spec.standard_field
        }


def time_zone_choices() -> list[tuple[str, Any]]:
    return [("", _("The service desk's time zone")), *((zone, zone) for zone in sorted(available_timezones()))]


def language_choices() -> list[tuple[str, Any]]:
    return [("", _("The service desk's language")), *settings.LANGUAGES]


class ProfileForm(forms.Form):
    """The signed-in user's name, contact, language, time zone and e-mail notifications."""

    display_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, required=False)

    def __init__(self, *args: Any, mail_kinds: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email_kinds"] = forms.MultipleChoiceField(
            label=_("Send me these by e-mail"),
            choices=mail_kinds,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        _styled(self)


class RateLimitedPasswordResetForm(PasswordResetForm):
    """Django's reset form; the view limits how often one address is mailed (see account.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class HelpSearchForm(forms.Form):
    """The help centre's search box."""

    q = forms.CharField(label=_("Search the help centre"), max_length=SHORT_MAX_LENGTH, required=False, strip=True)
    category = forms.SlugField(required=False, max_length=50)
    type = forms.ChoiceField(choices=[("", ""), *ArticleType.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"class": "form-control", "type": "search", "autocomplete": "off"})


class ArticleFeedbackForm(forms.Form):
    """ "Was this helpful?" and "Suggest a correction" (either or both)."""

    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )
    suggestion = forms.CharField(
        label=_("Suggest a correction"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        max_length=TEXT_MAX_LENGTH,
        required=False,
    )


class SuggestionQueryForm(forms.Form):
    """What the requester has typed so far on "Ask for help" (the suggestions' query)."""

    title = forms.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    description = forms.CharField(max_length=TEXT_MAX_LENGTH, required=False)
