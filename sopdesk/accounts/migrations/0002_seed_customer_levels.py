from django.db import migrations

LEVELS = [("vip", "VIP", 1, 10), ("standard", "Standard", 0, 20)]


def seed(apps, schema_editor):
    CustomerLevel = apps.get_model("accounts", "CustomerLevel")
    for code, name, boost, rank in LEVELS:
        CustomerLevel.objects.get_or_create(code=code, defaults={"name": name, "priority_boost": boost, "rank": rank})


def unseed(apps, schema_editor):
    CustomerLevel = apps.get_model("accounts", "CustomerLevel")
    CustomerLevel.objects.filter(code__in=[code for code, *_ in LEVELS], organizations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
