"""Approval chains: levels in sequence, any / all, the submitter blocked, rejection, reminders and
escalation on a simulated clock, delegation windows, the inbox, every decision on the timeline."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.enums import Role
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from oms.workflow.automation.approval_models import ApprovalDecision, ApprovalRequest, ApprovalTask
from oms.workflow.automation.approvals import (
    approval_decide,
    approvals_remind_and_escalate,
    approvals_waiting_for,
    delegation_create,
)
from oms.workflow.automation.services import rule_save
from oms.workflow.automation.tests.helpers import make_rule
from oms.workflow.services import approve_order, submit_order
from orders.models import Order, OrderStatus
from orders.tests.factories import order_input

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

CONDITION = 'channel == "douyin" and province =~ "^新疆" and amount > 2000'


def approval(*levels, reason="抖音新疆大额订单"):
    return [{"type": "require_approval", "params": {"reason": reason, "levels": list(levels)}}]


def douyin_xinjiang(total="3000.00"):
    return order_input(channel_code="douyin", province="新疆", city="乌鲁木齐市",
                       lines=[(ProductFactory(), 1, total)], shipping_fee="0.00")


@pytest.fixture
def clerk(make_user):
    return make_user("clerk", Role.CUSTOMER_SERVICE, is_staff=True)


@pytest.fixture
def people(make_user):
    return {
        "manager": make_user("mgr", Role.MANAGER, is_staff=True),
        "manager2": make_user("mgr2", Role.MANAGER, is_staff=True),
        "director": make_user("director", Role.FINANCE_DIRECTOR, is_staff=True),
        "reviewer": make_user("rev", Role.REVIEWER, is_staff=True),
    }


def open_task(order) -> ApprovalTask:
    return ApprovalTask.objects.get(request__order=order, status=ApprovalTask.Status.OPEN)


def held_order(actions, *, actor, total="3000.00", **rule_fields):
    rule = make_rule(name="抖音新疆大单", condition=CONDITION, actions=actions, **rule_fields)
    order = submit_order(data=douyin_xinjiang(total), payment=None, actor=actor)
    assert order.status == OrderStatus.ON_HOLD and order.hold_reasons == ["automation_approval"]
    return rule, order


def test_levels_are_decided_in_sequence_and_the_last_releases_the_order(clerk, people):
    rule, order = held_order(approval({"role": "manager"}, {"role": "finance_director"}), actor=clerk)
    request = ApprovalRequest.objects.get(order=order)
    assert (request.rule_id, request.rule_version, request.submitted_by) == (rule.pk, 1, clerk)
    assert list(request.tasks.values_list("level", "status")) == [(1, "open"), (2, "waiting")]
    assert [i.order for i in approvals_waiting_for(people["director"])] == []  # not yet their level
    assert [i.order for i in approvals_waiting_for(people["manager"])] == [order]

    with pytest.raises(InvalidTransition):  # the second level is not open yet
        approval_decide(task=request.tasks.get(level=2), actor=people["director"], approve=True, comment="好")
    approval_decide(task=open_task(order), actor=people["manager"], approve=True, comment="经理同意")
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert list(request.tasks.values_list("level", "status")) == [(1, "approved"), (2, "open")]
    with pytest.raises(PermissionDenied):  # the review workbench cannot skip the chain
        approve_order(order=order, actor=people["reviewer"], comment="看过了")

    approval_decide(task=open_task(order), actor=people["director"], approve=True, comment="财务总监同意")
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.APPROVED
    messages = list(order.events.filter(kind="automation").values_list("message", flat=True))
    assert any("mgr" in m and "经理同意" in m and "抖音新疆大单" in m and "1" in m for m in messages)
    decision_events = order.events.filter(kind="automation", data__decision="approved")
    assert [(e.data["level"], e.data["rule_version"]) for e in decision_events] == [(1, 1), (2, 1)]
    # the audit history of the tasks names who, why, the rule and its version
    reasons = list(ApprovalTask.history.filter(request=request).exclude(history_change_reason=None)
                   .values_list("history_change_reason", "history_user__username"))
    assert any(r.endswith("· 抖音新疆大单 v1") and u == "mgr" for r, u in reasons)


def test_the_firing_records_the_version_the_chain_was_opened_with(clerk, people):
    rule, order = held_order(approval({"role": "manager"}), actor=clerk)
    rule.actions = approval({"role": "finance_director"})
    rule_save(rule=rule, actor=None)  # version 2: the waiting order keeps version 1's chain
    task = open_task(order)
    assert (task.request.rule_version, task.role) == (1, "manager")
    approval_decide(task=task, actor=people["manager"], approve=True, comment="同意")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_any_one_of_a_level_is_enough(clerk, people):
    _rule, order = held_order(approval({"role": "manager", "mode": "any"}), actor=clerk)
    approval_decide(task=open_task(order), actor=people["manager2"], approve=True, comment="同意")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_all_of_a_level_must_approve(clerk, people):
    _rule, order = held_order(approval({"users": ["mgr", "director"], "mode": "all"}), actor=clerk)
    task = open_task(order)
    assert sorted(task.required_user_ids) == sorted([people["manager"].pk, people["director"].pk])
    approval_decide(task=task, actor=people["manager"], approve=True, comment="我同意")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ON_HOLD
    assert approvals_waiting_for(people["manager"]) == []  # decided: off their list
    with pytest.raises(PermissionDenied):
        approval_decide(task=task, actor=people["manager"], approve=True, comment="再同意一次")
    approval_decide(task=task, actor=people["director"], approve=True, comment="我也同意")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_all_of_a_role_is_its_members_when_the_level_opens(clerk, people):
    _rule, order = held_order(approval({"role": "manager", "mode": "all"}), actor=clerk)
    task = open_task(order)
    assert sorted(task.required_user_ids) == sorted([people["manager"].pk, people["manager2"].pk])
    approval_decide(task=task, actor=people["manager"], approve=True, comment="同意")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ON_HOLD
    approval_decide(task=task, actor=people["manager2"], approve=True, comment="同意")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_the_submitter_may_not_approve_their_own_order(people):
    manager = people["manager"]
    _rule, order = held_order(approval({"role": "manager"}), actor=manager)
    assert ApprovalRequest.objects.get(order=order).submitted_by == manager
    assert approvals_waiting_for(manager) == []
    with pytest.raises(PermissionDenied, match="由他人审批"):
        approval_decide(task=open_task(order), actor=manager, approve=True, comment="我自己的单")
    assert not ApprovalDecision.objects.exists()
    approval_decide(task=open_task(order), actor=people["manager2"], approve=True, comment="同意")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_the_submitter_is_left_out_of_an_all_level(people):
    _rule, order = held_order(approval({"role": "manager", "mode": "all"}), actor=people["manager"])
    assert open_task(order).required_user_ids == [people["manager2"].pk]


def test_a_rejection_needs_a_comment_and_rejects_the_order(clerk, people):
    _rule, order = held_order(approval({"role": "manager"}, {"role": "finance_director"}), actor=clerk)
    with pytest.raises(ValidationFailed):
        approval_decide(task=open_task(order), actor=people["manager"], approve=False, comment="  ")
    approval_decide(task=open_task(order), actor=people["manager"], approve=False, comment="新疆地址无法送达")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    request = ApprovalRequest.objects.get(order=order)
    assert request.status == ApprovalRequest.Status.REJECTED
    assert list(request.tasks.values_list("status", flat=True)) == ["rejected", "closed"]
    assert order.events.filter(kind="rejected", message__contains="新疆地址无法送达").exists()
    assert approvals_waiting_for(people["director"]) == []


def test_reminder_then_escalation_on_a_simulated_clock(clerk, people):
    level = {"role": "manager", "remind_after_hours": 4, "escalate_after_hours": 8,
             "escalate_to_role": "finance_director"}
    _rule, order = held_order(approval(level), actor=clerk)
    opened = open_task(order).opened_at
    assert approvals_waiting_for(people["director"]) == []

    result = approvals_remind_and_escalate(now=opened + timedelta(hours=3, minutes=59))
    assert (result.reminded, result.escalated) == (0, 0)
    result = approvals_remind_and_escalate(now=opened + timedelta(hours=4))
    assert (result.reminded, result.escalated) == (1, 0)
    assert order.events.filter(kind="automation", data__reminder=True).count() == 1
    result = approvals_remind_and_escalate(now=opened + timedelta(hours=5))
    assert (result.reminded, result.escalated) == (0, 0)  # once
    result = approvals_remind_and_escalate(now=opened + timedelta(hours=8))
    assert (result.reminded, result.escalated) == (0, 1)
    assert approvals_remind_and_escalate(now=opened + timedelta(hours=30)).escalated == 0

    escalation = order.events.get(kind="automation", data__escalated=True)
    assert "财务总监" in escalation.message and "抖音新疆大单" in escalation.message
    items = approvals_waiting_for(people["director"])
    assert [i.order for i in items] == [order]
    approval_decide(task=items[0].task, actor=people["director"], approve=True, comment="超时，我批了")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_delegation_counts_only_inside_its_window_and_the_decision_says_for_whom(clerk, people, make_user):
    deputy = make_user("deputy", Role.REVIEWER, is_staff=True)
    _rule, order = held_order(approval({"users": ["mgr"]}), actor=clerk)
    today = timezone.localdate()
    delegation_create(delegator=people["manager"], delegate=deputy, starts_on=today + timedelta(days=1),
                      ends_on=today + timedelta(days=3))
    assert approvals_waiting_for(deputy) == []  # not yet
    assert [i.order for i in approvals_waiting_for(deputy, today=today + timedelta(days=2))] == [order]
    assert approvals_waiting_for(deputy, today=today + timedelta(days=4)) == []
    with pytest.raises(PermissionDenied):
        approval_decide(task=open_task(order), actor=deputy, approve=True, comment="代批")

    delegation_create(delegator=people["manager"], delegate=deputy, starts_on=today, ends_on=today)
    [item] = approvals_waiting_for(deputy)
    assert item.on_behalf_of == people["manager"]
    approval_decide(task=item.task, actor=deputy, approve=True, comment="代经理批准")
    decision = ApprovalDecision.objects.get()
    assert (decision.decided_by, decision.on_behalf_of) == (deputy, people["manager"])
    event = order.events.get(kind="automation", data__decision="approved")
    assert "deputy" in event.message and "mgr" in event.message and "代经理批准" in event.message
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_delegation_to_oneself_or_backwards_is_refused(people):
    today = timezone.localdate()
    with pytest.raises(ValidationFailed):
        delegation_create(delegator=people["manager"], delegate=people["manager"], starts_on=today, ends_on=today)
    with pytest.raises(ValidationFailed):
        delegation_create(delegator=people["manager"], delegate=people["reviewer"], starts_on=today,
                          ends_on=today - timedelta(days=1))


def test_bad_levels_are_refused_on_save():
    with pytest.raises(ValidationFailed) as info:
        make_rule(actions=approval({"role": "nobody"}, {"users": ["ghost"], "mode": "some"},
                                   {"role": "manager", "escalate_after_hours": 2}))
    problems = info.value.errors["actions"]
    assert len(problems) == 4
    assert "ghost" in " ".join(problems)


def test_the_inbox_lists_and_decides_with_a_required_comment(client, clerk, people):
    _rule, order = held_order(approval({"role": "manager"}), actor=clerk)
    client.force_login(people["manager"])
    home = client.get("/").content.decode()
    assert 'data-queue="approvals-mine"' in home and reverse("workflow:approvals") in home
    page = client.get(reverse("workflow:approvals")).content.decode()
    assert order.number in page and "抖音新疆大单" in page
    task = open_task(order)
    url = reverse("workflow:approvals-decide", args=[task.pk])
    refused = client.post(url, {"decision": "approve", "comment": ""})
    assert refused.status_code == 200 and Order.objects.get(pk=order.pk).status == OrderStatus.ON_HOLD
    done = client.post(url, {"decision": "approve", "comment": "经理同意"})
    assert done.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT


def test_the_inbox_refuses_the_submitter_with_a_message(client, people):
    _rule, order = held_order(approval({"role": "manager"}), actor=people["manager"])
    client.force_login(people["manager"])
    response = client.post(reverse("workflow:approvals-decide", args=[open_task(order).pk]),
                           {"decision": "approve", "comment": "自己批"})
    assert response.status_code == 200
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ON_HOLD


def test_delegation_screen_creates_and_ends(client, people):
    client.force_login(people["manager"])
    today = timezone.localdate().isoformat()
    response = client.post(reverse("workflow:approvals-delegate"),
                           {"delegate": people["reviewer"].pk, "starts_on": today, "ends_on": today})
    assert response.status_code == 302
    from oms.workflow.automation.approval_models import ApprovalDelegation

    delegation = ApprovalDelegation.objects.get()
    client.force_login(people["reviewer"])
    client.post(reverse("workflow:approvals-delegation-end", args=[delegation.pk]))
    assert ApprovalDelegation.objects.filter(pk=delegation.pk).exists()  # only the delegator ends it
    client.force_login(people["manager"])
    client.post(reverse("workflow:approvals-delegation-end", args=[delegation.pk]))
    assert not ApprovalDelegation.objects.filter(pk=delegation.pk).exists()


def test_the_review_workbench_says_what_the_chain_waits_for(client, clerk, people):
    _rule, order = held_order(approval({"role": "manager"}, {"role": "finance_director"}), actor=clerk)
    client.force_login(people["reviewer"])
    page = client.get(reverse("workflow:review-detail", args=[order.number])).content.decode()
    assert 'id="approval-levels"' in page and "“抖音新疆大单”第 1 级：经理" in page
