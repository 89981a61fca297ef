from django.db import migrations

RULES = [
    ("customer_incomplete", "客户信息完整", {}, 10),
    ("invalid_phone", "手机号有效", {}, 20),
    ("invalid_address", "收货地址有效", {"min_detail_length": 4, "blocked_keywords": ["测试", "test"]}, 30),
    ("large_amount", "大额订单", {"threshold": "50000.00"}, 40),
    ("duplicate_suspected", "疑似重复订单", {"window_hours": 24}, 50),
    ("payment_mismatch", "付款金额一致", {}, 60),
]


def seed(apps, schema_editor):
    ReviewRule = apps.get_model("workflow", "ReviewRule")
    for code, name, params, position in RULES:
        ReviewRule.objects.get_or_create(code=code, defaults={"name": name, "params": params, "position": position})
    # Large amounts need the finance director, as the retailer's policy says.
    ReviewRule.objects.filter(code="large_amount", approval_role="").update(approval_role="finance_director")


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
