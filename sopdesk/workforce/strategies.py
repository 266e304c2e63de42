"""The assignment strategies: pure choices among qualifying candidates (no database)."""

from __future__ import annotations

from collections.abc import Sequence

from sopdesk.workforce.choices import Strategy
from sopdesk.workforce.qualification import Candidate


def round_robin(candidates: Sequence[Candidate], *, last_user_id: int | None) -> Candidate:
    """Return the first candidate after `last_user_id` in user-id order, wrapping around."""
    ordered = sorted(candidates, key=lambda candidate: candidate.user_id)
    if last_user_id is not None:
        for candidate in ordered:
            if candidate.user_id > last_user_id:
                return candidate
    return ordered[0]


def least_loaded(candidates: Sequence[Candidate]) -> Candidate:
    """Return the candidate with the least open work weighted by priority (then fewest tickets, then id)."""
    return min(candidates, key=lambda c: (c.weighted_load, c.open_count, c.user_id))


def best_skill(candidates: Sequence[Candidate]) -> Candidate:
    """Return the candidate with the highest skill level for the category; the least loaded among equals."""
    top = max(candidate.skill_level for candidate in candidates)
    return least_loaded([candidate for candidate in candidates if candidate.skill_level == top])


def pick(strategy: Strategy, candidates: Sequence[Candidate], *, last_user_id: int | None) -> Candidate:
    """Return the candidate `strategy` chooses among non-empty `candidates`."""
    if strategy == Strategy.ROUND_ROBIN:
        return round_robin(candidates, last_user_id=last_user_id)
    if strategy == Strategy.BEST_SKILL:
        return best_skill(candidates)
    return least_loaded(candidates)
