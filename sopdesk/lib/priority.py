"""Priority from impact × urgency plus a customer-level boost (MISSION §2). Pure logic."""

from __future__ import annotations

from collections.abc import Mapping

# The one definition of the priority, impact and urgency values and their order; the Django
# choices in sopdesk.tickets.choices take their values from here (labels are added there).
PRIORITIES = P1, P2, P3, P4 = ("P1", "P2", "P3", "P4")  # most urgent first
IMPACTS = SINGLE_USER, MULTIPLE_USERS, DEPARTMENT, ORGANIZATION = (
    "single_user",
    "multiple_users",
    "department",
    "organization",
)
URGENCIES = LOW, MEDIUM, HIGH, CRITICAL = ("low", "medium", "high", "critical")

# The published default rule: rows are impact, columns urgency (low, medium, high, critical).
DEFAULT_MATRIX: Mapping[tuple[str, str], str] = {
    (impact, urgency): priority
    for impact, row in {
        "single_user": ("P4", "P4", "P3", "P2"),
        "multiple_users": ("P4", "P3", "P2", "P1"),
        "department": ("P3", "P3", "P2", "P1"),
        "organization": ("P3", "P2", "P1", "P1"),
    }.items()
    for urgency, priority in zip(URGENCIES, row, strict=True)
}


def raise_priority(priority: str, steps: int) -> str:
    """Return `priority` raised by `steps` levels, never above P1 nor below P4."""
    index = PRIORITIES.index(priority) - steps
    return PRIORITIES[min(max(index, 0), len(PRIORITIES) - 1)]


def compute_priority(
    *,
    impact: str,
    urgency: str,
    boost: int = 0,
    matrix: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """Return the priority for `impact` and `urgency`, raised by `boost` steps.

    Cells missing from `matrix` (the admin-edited rule) fall back to DEFAULT_MATRIX.
    """
    if impact not in IMPACTS:
        raise ValueError(f"unknown impact {impact!r}")
    if urgency not in URGENCIES:
        raise ValueError(f"unknown urgency {urgency!r}")
    base = (matrix or {}).get((impact, urgency)) or DEFAULT_MATRIX[(impact, urgency)]
    return raise_priority(base, max(boost, 0))
