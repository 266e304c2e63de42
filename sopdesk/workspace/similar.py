"""Similar past tickets by the words of the title: a bounded, index-friendly stand-in until search exists.

Candidates are the newest resolved or closed tickets of the same category that the viewer may
see (at most CANDIDATES rows, read newest first through an index), scored in Python by shared
words: Latin words of three or more letters and overlapping two-character pieces of Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

CANDIDATES = 2_000
SHOWN = 5
_LATIN = re.compile(r"[a-z0-9]{3,}")
_CJK = re.compile(r"[\u3400-\u9fff]+")
# Words that say nothing about the problem.
_STOP = frozenset({"the", "and", "for", "not", "with", "does", "cannot", "after", "from"})
_CJK_STOP = ("无法", "不能", "一直", "总是")


def words_of(text: str) -> frozenset[str]:
    """Return the comparable pieces of `text`: lower-case Latin words and Chinese two-character pieces."""
    lowered = text.lower()
    for phrase in _CJK_STOP:
        lowered = lowered.replace(phrase, " ")
    pieces = set(_LATIN.findall(lowered))
    for run in _CJK.findall(lowered):
        pieces.update(run[index : index + 2] for index in range(max(len(run) - 1, 1)))
    return frozenset(piece for piece in pieces if piece not in _STOP)


@dataclass(frozen=True)
class Similar:
    number: str
    title: str
    status: str
    score: int


def rank(title: str, candidates: Iterable[tuple[str, str, str]], *, shown: int = SHOWN) -> list[Similar]:
    """Return the `shown` candidates (number, title, status) sharing most pieces with `title`."""
    wanted = words_of(title)
    if not wanted:
        return []
    scored = []
    for number, other_title, status in candidates:
        score = len(wanted & words_of(other_title))
        if score:
            scored.append(Similar(number=number, title=other_title, status=status, score=score))
    scored.sort(key=lambda item: -item.score)  # stable: newest first among equals
    return scored[:shown]


def similar_tickets(ticket: Ticket, visible: QuerySet[Ticket]) -> list[Similar]:
    """Return past tickets like `ticket` among `visible` (the viewer's tickets)."""
    candidates = visible.filter(status__in=(Status.RESOLVED, Status.CLOSED)).exclude(pk=ticket.pk)
    if ticket.category_id is not None:
        candidates = candidates.filter(category_id=ticket.category_id)
    rows = candidates.order_by("-created_at", "-id").values_list("number", "title", "status")[:CANDIDATES]
    return rank(ticket.title, rows)
