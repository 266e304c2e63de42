"""The article lifecycle: drafts, review by knowledge-base admins, publication as versions, withdrawal."""

from __future__ import annotations

import pytest
from django.db import transaction

from sopdesk.accounts.models import User
from sopdesk.audit.models import ConfigChange
from sopdesk.core.errors import NotFound, PermissionRefused, TransitionRefused
from sopdesk.core.models import HardDeleteRefused
from sopdesk.core.validation import ValidationFailed
from sopdesk.kb import actions, hooks
from sopdesk.kb.choices import ArticleChange, ArticleStatus, ReviewEntryKind
from sopdesk.kb.models import Article, ArticleCategory, ArticleVersion
from sopdesk.kb.tests.conftest import NOW, publish
from sopdesk.testing import factories
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_new_article_is_a_draft_of_its_author_with_clean_tags(draft: Article, agent: User) -> None:
    assert (draft.status, draft.owner, draft.live_version) == (ArticleStatus.DRAFT, agent, None)
    assert draft.tags == ["vpn", "network"]


def test_requesters_and_auditors_write_no_articles(requester: User, auditor: User) -> None:
    for user in (requester, auditor):
        with pytest.raises(PermissionRefused):
            actions.create_article(actor=user, values={"title": "x", "solution": "y"}, now=NOW)


def test_review_publishes_a_version_that_readers_see(draft: Article, agent: User, kb_admin: User) -> None:
    entry = actions.submit_for_review(draft, actor=agent, comment="Please check", now=NOW)
    assert (entry.kind, draft.status) == (ReviewEntryKind.SUBMITTED, ArticleStatus.IN_REVIEW)

    version = actions.approve_article(draft, actor=kb_admin, comment="Good", now=NOW)

    draft.refresh_from_db()
    assert (draft.status, draft.live_version, version.number) == (ArticleStatus.PUBLISHED, version, 1)
    assert (version.title, version.solution, version.tags) == (draft.title, draft.solution, draft.tags)
    assert list(draft.reviews.values_list("kind", flat=True)) == [ReviewEntryKind.SUBMITTED, ReviewEntryKind.APPROVED]


def test_only_kb_admins_approve_or_request_changes(draft: Article, agent: User, team_lead: User) -> None:
    actions.submit_for_review(draft, actor=agent, now=NOW)
    for user in (agent, team_lead):
        with pytest.raises(PermissionRefused):
            actions.approve_article(draft, actor=user, now=NOW)
        with pytest.raises(PermissionRefused):
            actions.request_changes(draft, actor=user, comment="no", now=NOW)
    draft.refresh_from_db()
    assert draft.status == ArticleStatus.IN_REVIEW


def test_changes_requested_send_the_article_back_with_the_reason(draft: Article, agent: User, kb_admin: User) -> None:
    actions.submit_for_review(draft, actor=agent, now=NOW)
    with pytest.raises(ValidationFailed):
        actions.request_changes(draft, actor=kb_admin, comment="  ", now=NOW)

    entry = actions.request_changes(draft, actor=kb_admin, comment="Add the client version", now=NOW)

    draft.refresh_from_db()
    assert (draft.status, entry.body) == (ArticleStatus.DRAFT, "Add the client version")
    with pytest.raises(TransitionRefused):
        actions.approve_article(draft, actor=kb_admin, now=NOW)


