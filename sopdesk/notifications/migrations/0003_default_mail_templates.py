"""The shipped texts of the requester mails, in English and Simplified Chinese (admins edit them later)."""

from django.db import migrations

SIGNATURE_EN = "\n\nYour request: {{ request_url }}\n\nThe service desk\n"
SIGNATURE_ZH = "\n\n查看您的请求：{{ request_url }}\n\n服务台\n"

DEFAULTS = {
    ("acknowledgement", "en"): (
        "[{{ ticket_number }}] We received your request: {{ ticket_title }}",
        "Hello {{ recipient_name }},\n\nwe received your request “{{ ticket_title }}” and gave it the number "
        "{{ ticket_number }}. We will answer as soon as possible; you can follow it and add information "
        "on the request page." + SIGNATURE_EN,
    ),
    ("acknowledgement", "zh-hans"): (
        "[{{ ticket_number }}] 我们已收到您的请求：{{ ticket_title }}",
        "{{ recipient_name }}，您好：\n\n我们已收到您的请求“{{ ticket_title }}”，编号为 {{ ticket_number }}。"
        "我们会尽快答复；您可以在请求页面查看进展并补充信息。" + SIGNATURE_ZH,
    ),
    ("public_reply", "en"): (
        "[{{ ticket_number }}] New reply: {{ ticket_title }}",
        "Hello {{ recipient_name }},\n\nthe support team replied to your request:\n\n{{ message }}" + SIGNATURE_EN,
    ),
    ("public_reply", "zh-hans"): (
        "[{{ ticket_number }}] 新的回复：{{ ticket_title }}",
        "{{ recipient_name }}，您好：\n\n支持团队回复了您的请求：\n\n{{ message }}" + SIGNATURE_ZH,
    ),
    ("information_requested", "en"): (
        "[{{ ticket_number }}] We need information from you: {{ ticket_title }}",
        "Hello {{ recipient_name }},\n\nto go on with your request we need an answer from you."
        "{% if message %}\n\n{{ message }}{% endif %}\n\nPlease reply on the request page; until then the "
        "request waits for you." + SIGNATURE_EN,
    ),
    ("information_requested", "zh-hans"): (
        "[{{ ticket_number }}] 需要您补充信息：{{ ticket_title }}",
        "{{ recipient_name }}，您好：\n\n为继续处理您的请求，我们需要您的答复。"
        "{% if message %}\n\n{{ message }}{% endif %}\n\n请在请求页面回复；在此之前请求将等待您的答复。" + SIGNATURE_ZH,
    ),
    ("resolved", "en"): (
        "[{{ ticket_number }}] Solved, please confirm: {{ ticket_title }}",
        "Hello {{ recipient_name }},\n\nwe believe your request is solved.{% if solution %}\n\nSolution: "
        "{{ solution }}{% endif %}\n\nPlease confirm on the request page, or tell us why it is not solved. "
        "Without an answer the request closes after {{ working_days }} working days." + SIGNATURE_EN,
    ),
    ("resolved", "zh-hans"): (
        "[{{ ticket_number }}] 已解决，请确认：{{ ticket_title }}",
        "{{ recipient_name }}，您好：\n\n我们认为您的请求已经解决。{% if solution %}\n\n解决方案：{{ solution }}{% endif %}"
        "\n\n请在请求页面确认，或告诉我们尚未解决的原因。若无答复，请求将在 {{ working_days }} 个工作日后自动关闭。"
        + SIGNATURE_ZH,
    ),
    ("autoclose_reminder", "en"): (
        "[{{ ticket_number }}] Reminder: your request closes on {{ close_date }}",
        "Hello {{ recipient_name }},\n\nyour request “{{ ticket_title }}” was solved and is waiting for your "
        "confirmation. Without an answer it closes automatically on {{ close_date }}. If it is not solved, "
        "tell us on the request page." + SIGNATURE_EN,
    ),
    ("autoclose_reminder", "zh-hans"): (
        "[{{ ticket_number }}] 提醒：您的请求将于 {{ close_date }} 关闭",
        "{{ recipient_name }}，您好：\n\n您的请求“{{ ticket_title }}”已解决，正在等待您的确认。若无答复，"
        "请求将于 {{ close_date }} 自动关闭。如果问题仍未解决，请在请求页面告诉我们。" + SIGNATURE_ZH,
    ),
    ("auto_closed", "en"): (
        "[{{ ticket_number }}] Closed automatically: {{ ticket_title }}",
        "Hello {{ recipient_name }},\n\nwe heard nothing from you for {{ working_days }} working days, so your "
        "request “{{ ticket_title }}” is now closed. If the problem comes back, you can reopen it from the "
        "request page for a few days." + SIGNATURE_EN,
    ),
    ("auto_closed", "zh-hans"): (
        "[{{ ticket_number }}] 已自动关闭：{{ ticket_title }}",
        "{{ recipient_name }}，您好：\n\n{{ working_days }} 个工作日内未收到您的答复，您的请求“{{ ticket_title }}”"
        "现已关闭。如果问题再次出现，您可以在几天内从请求页面重新打开它。" + SIGNATURE_ZH,
    ),
}


def add_defaults(apps, schema_editor):
    MailTemplate = apps.get_model("notifications", "MailTemplate")
    existing = set(MailTemplate.objects.values_list("event", "language"))
    MailTemplate.objects.bulk_create(
        [
            MailTemplate(event=event, language=language, subject=subject, body=body)
            for (event, language), (subject, body) in DEFAULTS.items()
            if (event, language) not in existing
        ]
    )


def remove_defaults(apps, schema_editor):
    MailTemplate = apps.get_model("notifications", "MailTemplate")
    for (event, language), (subject, body) in DEFAULTS.items():
        MailTemplate.objects.filter(event=event, language=language, subject=subject, body=body).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_add_mail_templates")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
