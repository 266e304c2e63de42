from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.notifications.choices import DeliveryChannel


class ChatPlatform(models.TextChoices):
    """The group-robot platforms; each value is also the outbox channel its messages leave on."""

    WECOM = DeliveryChannel.WECOM.value, _("WeCom (企业微信)")
    DINGTALK = DeliveryChannel.DINGTALK.value, _("DingTalk (钉钉)")
    FEISHU = DeliveryChannel.FEISHU.value, _("Feishu (飞书)")


class IntegrationEvent(models.TextChoices):
    """What a robot or webhook can be told about."""

    TICKET_CREATED = "ticket_created", _("New ticket")
    TICKET_ASSIGNED = "ticket_assigned", _("Ticket assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    MAJOR_INCIDENT = "major_incident", _("P1 or major incident")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
