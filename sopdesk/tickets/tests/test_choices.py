"""The Django choices take their values and order from the one pure definition in lib.priority."""

from sopdesk.lib import priority
from sopdesk.tickets.choices import Impact, Priority, Urgency


def test_priorities_impacts_and_urgencies_are_the_pure_definitions_in_the_same_order() -> None:
    assert tuple(Priority.values) == priority.PRIORITIES
    assert tuple(Impact.values) == priority.IMPACTS
    assert tuple(Urgency.values) == priority.URGENCIES


def test_raising_a_priority_follows_the_choices_order() -> None:
    assert [priority.raise_priority(value, 1) for value in Priority.values] == ["P1", "P1", "P2", "P3"]
