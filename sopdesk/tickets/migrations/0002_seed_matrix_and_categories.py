from django.db import migrations

# The published default rule (impact rows × urgency low, medium, high, critical).
MATRIX = {
    "single_user": ("P4", "P4", "P3", "P2"),
    "multiple_users": ("P4", "P3", "P2", "P1"),
    "department": ("P3", "P3", "P2", "P1"),
    "organization": ("P3", "P2", "P1", "P1"),
}
URGENCIES = ("low", "medium", "high", "critical")

CATEGORIES = [
    ("hardware", "硬件 Hardware", [("hardware-pc", "电脑 PC / laptop"), ("hardware-printer", "打印机 Printer"), ("hardware-server", "服务器 Server")]),
    ("software", "软件 Software", [("software-office", "办公软件 Office"), ("software-business", "业务系统 Business application")]),
    ("network", "网络 Network", [("network-wifi", "无线 Wi-Fi"), ("network-vpn", "VPN"), ("network-lan", "有线网络 LAN")]),
    ("system", "系统平台 System platform", []),
    ("cloud", "云服务 Cloud service", []),
    ("security", "安全 Security", []),
    ("account", "账号权限 Account and access", [("account-password", "密码重置 Password reset")]),
    ("other", "其他 Other", []),
]


def seed(apps, schema_editor):
    PriorityRule = apps.get_model("tickets", "PriorityRule")
    Category = apps.get_model("tickets", "Category")
    for impact, row in MATRIX.items():
        for urgency, priority in zip(URGENCIES, row):
            PriorityRule.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    for order, (code, name, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "sort_order": (order + 1) * 10})
        for child_order, (child_code, child_name) in enumerate(children):
            Category.objects.get_or_create(
                code=child_code, defaults={"name": child_name, "parent": parent, "sort_order": child_order + 1}
            )


def unseed(apps, schema_editor):
    apps.get_model("tickets", "PriorityRule").objects.all().delete()
    # Categories may be referenced by tickets; leave them (they are never deleted).


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
