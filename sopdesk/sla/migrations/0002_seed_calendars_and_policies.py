import datetime

from django.db import migrations

# Office hours of the default calendar: Monday to Friday, 09:00–12:00 and 13:30–18:00 (7.5 h a day).
OFFICE_HOURS = [(datetime.time(9, 0), datetime.time(12, 0)), (datetime.time(13, 30), datetime.time(18, 0))]
WORKING_DAY_MINUTES = 450
# Years whose official China schedule (holidays and 调休 working weekends) the bundled data has.
SEEDED_YEARS = (2025, 2026)

# MISSION §4 defaults: (priority, calendar, assignment, first response, resolution, update interval) in minutes.
POLICIES = [
    ("P1", "24x7", 5, 15, 120, 30),
    ("P2", "office", 15, 30, 240, None),
    ("P3", "office", 15, 240, WORKING_DAY_MINUTES, None),
    ("P4", "office", 30, 480, 3 * WORKING_DAY_MINUTES, None),
]
POLICY_NAMES = {
    "P1": "P1 紧急 Urgent (24×7)",
    "P2": "P2 高 High",
    "P3": "P3 中 Medium",
    "P4": "P4 低 Low",
}
# (priority, metric, offset minutes relative to the due instant): who is told, before or after.
RULES = [
    ("P1", "first_response", 0),
    ("P1", "resolution", -30),
    # "A P2 ticket not responded to within 2 h escalates": due at 30 min, so 90 min after it.
    ("P2", "first_response", 90),
    ("P2", "resolution", 0),
]


def china_dates(year):
    import holidays

    official = holidays.China(years=year, language="zh_CN")
    for day, name in sorted(official.items()):
        yield day, "holiday", name
    for day in sorted(official.weekend_workdays):
        if day.year == year:
            yield day, "working_day", "调休上班"


def seed(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    WorkingInterval = apps.get_model("sla", "WorkingInterval")
    CalendarDate = apps.get_model("sla", "CalendarDate")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    EscalationRule = apps.get_model("sla", "EscalationRule")

    always, _ = Calendar.objects.get_or_create(
        code="24x7", defaults={"name": "7×24 全天候 Around the clock", "time_zone": "Asia/Shanghai", "is_24x7": True}
    )
    office, created = Calendar.objects.get_or_create(
        code="office", defaults={"name": "工作时间 Office hours (China)", "time_zone": "Asia/Shanghai"}
    )
    if created:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=office, weekday=weekday, starts_at=start, ends_at=end)
            for weekday in range(5)
            for start, end in OFFICE_HOURS
        )
        CalendarDate.objects.bulk_create(
            CalendarDate(calendar=office, date=day, kind=kind, name=name, works_like=0)
            for year in SEEDED_YEARS
            for day, kind, name in china_dates(year)
        )
    calendars = {"24x7": always, "office": office}
    if SlaPolicy.objects.exists():
        return
    for order, (priority, calendar, assignment, response, resolution, update) in enumerate(POLICIES, start=1):
        policy = SlaPolicy.objects.create(
            name=POLICY_NAMES[priority],
            order=order * 10,
            priority=priority,
            calendar=calendars[calendar],
            assignment_minutes=assignment,
            first_response_minutes=response,
            resolution_minutes=resolution,
            update_interval_minutes=update,
        )
        for rule_priority, metric, offset in RULES:
            if rule_priority == priority:
                EscalationRule.objects.create(policy=policy, metric=metric, offset_minutes=offset, notify_team_lead=True)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    # Reversing keeps the rows: ticket clocks may refer to these calendars and policies.
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
