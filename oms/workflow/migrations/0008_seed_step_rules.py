"""Seed issue 19's default automation rules, each one rule an administrator edits in the admin.

- 金额超过 ¥50,000 需财务总监审批 — **switched off**: the review rule `large_amount` (0002) already holds
  those orders for the finance director. Both on would gate the same order twice, so the rule is
  here ready to take over: switch it on and switch the review rule off (docs/workflow-automation.md).
- 需质检商品发货前质检 — on: an order with a product flagged `needs_qc` gets a quality check when its
  shipments are planned; its parcels are not packed or handed over until QC passed.
- 发货短信 — off: the shipping stage already tells the customer (`logistics.notifications`); switch it on
  to send the carrier and tracking number through the SMS gateway's approved template instead.
- 完成后满意度调查 — off until an SMS template for the survey link is approved at the gateway.
"""

from django.db import migrations

RULES = [
    ({"name": "金额超过 ¥50,000 需财务总监审批", "trigger": "created", "condition": "amount > 50000",
      "actions": [{"type": "require_approval", "params": {"role": "finance_director", "reason": "金额超过 ¥50,000"}}],
      "priority": 50, "enabled": False},
     "初始规则（已停用：审核规则“大额订单”已在把关，二者只启用其一）"),
    ({"name": "需质检商品发货前质检", "trigger": "shipment_planned", "condition": "needs_qc",
      "actions": [{"type": "require_qc", "params": {"reason": "订单含需质检商品"}}],
      "priority": 100, "enabled": True},
     "初始规则"),
    ({"name": "发货短信（承运商与运单号）", "trigger": "shipped", "condition": "",
      "actions": [{"type": "notify", "params": {
          "channel": "sms", "template_code": "SMS_ORDER_SHIPPED",
          "message": "您的订单 {number} 已由{carrier}发出，运单号 {tracking_number}。"}}],
      "priority": 100, "enabled": False},
     "初始规则（已停用：发货通知已由物流发送）"),
    ({"name": "完成后满意度调查", "trigger": "completed", "condition": "",
      "actions": [{"type": "start_survey", "params": {"channel": "sms"}}],
      "priority": 100, "enabled": False},
     "初始规则（已停用：待短信模板审核通过）"),
]


def seed(apps, schema_editor):
    AutomationRule = apps.get_model("workflow", "AutomationRule")
    RuleVersion = apps.get_model("workflow", "RuleVersion")
    for fields, note in RULES:
        if AutomationRule.objects.filter(name=fields["name"]).exists():
            continue
        snapshot = {**fields, "active_from": None, "active_to": None}
        rule = AutomationRule.objects.create(version=1, **snapshot)
        RuleVersion.objects.create(rule=rule, number=1, snapshot=snapshot, note=note)


def unseed(apps, schema_editor):
    names = [fields["name"] for fields, _note in RULES]
    apps.get_model("workflow", "AutomationRule").objects.filter(name__in=names, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("workflow", "0007_steps_survey_shipment_planned")]
    operations = [migrations.RunPython(seed, unseed)]
