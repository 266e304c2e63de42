"""Forms of the workspace's knowledge-base pages: they parse and bound the input; the kb actions decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import Organization, User
from sopdesk.kb.choices import ArticleStatus, ArticleType, ArticleVisibility
from sopdesk.kb.models import TAG_MAX_LENGTH, TAGS_MAX, TEXT_MAX_LENGTH, Article, ArticleCategory

TEXT_FIELDS = ("problem", "diagnosis", "solution", "notes", "applies_to")
# Tags are typed as one line, separated by commas (Latin or Chinese) or semicolons.
_TAG_SEPARATORS = re.compile(r"[,，;；、]")


def _text(label: Any, *, rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=TEXT_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control kb-text", "data-kb-text": ""}),
    )


class ArticleForm(forms.Form):
    """Every field an author writes; required fields and all rules are the actions' (errors come back per field)."""

    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    article_type = forms.ChoiceField(
        label=_("Type"), choices=ArticleType.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ArticleCategory.objects.none(),
        required=False,
        empty_label="—",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    problem = _text(_("Problem description"), rows=4)
    diagnosis = _text(_("Diagnosis steps"))
    solution = _text(_("Solution"), rows=8)
    notes = _text(_("Notes"), rows=3)
    applies_to = _text(_("Applies to"), rows=2)
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=ArticleVisibility.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organisations"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 4}),
        help_text=_("Only with visibility “customers of given organisations”."),
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=TAGS_MAX * (TAG_MAX_LENGTH + 2),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_("Separated by commas."),
    )
    review_due_on = forms.DateField(
        label=_("Review due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        help_text=_("The owner is reminded on this day to check that the article is still right."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    # When the editor read the article (its `updated_at`): a change saved by someone else since is refused.
    loaded_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, article: Article | None = None, may_reassign: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current_category = article.category_id if article is not None else None
        category_field: forms.ModelChoiceField[ArticleCategory] = self.fields["category"]  # type: ignore[assignment]
        # Active categories, and the article's own even when it was retired (the action names the problem).
        category_field.queryset = ArticleCategory.objects.filter(Q(is_active=True) | Q(pk=current_category))
        if may_reassign:
            owner_field: forms.ModelChoiceField[User] = self.fields["owner"]  # type: ignore[assignment]
            owner_field.queryset = User.objects.filter(is_active=True).exclude(role="requester").order_by("username")
        else:
            del self.fields["owner"]

    @classmethod
    def initial_for(cls, article: Article) -> dict[str, Any]:
        return {
            **{name: getattr(article, name) for name in ("title", "article_type", "visibility", *TEXT_FIELDS)},
            "category": article.category_id,
            "organizations": list(article.organizations.all()),
            "tags": ", ".join(article.tags),
            "review_due_on": article.review_due_on,
            "owner": article.owner_id,
            "loaded_at": article.updated_at.isoformat(),
        }

    def clean_tags(self) -> list[str]:
        return [tag for tag in (part.strip() for part in _TAG_SEPARATORS.split(self.cleaned_data["tags"])) if tag]

    def values(self) -> dict[str, Any]:
        """The action's `values` / `changes` (ARTICLE_FIELDS) from the cleaned data; organisations separately."""
        data = dict(self.cleaned_data)
        data.pop("organizations", None)
        data.pop("loaded_at", None)
        if "owner" in data and data["owner"] is None:
            data.pop("owner")
        return data

    def add_action_errors(self, errors: dict[str, list[str]]) -> None:
        """Put each of the action's errors next to its field (one the form does not show goes above the form)."""
        for name, texts in errors.items():
            for text in texts:
                self.add_error(name if name in self.fields else None, text)

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class ArticleFilterForm(forms.Form):
    """The list's filters; every value is allow-listed."""

    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *ArticleStatus.choices], required=False)
    article_type = forms.ChoiceField(label=_("Type"), choices=[("", _("All")), *ArticleType.choices], required=False)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ArticleCategory.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All"),
    )
    mine = forms.BooleanField(label=_("Owned by me"), required=False)
    review_due = forms.BooleanField(label=_("Review due"), required=False)
    q = forms.CharField(label=_("Title contains"), max_length=100, required=False)


class StepForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), max_length=TEXT_MAX_LENGTH, required=False, strip=True)
