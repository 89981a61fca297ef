"""The default after-sales rules: one default policy and the usual reasons. Administrators edit them."""

from django.db import migrations

REASONS = [
    # code, name, seller's fault, position
    ("no_reason", "七天无理由", False, 10),
    ("wrong_size", "尺码/规格不合适", False, 20),
    ("changed_mind", "不想要了", False, 30),
    ("quality", "商品质量问题", True, 40),
    ("damaged_in_transit", "收到时已破损", True, 50),
    ("wrong_item_sent", "商家发错货", True, 60),
    ("not_as_described", "与商品描述不符", True, 70),
    ("missing_parts", "少件/漏发", True, 80),
    ("not_received", "未收到货", True, 90),
    ("other", "其他", False, 100),
]


def seed(apps, schema_editor):
    ReturnReason = apps.get_model("aftersales", "ReturnReason")
    ReturnPolicy = apps.get_model("aftersales", "ReturnPolicy")
    for code, name, seller_fault, position in REASONS:
        ReturnReason.objects.get_or_create(code=code, defaults={"name": name, "seller_fault": seller_fault,
                                                                "position": position})
    if not ReturnPolicy.objects.filter(channel__isnull=True).exists():
        ReturnPolicy.objects.create()


class Migration(migrations.Migration):
    dependencies = [("aftersales", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
