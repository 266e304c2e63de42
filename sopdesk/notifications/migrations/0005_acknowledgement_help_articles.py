"""The acknowledgement links the help articles that best match the request (`help_articles`).

Only templates still holding the shipped text of 0004 change; a text an admin edited stays as it is.
"""

from django.db import migrations

SIGNATURE_EN = "\n\nYour request: {{ request_url }}\n\nThe service desk\n"
SIGNATURE_ZH = "\n\n查看您的请求：{{ request_url }}\n\n服务台\n"

# The acknowledgement as 0004 shipped it.
OLD = {
    "en": (
        "[{{ ticket_number }}] We received your request: {{ ticket_title }}",
        "Hello {{ recipient_name }},\n\nwe received your request “{{ ticket_title }}” and gave it the number "
        "{{ ticket_number }}.\n\nExpected first response: {{ first_response_due }}\n"
        "Expected resolution: {{ resolution_due }}"
        "{% if service_hours %}\n\nService hours:\n{{ service_hours }}{% endif %}"
        "{% if contact_ways %}\n\nOther ways to reach us:\n{{ contact_ways }}{% endif %}"
        "\n\nYou can follow your request and add information on the request page." + SIGNATURE_EN,
    ),
    "zh-hans": (
        "[{{ ticket_number }}] 我们已收到您的请求：{{ ticket_title }}",
        "{{ recipient_name }}，您好：\n\n我们已收到您的请求“{{ ticket_title }}”，编号为 {{ ticket_number }}。"
        "\n\n预计首次响应：{{ first_response_due }}\n预计解决：{{ resolution_due }}"
        "{% if service_hours %}\n\n服务时间：\n{{ service_hours }}{% endif %}"
        "{% if contact_ways %}\n\n其他联系方式：\n{{ contact_ways }}{% endif %}"
        "\n\n您可以在请求页面查看进展并补充信息。" + SIGNATURE_ZH,
    ),
}

NEW = {
    "en": (
        OLD["en"][0],
        OLD["en"][1].replace(
            "\n\nYou can follow your request",
            "{% if help_articles %}\n\nThese help articles may already solve it:\n\n{{ help_articles }}{% endif %}"
            "\n\nYou can follow your request",
        ),
    ),
    "zh-hans": (
        OLD["zh-hans"][0],
        OLD["zh-hans"][1].replace(
            "\n\n您可以在请求页面",
            "{% if help_articles %}\n\n以下帮助文章也许已能解决您的问题：\n\n{{ help_articles }}{% endif %}"
            "\n\n您可以在请求页面",
        ),
    ),
}


def _replace(apps, before, after):
    MailTemplate = apps.get_model("notifications", "MailTemplate")
    for language, (subject, body) in before.items():
        new_subject, new_body = after[language]
        MailTemplate.objects.filter(event="acknowledgement", language=language, subject=subject, body=body).update(
            subject=new_subject, body=new_body
        )


def link_help_articles(apps, schema_editor):
    _replace(apps, OLD, NEW)


def restore_shipped_text(apps, schema_editor):
    _replace(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_acknowledgement_states_expectations")]

    operations = [migrations.RunPython(link_help_articles, restore_shipped_text)]
