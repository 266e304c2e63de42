"""Admin for the knowledge base: categories and articles save through the actions, lifecycle steps are
admin actions, and versions, reviews, feedback and ticket links are read-only records."""

from __future__ import annotations

from collections.abc import Callable
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
from sopdesk.kb import actions
from sopdesk.kb.models import (
    Article,
    ArticleCategory,
    ArticleFeedback,
    ArticleTicketLink,
    ArticleVersion,
    ReviewEntry,
)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(ActionAdmin):
    """The category tree; changes are audited. Deactivate a category instead of deleting it."""

    list_display = ["code", "name", "parent", "sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    fields = list(actions.CATEGORY_FIELDS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and actions.may_approve_articles(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and actions.may_approve_articles(_actor(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ArticleCategory, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        names = [name for name in actions.CATEGORY_FIELDS if not (change and name == "code")]
        values = {name: form.cleaned_data.get(name) for name in names}
        try:
            if change:
                stored = ArticleCategory.objects.get(pk=obj.pk)
                actions.update_category(stored, actor=_actor(request), changes=values, now=timezone.now())
            else:
                obj.pk = actions.create_category(actor=_actor(request), values=values, now=timezone.now()).pk
        except ActionError as error:
            raise admin_refusal(error) from error


class VersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ArticleVersion
    fields = readonly_fields = ("number", "title", "published_at", "published_by")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReviewInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReviewEntry
    fields = readonly_fields = ("created_at", "kind", "author", "body", "version_number")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _lifecycle_action(
    step: Callable[..., Any], description: Any
) -> Callable[[Any, HttpRequest, QuerySet[Article]], None]:
    def run(model_admin: ArticleAdmin, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        done = 0
        for article in queryset:
            try:
                step(article, actor=_actor(request), now=timezone.now())
            except ActionError as error:
                model_admin.message_user(request, f"{article}: {error.message}", messages.ERROR)
            else:
                done += 1
        if done:
            model_admin.message_user(
                request,
                ngettext("%(count)d article done.", "%(count)d articles done.", done) % {"count": done},
                messages.SUCCESS,
            )

    run.short_description = description  # type: ignore[attr-defined]
    run.__name__ = step.__name__
    return run


@admin.register(Article)
class ArticleAdmin(ActionAdmin):
    """Articles: the working copy saves through the actions; review steps are the list's actions."""

    list_display = ["title", "article_type", "category", "status", "visibility", "owner", "review_due_on"]
    list_filter = ["status", "article_type", "visibility", "category"]
    search_fields = ["title", "tags"]
    list_select_related = ["category", "owner"]
    fields = [*actions.ARTICLE_FIELDS, "organizations"]
    filter_horizontal = ["organizations"]
    inlines = [ReviewInline, VersionInline]
    actions = [
        _lifecycle_action(actions.submit_for_review, _("Submit the selected drafts for review")),
        _lifecycle_action(actions.approve_article, _("Approve and publish the selected articles")),
        _lifecycle_action(actions.mark_outdated, _("Mark the selected articles outdated")),
        _lifecycle_action(actions.archive_article, _("Archive the selected articles")),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and actions.may_write_articles(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and actions.may_write_articles(_actor(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return Article.objects.visible_to(_actor(request))

    def save_model(self, request: HttpRequest, obj: Article, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        values = {name: form.cleaned_data.get(name) for name in actions.ARTICLE_FIELDS}
        for name in ("problem", "diagnosis", "solution", "notes", "applies_to"):
            values[name] = values[name] or ""
        values["tags"] = values["tags"] or []
        organizations = list(form.cleaned_data.get("organizations") or [])
        try:
            if change:
                stored = Article.objects.get(pk=obj.pk)
                actions.update_article(
                    stored, actor=_actor(request), changes=values, organizations=organizations, now=timezone.now()
                )
            else:
                obj.pk = actions.create_article(
                    actor=_actor(request), values=values, organizations=organizations, now=timezone.now()
                ).pk
        except ActionError as error:
            raise admin_refusal(error) from error

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The action saved the organisations (no form.save_m2m()); the inlines are read-only and save nothing.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(ArticleVersion)
class ArticleVersionAdmin(ReadOnlyAdmin):
    list_display = ["article", "number", "title", "published_at", "published_by"]
    list_select_related = ["article", "published_by"]
    search_fields = ["title"]


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(ReadOnlyAdmin):
    list_display = ["article", "helpful", "suggestion", "user", "created_at"]
    list_filter = ["helpful"]
    list_select_related = ["article", "user"]


@admin.register(ArticleTicketLink)
class ArticleTicketLinkAdmin(ReadOnlyAdmin):
    list_display = ["article", "ticket", "linked_by", "linked_at"]
    list_select_related = ["article", "ticket", "linked_by"]
    search_fields = ["ticket__number"]
