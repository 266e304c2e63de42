"""Reading the alert payloads of each source kind into one shape, refusing malformed input with field messages.

Formats:
- Prometheus Alertmanager webhook, version 4: `alerts[]` with `status` (firing | resolved),
  `labels`, `annotations`, `startsAt`, `endsAt` (Go's zero time when unset) and `fingerprint`.
- Zabbix: one event as the webhook media type script sends it (docs/alerts.md): `event_id`,
  `status` (PROBLEM | RESOLVED, or `value` 1 | 0), `severity`, `host`, `trigger_name`.
- Generic: one alert object or `{"alerts": [...]}` with `id`, `status`, `title`, `severity`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from sopdesk.alerts.choices import AlertStatus, SourceKind
from sopdesk.core.validation import ValidationFailed
from sopdesk.lib.text import has_forbidden_characters, has_forbidden_name_characters
from sopdesk.tickets.models import TEXT_MAX_LENGTH

MAX_ALERTS_PER_PAYLOAD = 200
MAX_LABELS = 64
LABEL_KEY_MAX_LENGTH = 100
LABEL_VALUE_MAX_LENGTH = 2000
# Annotations hold prose (descriptions, runbooks): longer than labels, bounded by the ticket text.
ANNOTATION_MAX_LENGTH = TEXT_MAX_LENGTH
NAME_MAX_LENGTH = 200
FINGERPRINT_MAX_LENGTH = 200
SEVERITY_MAX_LENGTH = 50
# Go's zero time: Alertmanager's `endsAt` of an alert that has not ended.
_GO_ZERO_YEAR = 1
_FRACTION = re.compile(r"(\.\d{6})\d+")


@dataclass(frozen=True)
class ReceivedAlert:
    """One alert as every source kind is read: what the incident ticket and the Alert row need."""

    fingerprint: str
    status: AlertStatus
    name: str
    severity: str
    starts_at: datetime | None
    ends_at: datetime | None = None
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


class _Errors:
    """Collect field errors (paths such as `alerts.0.labels`) and raise them together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def _one_line(errors: _Errors, path: str, value: Any, *, max_length: int, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        errors.add(path, _("Must be a string."))
        return ""
    text = str(value).strip()
    if required and not text:
        errors.add(path, _("This field is required."))
    elif len(text) > max_length:
        errors.add(path, _("Must be at most %(max)d characters.") % {"max": max_length})
    elif has_forbidden_name_characters(text):
        errors.add(path, _("Must be one line without control, invisible or direction-changing characters."))
    return text


def _text(errors: _Errors, path: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(path, _("Must be a string."))
        return ""
    text = value.strip()
    if len(text) > TEXT_MAX_LENGTH:
        errors.add(path, _("Must be at most %(max)d characters.") % {"max": TEXT_MAX_LENGTH})
    elif has_forbidden_characters(text):
        errors.add(path, _("Must not contain control characters."))
    return text


def _string_map(
    errors: _Errors, path: str, value: Any, *, value_max_length: int = LABEL_VALUE_MAX_LENGTH
) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors.add(path, _("Must be an object of strings."))
        return {}
    if len(value) > MAX_LABELS:
        errors.add(path, _("At most %(count)d entries.") % {"count": MAX_LABELS})
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        if (
            not isinstance(item, str)
            or len(key) > LABEL_KEY_MAX_LENGTH
            or len(item) > value_max_length
            or has_forbidden_name_characters(key)
            or has_forbidden_characters(item)
        ):
            errors.add(
                path,
                _("Keys up to %(key)d characters, string values up to %(value)d, no control characters.")
                % {"key": LABEL_KEY_MAX_LENGTH, "value": value_max_length},
            )
            return {}
        result[key] = item
    return result


def _instant(errors: _Errors, path: str, value: Any, *, required: bool) -> datetime | None:
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str):
        errors.add(path, _("Must be an ISO 8601 date and time with a time zone."))
        return None
    try:
        # Go writes nanoseconds; Python reads at most microseconds.
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    except ValueError:
        errors.add(path, _("Must be an ISO 8601 date and time with a time zone."))
        return None
    if parsed.year == _GO_ZERO_YEAR and not required:
        return None
    if parsed.tzinfo is None:
        errors.add(path, _("Must be an ISO 8601 date and time with a time zone."))
        return None
    if not 1970 <= parsed.astimezone(UTC).year <= 9998:
        errors.add(path, _("Must be between the years 1970 and 9998."))
        return None
    return parsed.astimezone(UTC)


def _status(errors: _Errors, path: str, value: Any, *, words: Mapping[str, AlertStatus]) -> AlertStatus:
    key = str(value).strip().lower() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    status = words.get(key)
    if status is None:
        errors.add(path, _("Must be one of: %(values)s.") % {"values": ", ".join(sorted(words))})
        return AlertStatus.FIRING
    return status


def labels_fingerprint(labels: Mapping[str, str]) -> str:
    """Return a stable fingerprint of `labels` (for senders that give none)."""
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False, separators=(",", ":"))
    return "labels:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _title_from_summary(summary: str) -> str:
    """Return the first line of a templated summary as a title, or "" when it cannot be one.

    Alertmanager retries a refused notification for ever: a multi-line or over-long summary is
    shortened rather than refused, and one with invisible or control characters gives way to the
    alert's name.
    """
    first = next((line.strip() for line in summary.splitlines() if line.strip()), "")
    first = " ".join(first.split())[:NAME_MAX_LENGTH]
    return "" if has_forbidden_name_characters(first) else first


