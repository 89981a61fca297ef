"""A rule's versions as a diff with a restore button; the firing's link to its version; the process map."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from core.actors import SYSTEM
from oms.workflow.automation.models import AutomationRule, RuleFiring
from oms.workflow.automation.process_map import process_map
from oms.workflow.automation.services import rule_save
from oms.workflow.automation.tests.helpers import make_rule
from oms.workflow.automation.versions import diff_actions, diff_condition, diff_snapshots, rule_version_diffs
from oms.workflow.services import submit_order
from orders.models import OrderStatus
from orders.tests.factories import order_input

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

APPROVE = {"type": "require_approval", "params": {"role": "manager"}}
NOTIFY = {"type": "notify", "params": {"message": "订单 {number}"}}
HOLD = {"type": "hold", "params": {"reason": "核对"}}


def test_condition_diff_marks_what_was_removed_and_inserted():
    segments = diff_condition('amount > 2000 and channel == "douyin"', 'amount > 5000 and channel == "douyin"')
    assert ("delete", "2") in segments and ("insert", "5") in segments
    assert "".join(t for op, t in segments if op != "insert") == 'amount > 2000 and channel == "douyin"'
    assert "".join(t for op, t in segments if op != "delete") == 'amount > 5000 and channel == "douyin"'


def test_actions_diff_added_removed_changed_and_moved():
    with translation.override("zh-hans"):
        changes = diff_actions([APPROVE, NOTIFY], [{"type": "require_approval", "params": {"role": "finance"}},
                                                  NOTIFY, HOLD])
        assert [(c.change, c.position) for c in changes] == [("changed", 1), ("added", 3)]
        assert changes[0].details == ["role：manager → finance"]
        assert changes[1].label == "挂起（reason=核对）"
        assert [(c.change, c.position) for c in diff_actions([APPROVE, NOTIFY], [NOTIFY])] == [("removed", 1)]
        # The same actions in another order: one moved, not everything replaced.
        moved = diff_actions([APPROVE, NOTIFY], [NOTIFY, APPROVE])
        assert len(moved) == 2 and {c.change for c in moved} == {"added", "removed"}


def test_snapshot_diff_names_every_changed_field_and_old_snapshots_lack_new_fields():
    old = {"name": "a", "trigger": "created", "condition": "", "actions": [], "priority": 100,
           "active_from": None, "active_to": None, "enabled": False}  # saved before the stalled fields
    new = {**old, "enabled": True, "priority": 5, "active_to": "2027-01-01T00:00:00+08:00",
           "stalled_state": "", "stalled_hours": None}
    with translation.override("zh-hans"):
        changes = {c.name: c for c in diff_snapshots(old, new)}
    assert set(changes) == {"enabled", "priority", "active_to"}
    assert (changes["enabled"].old, changes["enabled"].new) == ("否", "是")
    assert (changes["priority"].old, changes["priority"].new) == ("100", "5")
    assert changes["active_to"].new.startswith("2027")


def test_versions_newest_first_each_against_the_one_before():
    rule = make_rule(condition="amount > 2000", actions=[APPROVE])
    rule.condition, rule.enabled = "amount > 3000", False
    rule_save(rule=rule, actor=None, note="提高门槛")
    diffs = rule_version_diffs(rule)
    assert [(d.version.number, d.previous, d.is_current) for d in diffs] == [(2, 1, True), (1, None, False)]
    assert [c.name for c in diffs[0].changes] == ["condition", "enabled"]
    assert diffs[0].version.note == "提高门槛"
    assert "actions" in [c.name for c in diffs[1].changes]  # the first version shows what it set


@pytest.fixture
def admin_client_zh(client, make_user):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


def test_versions_page_shows_the_diff_and_restores_through_a_new_version(admin_client_zh, make_user):
    author = make_user("zhangsan", first_name="三", last_name="张")
    rule = make_rule(actor=author, condition="amount > 2000", actions=[APPROVE])
    rule.condition, rule.actions = "amount > 5000", [APPROVE, NOTIFY]
    rule_save(rule=rule, actor=author, note="加通知")
    page = admin_client_zh.get(reverse("admin:workflow_automationrule_versions", args=[rule.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="version-2"' in text and "加通知" in text and "<del>2</del><ins>5</ins>" in text
    assert "新增" in text and "通知（message=订单 {number}）" in text
    first = rule.versions.get(number=1)
    restore = reverse("admin:workflow_automationrule_restore", args=[rule.pk, first.pk])
    assert restore in text  # the button of the older version
    response = admin_client_zh.post(restore)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.version, rule.condition, rule.actions) == (3, "amount > 2000", [APPROVE])
    assert rule.versions.get(number=3).created_by.username == "root"


def test_a_firing_links_to_the_version_it_used(admin_client_zh):
    rule = make_rule(trigger="reviewed", actions=[NOTIFY])
    rule.name = "第二版"
    rule_save(rule=rule, actor=None)
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    assert RuleFiring.objects.get(order=order).version == 2
    page = admin_client_zh.get(reverse("admin:workflow_rulefiring_changelist"))
    link = reverse("admin:workflow_automationrule_versions", args=[rule.pk]) + "#version-2"
    assert link in page.content.decode()


def test_process_map_states_transitions_and_the_rules_branches():
    make_rule(name="大单审批", condition="amount > 50000", actions=[APPROVE, NOTIFY])
    make_rule(name="久未付款", trigger="stalled", stalled_state=OrderStatus.AWAITING_PAYMENT, stalled_hours=24,
              actions=[NOTIFY])
    make_rule(name="关掉的", enabled=False, actions=[HOLD])
    make_rule(name="已过期", trigger="shipped", active_from=timezone.now() - timedelta(days=3),
              active_to=timezone.now() - timedelta(days=1), actions=[NOTIFY])
    with translation.override("zh-hans"):
        graph = process_map()
    ids = {n["id"]: n for n in graph["nodes"]}
    assert {f"state:{s}" for s in OrderStatus.values} <= set(ids)
    links = {(link["source"], link["target"]): link for link in graph["links"]}
    assert links[("state:pending_review", "state:awaiting_payment")]["label"] == "审核通过"
    assert ("state:shipped", "state:completed") in links
    rules = {n["name"].split("\n")[0]: n for n in graph["nodes"] if n["kind"] == "rule"}
    # switched-off rules are not drawn; the seeded QC rule is on by default and branches on a failed check
    assert set(rules) == {"大单审批", "久未付款", "已过期", "需质检商品发货前质检"}
    qc = rules["需质检商品发货前质检"]
    assert links[(qc["id"], "state:on_hold")]["label"] == "质检不合格"
    big = rules["大单审批"]
    assert big["actions"][0].endswith("：经理") and big["actions"][1].endswith("：订单 {number}")
    assert links[("state:pending_review", big["id"])]["kind"] == "trigger"
    assert links[(big["id"], "state:on_hold")]["kind"] == "branch"
    stalled = rules["久未付款"]
    assert links[("state:awaiting_payment", stalled["id"])]["label"] == "在“待付款”超过 24 小时"
    assert (stalled["id"], "state:on_hold") not in links
    assert rules["已过期"]["category"] == 3 and big["category"] == 2
    assert graph["rules"] == 4


def test_process_map_page_passes_the_graph_as_json_and_loads_local_scripts(admin_client_zh):
    make_rule(name="大单审批", condition="amount > 50000", actions=[APPROVE])
    page = admin_client_zh.get(reverse("admin:workflow_automationrule_process"))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="process-map-data"' in text and "echarts.min.js" in text and "workflow/process_map.js" in text
    assert "<script>" not in text  # no inline script: the data is a json_script, the code a static file
    match = re.search(r'<script id="process-map-data" type="application/json">(.*?)</script>', text, re.S)
    data = json.loads(match.group(1))
    assert any(n["name"].startswith("大单审批") for n in data["nodes"])
    assert "http" not in text.split("echarts.min.js")[0].rsplit('src="', 1)[1]  # served from here, no CDN


def test_only_administrators_reach_versions_and_the_map(client, manager):
    rule = AutomationRule.objects.first()
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    for url in (reverse("admin:workflow_automationrule_versions", args=[rule.pk]),
                reverse("admin:workflow_automationrule_process")):
        assert client.get(url).status_code in (403, 404)
