"""Seed one automation rule, switched off: Douyin orders to 新疆 over ¥2,000 need a manager's approval.

Not "orders over ¥50,000 need the finance director": the review rule `large_amount` (0002) already
does exactly that, and a second rule would hold the same orders twice.
"""

from django.db import migrations

NAME = "抖音新疆 2000 元以上订单需经理审批"
SNAPSHOT = {
    "name": NAME,
    "trigger": "created",
    "condition": 'channel == "douyin" and province =~ "^新疆" and amount > 2000',
    "actions": [{"type": "require_approval", "params": {"role": "manager", "reason": "抖音新疆大额订单"}}],
    "priority": 100,
    "active_from": None,
    "active_to": None,
    "enabled": False,
}


def seed(apps, schema_editor):
    AutomationRule = apps.get_model("workflow", "AutomationRule")
    RuleVersion = apps.get_model("workflow", "RuleVersion")
    if AutomationRule.objects.filter(name=NAME).exists():
        return
    rule = AutomationRule.objects.create(version=1, **SNAPSHOT)
    RuleVersion.objects.create(rule=rule, number=1, snapshot=SNAPSHOT, note="初始规则（已停用）")


def unseed(apps, schema_editor):
    apps.get_model("workflow", "AutomationRule").objects.filter(name=NAME, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("workflow", "0005_automation_rules")]
    operations = [migrations.RunPython(seed, unseed)]
