"""Deflection: an article opened from the request form's suggestions, then no request within the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.portal.deflection import DEFLECTION_WINDOW, deflected_visits, deflection_counts, settled_visits
from sopdesk.portal.models import DeflectionVisit
from sopdesk.portal.tests.conftest import HelpArticles
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db


def _open_from_request_form(user: User, article_id: int) -> None:
    client = Client()
    client.force_login(user)
    assert client.get(f"/portal/help/articles/{article_id}/?from=request-form").status_code == 200


def test_only_a_requesters_visit_from_the_request_form_is_recorded(
    help_articles: HelpArticles, requester: User, agent: User
) -> None:
    Client().get(f"/portal/help/articles/{help_articles.public.pk}/?from=request-form")  # a visitor
    plain = Client()
    plain.force_login(requester)
    plain.get(f"/portal/help/articles/{help_articles.public.pk}/")  # not from the form
    _open_from_request_form(requester, help_articles.public.pk)
    assert list(DeflectionVisit.objects.values_list("user", "article")) == [(requester.pk, help_articles.public.pk)]


def test_a_visit_not_followed_by_a_request_within_the_window_is_a_deflection(
    help_articles: HelpArticles, requester: User, outsider: User
) -> None:
    start = timezone.now()
    public, for_org_a = help_articles.public.pk, help_articles.for_org_a.pk
    with time_machine.travel(start, tick=False):
        _open_from_request_form(requester, public)  # gives up: a deflection
        _open_from_request_form(outsider, public)  # asks anyway 20 minutes later: no deflection
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        factories.make_ticket(outsider, title="VPN still drops")
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        _open_from_request_form(requester, for_org_a)  # still inside its window at the first count

    first_count = start + DEFLECTION_WINDOW + timedelta(minutes=1)
    assert deflection_counts(now=first_count) == {public: 1}
    assert sorted(settled_visits(now=first_count).values_list("user", "followed_by_request")) == sorted(
        [(requester.pk, False), (outsider.pk, True)]
    )
    later = start + timedelta(hours=2)
    assert deflection_counts(now=later) == {public: 1, for_org_a: 1}
    assert deflection_counts(now=later, article_ids=[for_org_a]) == {for_org_a: 1}
    assert deflection_counts(now=later, since=start + timedelta(minutes=10)) == {for_org_a: 1}


def test_a_request_before_the_visit_or_after_the_window_does_not_cancel_the_deflection(
    help_articles: HelpArticles, requester: User
) -> None:
    start = timezone.now()
    with time_machine.travel(start - timedelta(minutes=5), tick=False):
        factories.make_ticket(requester, title="An earlier request")
    with time_machine.travel(start, tick=False):
        _open_from_request_form(requester, help_articles.public.pk)
    with time_machine.travel(start + DEFLECTION_WINDOW + timedelta(seconds=1), tick=False):
        factories.make_ticket(requester, title="A later, different request")
    assert deflected_visits(now=start + timedelta(hours=1)).count() == 1


def test_the_admin_lists_the_visits_and_changes_none(help_articles: HelpArticles, requester: User) -> None:
    from sopdesk.accounts.choices import Role

    _open_from_request_form(requester, help_articles.public.pk)
    root = factories.make_user("root", role=Role.ADMIN)
    root.is_staff = root.is_superuser = True
    root.save()
    client = Client()
    client.force_login(root)
    listing = client.get("/admin/portal/deflectionvisit/", {"q": "requester"})
    assert listing.status_code == 200
    assert "VPN 断开 every 10 minutes" in listing.content.decode()
    visit = DeflectionVisit.objects.get()
    assert client.get("/admin/portal/deflectionvisit/add/").status_code == 403
    assert client.post(f"/admin/portal/deflectionvisit/{visit.pk}/delete/", {"post": "yes"}).status_code == 403
