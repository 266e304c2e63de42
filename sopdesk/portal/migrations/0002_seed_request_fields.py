"""Default second-step fields of "Ask for help" for the seeded top-level categories (editable in the admin).

Subcategories inherit their parent's fields until an admin gives them their own.
"""

from django.db import migrations

# (category code, [(standard field or "", label for extra fields, is required)])
DEFAULTS = {
    "hardware": [
        ("device_model", "", True),
        ("", "资产编号 Asset number", False),
        ("occurred_at", "", False),
        ("error_message", "", False),
        ("attempted_measures", "", False),
    ],
    "software": [
        ("software_version", "", True),
        ("operating_system", "", True),
        ("error_message", "", False),
        ("steps_to_reproduce", "", False),
        ("attempted_measures", "", False),
    ],
    "network": [
        ("network_environment", "", True),
        ("", "位置 Location (building, floor, room)", True),
        ("frequency", "", False),
        ("occurred_at", "", False),
        ("attempted_measures", "", False),
    ],
    "system": [("business_module", "", False), ("error_message", "", False), ("steps_to_reproduce", "", False)],
    "cloud": [("business_module", "", False), ("error_message", "", False), ("occurred_at", "", False)],
    "account": [("business_module", "", False), ("error_message", "", False)],
}


def seed(apps, schema_editor):
    Category = apps.get_model("tickets", "Category")
    CategoryRequestField = apps.get_model("portal", "CategoryRequestField")
    for code, fields in DEFAULTS.items():
        category = Category.objects.filter(code=code).first()
        if category is None or CategoryRequestField.objects.filter(category=category).exists():
            continue
        CategoryRequestField.objects.bulk_create(
            CategoryRequestField(
                category=category, standard_field=field, label=label, is_required=required, sort_order=(order + 1) * 10
            )
            for order, (field, label, required) in enumerate(fields)
        )


def unseed(apps, schema_editor):
    apps.get_model("portal", "CategoryRequestField").objects.filter(category__code__in=list(DEFAULTS)).delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_add_category_request_fields"), ("tickets", "0002_seed_matrix_and_categories")]
    operations = [migrations.RunPython(seed, unseed)]
