from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "sopdesk.workforce"
    label = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        # Automatic assignment follows tickets into teams; certification guards manual assignment.
        from sopdesk.core.config_cache import watch
        from sopdesk.tickets.assignment_checks import register_assignment_check
        from sopdesk.tickets.events import register_event_kinds
        from sopdesk.tickets.observers import register_observer, register_team_observer
        from sopdesk.workforce.choices import WorkforceEventKind
        from sopdesk.workforce.follow import AssignmentFollower
        from sopdesk.workforce.models import TeamAssignment
        from sopdesk.workforce.qualification import certification_refusal

        follower = AssignmentFollower()
        register_observer(follower)
        register_team_observer(follower)
        register_assignment_check(certification_refusal)
        register_event_kinds(WorkforceEventKind)
        watch(TeamAssignment)
