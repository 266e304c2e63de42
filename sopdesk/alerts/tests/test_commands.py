"""The alert_source command: create a source and rotate its token from the shell, token on stdout only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sopdesk.accounts.models import Team, hash_token
from sopdesk.alerts.models import AlertSource
from sopdesk.audit.models import ConfigChange

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("alert_source", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_create_prints_the_token_once_and_rotate_replaces_it(second_line: Team) -> None:
    token, message = run("create", "Zabbix prod", "--kind", "zabbix", "--team", "second-line", "--auto-resolve")
    source = AlertSource.objects.get()
    assert source.token_hash == hash_token(token)
    assert (source.kind, source.team, source.auto_resolve) == ("zabbix", second_line, True)
    assert token not in message

    new_token, _message = run("rotate-token", "Zabbix prod")
    source.refresh_from_db()
    assert new_token != token
    assert source.token_hash == hash_token(new_token)
    changes = ConfigChange.objects.filter(object_type="alerts.alertsource")
    assert changes.count() == 2
    assert all(change.actor is None for change in changes)


def test_unknown_teams_sources_and_taken_names_are_readable_errors(service_desk: Team) -> None:
    with pytest.raises(CommandError, match="No team"):
        run("create", "x", "--kind", "generic", "--team", "nope")
    with pytest.raises(CommandError, match="No alert source"):
        run("rotate-token", "nope")
    run("create", "x", "--kind", "generic")
    with pytest.raises(CommandError, match="exists"):
        run("create", "x", "--kind", "generic")
