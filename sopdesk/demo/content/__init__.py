"""What the demo tickets say: problem scenarios and the stock phrases of a service desk.

Ticket content is data, not interface text, so none of it goes through gettext.
"""

from __future__ import annotations

from dataclasses import dataclass

from sopdesk.tickets.choices import Channel, Difficulty, Frequency, Impact, TicketType, Urgency


@dataclass(frozen=True)
class Scenario:
    """One kind of problem a requester reports, with how the desk diagnoses and solves it."""

    language: str  # "zh" or "en"
    titles: tuple[str, ...]
    description: str
    category: str  # Category.code seeded by the tickets migrations
    ticket_type: TicketType
    impacts: tuple[Impact, ...]
    urgencies: tuple[Urgency, ...]
    channels: tuple[Channel, ...]
    note: str  # the handler's internal note while diagnosing
    diagnosis: str
    solution: str
    recommendations: str = ""
    question: str = ""  # asked while waiting for the customer; a stock question when empty
    answer: str = ""
    error_message: str = ""
    attempted_measures: str = ""
    steps_to_reproduce: str = ""
    frequency: Frequency = Frequency.UNKNOWN
    business_module: str = ""
    device_model: str = ""
    software_version: str = ""
    operating_system: str = ""
    network_environment: str = ""
    difficulty: Difficulty = Difficulty.SIMPLE
    escalate_to: str = ""  # code of the team the service desk hands the ticket to
    audience: str = ""  # organisation key whose people report this ("" = anyone)
    tags: tuple[str, ...] = ()
    weight: float = 1.0  # how often it is picked relative to other scenarios

    @property
    def is_alert(self) -> bool:
        """Return True when monitoring raises this problem rather than a person."""
        return Channel.MONITORING in self.channels


@dataclass(frozen=True)
class Phrases:
    """The stock sentences of the desk and its requesters in one language."""

    acknowledgements: tuple[str, ...]
    alert_acknowledgement: str
    question: str
    answer: str
    proposal: str  # formatted with {solution}
    proposal_after_reopen: str  # formatted with {solution}
    alert_resolution: str  # formatted with {solution}
    confirmations: tuple[str, ...]
    waiting_reason: str
    reopen_reasons: tuple[str, ...]
    reopen_reply: str
    reopen_note: str
    close_confirmed: str
    close_quiet: str
    close_alert: str
    unassigned_notes: tuple[str, ...]
    escalation_note: str
    override_up: str
    override_down: str
    effect: str
    effect_after_reopen: str