def _alert_list(errors: _Errors, data: Any) -> list[Any]:
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        errors.add("alerts", _("Must be a list of alerts."))
        return []
    if not alerts:
        errors.add("alerts", _("Send at least one alert."))
    elif len(alerts) > MAX_ALERTS_PER_PAYLOAD:
        errors.add("alerts", _("At most %(count)d alerts per request.") % {"count": MAX_ALERTS_PER_PAYLOAD})
        return []
    return alerts


_ALERTMANAGER_STATUS = {"firing": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED}


def _alertmanager(errors: _Errors, data: Mapping[str, Any]) -> list[ReceivedAlert]:
    version = data.get("version")
    if version is not None and str(version) != "4":
        errors.add("version", _("Only version 4 of the Alertmanager webhook payload is understood."))
    result = []
    for index, item in enumerate(_alert_list(errors, data)):
        path = f"alerts.{index}"
        if not isinstance(item, Mapping):
            errors.add(path, _("Must be an object."))
            continue
        labels = _string_map(errors, f"{path}.labels", item.get("labels"))
        annotations = _string_map(
            errors, f"{path}.annotations", item.get("annotations"), value_max_length=ANNOTATION_MAX_LENGTH
        )
        if not labels.get("alertname", "").strip():
            errors.add(f"{path}.labels", _("The label alertname is required."))
        fingerprint = _one_line(
            errors, f"{path}.fingerprint", item.get("fingerprint"), max_length=FINGERPRINT_MAX_LENGTH, required=False
        )
        name = labels.get("alertname", "").strip()
        title = _title_from_summary(annotations.get("summary", "")) or name
        result.append(
            ReceivedAlert(
                fingerprint=fingerprint or labels_fingerprint(labels),
                status=_status(errors, f"{path}.status", item.get("status"), words=_ALERTMANAGER_STATUS),
                # A summary that cannot be a title gave way to the alert's name: any error is the name's.
                name=_one_line(errors, f"{path}.labels", title, max_length=NAME_MAX_LENGTH, required=True),
                severity=labels.get("severity", "")[:SEVERITY_MAX_LENGTH],
                starts_at=_instant(errors, f"{path}.startsAt", item.get("startsAt"), required=True),
                ends_at=_instant(errors, f"{path}.endsAt", item.get("endsAt"), required=False),
                description=_text(errors, f"{path}.annotations", annotations.get("description")),
                labels=labels,
                annotations=annotations,
            )
        )
    return result