def test_a_draft_needs_a_solution_before_review(agent: User) -> None:
    article = actions.create_article(actor=agent, values={"title": "Empty"}, now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        actions.submit_for_review(article, actor=agent, now=NOW)
    assert "solution" in refused.value.errors


def test_an_article_in_review_cannot_be_edited(draft: Article, agent: User) -> None:
    actions.submit_for_review(draft, actor=agent, now=NOW)
    with pytest.raises(TransitionRefused):
        actions.update_article(draft, actor=agent, changes={"title": "Changed"}, now=NOW)


def test_editing_a_published_article_starts_a_draft_while_readers_keep_the_live_version(
    draft: Article, agent: User, kb_admin: User
) -> None:
    publish(draft, author=agent, approver=kb_admin)

    actions.update_article(draft, actor=agent, changes={"solution": "Reinstall the client."}, now=NOW)

    draft.refresh_from_db()
    assert draft.status == ArticleStatus.DRAFT
    assert draft.live_version is not None
    assert draft.live_version.solution == "Update the VPN client to 5.2."
    publish(draft, author=agent, approver=kb_admin)
    draft.refresh_from_db()
    assert (draft.live_version.number, draft.live_version.solution) == (2, "Reinstall the client.")  # type: ignore[union-attr]
    assert list(draft.versions.values_list("number", flat=True)) == [1, 2]


def test_versions_are_append_only(draft: Article, agent: User, kb_admin: User) -> None:
    publish(draft, author=agent, approver=kb_admin)
    version = ArticleVersion.objects.get(article=draft)
    version.title = "Rewritten history"
    with pytest.raises(HardDeleteRefused):
        version.save()
    with pytest.raises(HardDeleteRefused):
        ArticleVersion.objects.filter(pk=version.pk).update(title="x")
    with pytest.raises(HardDeleteRefused):
        version.delete()


def test_outdated_and_archived_articles_leave_the_readers(
    draft: Article, agent: User, kb_admin: User, engineer: User
) -> None:
    publish(draft, author=agent, approver=kb_admin)
    with pytest.raises(PermissionRefused):
        actions.mark_outdated(draft, actor=engineer, now=NOW)  # neither owner nor KB admin

    actions.mark_outdated(draft, actor=agent, comment="Client 6 changed this", now=NOW)
    draft.refresh_from_db()
    assert (draft.status, draft.live_version) == (ArticleStatus.OUTDATED, None)

    with pytest.raises(PermissionRefused):
        actions.archive_article(draft, actor=agent, now=NOW)
    actions.archive_article(draft, actor=kb_admin, now=NOW)
    draft.refresh_from_db()
    assert draft.status == ArticleStatus.ARCHIVED
    with pytest.raises(TransitionRefused):
        actions.update_article(draft, actor=agent, changes={"title": "x"}, now=NOW)


def test_restore_copies_an_older_version_into_a_new_draft(draft: Article, agent: User, kb_admin: User) -> None:
    publish(draft, author=agent, approver=kb_admin)
    actions.update_article(draft, actor=agent, changes={"solution": "Wrong idea", "tags": ["x"]}, now=NOW)
    publish(draft, author=agent, approver=kb_admin)

    entry = actions.restore_version(draft, number=1, actor=agent, now=NOW)

    draft.refresh_from_db()
    assert (entry.kind, entry.version_number) == (ReviewEntryKind.RESTORED, 1)
    assert (draft.status, draft.solution, draft.tags) == (
        ArticleStatus.DRAFT,
        "Update the VPN client to 5.2.",
        ["vpn", "network"],
    )
    assert draft.live_version.number == 2  # type: ignore[union-attr]
    publish(draft, author=agent, approver=kb_admin)
    draft.refresh_from_db()
    assert (draft.live_version.number, draft.live_version.solution) == (3, "Update the VPN client to 5.2.")  # type: ignore[union-attr]


def test_organisation_visibility_needs_organisations(agent: User, org_a) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as refused:
        actions.create_article(actor=agent, values={"title": "x", "visibility": "organizations"}, now=NOW)
    assert "organizations" in refused.value.errors
    article = actions.create_article(
        actor=agent, values={"title": "x", "visibility": "organizations"}, organizations=[org_a], now=NOW
    )
    assert list(article.organizations.all()) == [org_a]


def test_feedback_counts_votes_and_keeps_suggestions(
    draft: Article, agent: User, kb_admin: User, requester: User
) -> None:
    publish(draft, author=agent, approver=kb_admin)
    actions.give_feedback(draft, user=requester, helpful=True, suggestion="", now=NOW)
    actions.give_feedback(draft, user=None, helpful=False, suggestion="Say which client version", now=NOW)
    with pytest.raises(ValidationFailed):
        actions.give_feedback(draft, user=None, helpful=None, suggestion="  ", now=NOW)
    actions.record_article_view(draft)

    draft.refresh_from_db()
    assert (draft.helpful_count, draft.not_helpful_count, draft.view_count) == (1, 1, 1)
    assert list(draft.feedback.values_list("suggestion", "version_number")) == [
        ("Say which client version", 1),
        ("", 1),
    ]


def test_a_signed_in_reader_votes_once_per_version(
    draft: Article, agent: User, kb_admin: User, requester: User
) -> None:
    publish(draft, author=agent, approver=kb_admin)
    actions.give_feedback(draft, user=requester, helpful=True, suggestion="", now=NOW)
    with pytest.raises(ValidationFailed) as again:
        actions.give_feedback(draft, user=requester, helpful=False, suggestion="", now=NOW)
    assert "helpful" in again.value.errors
    # With a suggestion the second vote is dropped and the suggestion kept.
    kept = actions.give_feedback(draft, user=requester, helpful=False, suggestion="Add a screenshot", now=NOW)
    assert kept.helpful is None
    draft.refresh_from_db()
    assert (draft.helpful_count, draft.not_helpful_count) == (1, 0)
    # A new version may be rated again.
    actions.update_article(draft, actor=agent, changes={"solution": "Newer steps"}, now=NOW)
    publish(draft, author=agent, approver=kb_admin)
    actions.give_feedback(draft, user=requester, helpful=False, suggestion="", now=NOW)
    draft.refresh_from_db()
    assert (draft.helpful_count, draft.not_helpful_count) == (1, 1)


def test_ticket_links_count_the_tickets_solved(draft: Article, agent: User, requester: User) -> None:
    first, second = factories.make_ticket(requester, now=NOW), factories.make_ticket(requester, now=NOW)
    actions.link_ticket(draft, ticket=first, actor=agent, now=NOW)
    actions.link_ticket(draft, ticket=first, actor=agent, now=NOW)
    actions.link_ticket(draft, ticket=second, actor=agent, now=NOW)
    draft.refresh_from_db()
    assert draft.solved_count == 2

    actions.unlink_ticket(draft, ticket=first, actor=agent)
    draft.refresh_from_db()
    assert draft.solved_count == 1
    with pytest.raises(PermissionRefused):
        actions.link_ticket(draft, ticket=first, actor=requester, now=NOW)


def test_tickets_of_other_teams_are_neither_linked_nor_seeded(draft: Article, engineer: User, requester: User) -> None:
    ticket = _resolved(factories.make_ticket(requester, now=NOW))  # the service desk's ticket
    with pytest.raises(NotFound):
        actions.link_ticket(draft, ticket=ticket, actor=engineer, now=NOW)
    with pytest.raises(NotFound):
        actions.draft_from_ticket(ticket, actor=engineer, now=NOW)


def _resolved(ticket: Ticket) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.RESOLVED,
        closure_problem="Outlook asks for the password again and again",
        closure_diagnosis="Cached credentials were stale",
        closure_solution="Remove the credentials from the Windows credential manager",
        closure_recommendations="Tell users after a password change",
    )
    ticket.refresh_from_db()
    return ticket


