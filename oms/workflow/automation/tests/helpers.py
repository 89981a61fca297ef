from oms.workflow.automation.models import AutomationRule
from oms.workflow.automation.services import rule_save


def make_rule(*, actor=None, **fields) -> AutomationRule:
    fields.setdefault("name", "测试规则")
    fields.setdefault("trigger", "created")
    fields.setdefault("enabled", True)
    fields.setdefault("actions", [{"type": "notify", "params": {"message": "订单 {number}"}}])
    return rule_save(rule=AutomationRule(**fields), actor=actor)