_ZABBIX_STATUS = {
    "problem": AlertStatus.FIRING,
    "1": AlertStatus.FIRING,
    "resolved": AlertStatus.RESOLVED,
    "ok": AlertStatus.RESOLVED,
    "0": AlertStatus.RESOLVED,
}


def _zabbix(errors: _Errors, data: Mapping[str, Any]) -> list[ReceivedAlert]:
    event_id = _one_line(errors, "event_id", data.get("event_id"), max_length=100, required=True)
    status_value = data.get("status", data.get("value"))
    status = _status(errors, "status", status_value, words=_ZABBIX_STATUS)
    host = _one_line(errors, "host", data.get("host"), max_length=NAME_MAX_LENGTH, required=True)
    trigger = _one_line(errors, "trigger_name", data.get("trigger_name"), max_length=NAME_MAX_LENGTH, required=True)
    severity = _one_line(errors, "severity", data.get("severity"), max_length=SEVERITY_MAX_LENGTH, required=False)
    name = f"{host}: {trigger}"[:NAME_MAX_LENGTH]
    labels = {"host": host, "trigger_name": trigger, "severity": severity}
    for key in ("trigger_id", "event_url"):
        if data.get(key) is not None:
            labels[key] = _one_line(errors, key, data.get(key), max_length=LABEL_VALUE_MAX_LENGTH, required=False)
    return [
        ReceivedAlert(
            fingerprint=f"zabbix:{event_id}",
            status=status,
            name=name,
            severity=severity,
            starts_at=_instant(errors, "event_time", data.get("event_time"), required=False),
            ends_at=_instant(errors, "recovery_time", data.get("recovery_time"), required=False),
            description=_text(errors, "message", data.get("message")),
            labels=labels,
        )
    ]


_GENERIC_STATUS = {
    "firing": AlertStatus.FIRING,
    "problem": AlertStatus.FIRING,
    "resolved": AlertStatus.RESOLVED,
    "ok": AlertStatus.RESOLVED,
}


def _generic(errors: _Errors, data: Mapping[str, Any]) -> list[ReceivedAlert]:
    items = _alert_list(errors, data) if "alerts" in data else [data]
    prefix = "alerts." if "alerts" in data else ""
    result = []
    for index, item in enumerate(items):
        path = f"{prefix}{index}." if prefix else ""
        if not isinstance(item, Mapping):
            errors.add(path.rstrip(".") or "body", _("Must be an object."))
            continue
        labels = _string_map(errors, f"{path}labels", item.get("labels"))
        result.append(
            ReceivedAlert(
                fingerprint=_one_line(
                    errors, f"{path}id", item.get("id"), max_length=FINGERPRINT_MAX_LENGTH, required=True
                ),
                status=_status(errors, f"{path}status", item.get("status"), words=_GENERIC_STATUS),
                name=_one_line(errors, f"{path}title", item.get("title"), max_length=NAME_MAX_LENGTH, required=True),
                severity=_one_line(
                    errors, f"{path}severity", item.get("severity"), max_length=SEVERITY_MAX_LENGTH, required=False
                ),
                starts_at=_instant(errors, f"{path}started_at", item.get("started_at"), required=False),
                ends_at=_instant(errors, f"{path}ended_at", item.get("ended_at"), required=False),
                description=_text(errors, f"{path}description", item.get("description")),
                labels=labels,
            )
        )
    return result


_READERS = {SourceKind.ALERTMANAGER: _alertmanager, SourceKind.ZABBIX: _zabbix, SourceKind.GENERIC: _generic}


def read_payload(kind: str, data: Any) -> list[ReceivedAlert]:
    """Return the alerts of a decoded JSON payload of source `kind`; raise ValidationFailed naming every field."""
    errors = _Errors()
    if not isinstance(data, Mapping):
        errors.add("body", _("The body must be a JSON object."))
        errors.check()
    alerts = _READERS[SourceKind(kind)](errors, data)
    fingerprints = [alert.fingerprint for alert in alerts]
    if len(set(fingerprints)) != len(fingerprints):
        errors.add("alerts", _("An alert is listed twice in one request."))
    errors.check()
    return alerts