def test_a_resolved_tickets_closure_summary_seeds_an_internal_draft(agent: User, requester: User) -> None:
    ticket = factories.make_ticket(requester, title="outlook password prompt", now=NOW)
    with pytest.raises(TransitionRefused):
        actions.draft_from_ticket(ticket, actor=agent, now=NOW)

    article = actions.draft_from_ticket(_resolved(ticket), actor=agent, now=NOW)

    assert (article.status, article.visibility, article.source_ticket) == (ArticleStatus.DRAFT, "internal", ticket)
    assert (article.title, article.solution) == (
        "outlook password prompt",
        "Remove the credentials from the Windows credential manager",
    )
    assert article.notes == "Tell users after a password change"


def test_categories_are_audited_configuration(kb_admin: User, agent: User, network: ArticleCategory) -> None:
    child = actions.create_category(actor=kb_admin, values={"code": "vpn", "name": "VPN", "parent": network}, now=NOW)
    with pytest.raises(PermissionRefused):
        actions.create_category(actor=agent, values={"code": "x", "name": "X"}, now=NOW)
    with pytest.raises(ValidationFailed):
        actions.update_category(network, actor=kb_admin, changes={"parent": child}, now=NOW)

    actions.update_category(child, actor=kb_admin, changes={"name": "VPN 远程"}, now=NOW)

    changes = ConfigChange.objects.filter(object_type="kb.articlecategory", object_id=str(child.pk))
    assert [(c.operation, c.after.get("name")) for c in changes.order_by("pk")] == [
        ("created", "VPN"),
        ("changed", "VPN 远程"),
    ]


class _RolledBack(Exception):
    pass


def _update_and_roll_back(article: Article, *, actor: User) -> None:
    with transaction.atomic():
        actions.update_article(article, actor=actor, changes={"title": "rolled back"}, now=NOW)
        raise _RolledBack


def test_the_change_hook_runs_after_commit_only(
    agent: User, kb_admin: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    heard: list[tuple[int, ArticleChange]] = []

    def follower(article_id: int, change: ArticleChange) -> None:
        heard.append((article_id, change))

    hooks.register_article_follower(follower)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            article = actions.create_article(actor=agent, values={"title": "t", "solution": "s"}, now=NOW)
            actions.submit_for_review(article, actor=agent, now=NOW)
            actions.approve_article(article, actor=kb_admin, now=NOW)
        assert heard == [(article.pk, ArticleChange.SAVED), (article.pk, ArticleChange.PUBLISHED)]

        heard.clear()
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(_RolledBack):
            _update_and_roll_back(article, actor=agent)
        assert callbacks == []
        assert heard == []
    finally:
        hooks.unregister_article_follower(follower)
