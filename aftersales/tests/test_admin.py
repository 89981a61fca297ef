"""The rules are edited in the admin; requests are read there and worked in the workbench."""

from decimal import Decimal

import pytest
from django.urls import reverse

from aftersales.models import ReturnPolicy, ReturnReason
from aftersales.tests.factories import delivered_order, request_for
from core.enums import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(make_user):
    return make_user("boss", Role.MANAGER, is_staff=True)


def test_a_manager_changes_the_window_and_the_next_request_uses_it(client, boss):
    policy = ReturnPolicy.objects.get(channel__isnull=True)
    client.force_login(boss)
    url = reverse("admin:aftersales_returnpolicy_change", args=[policy.pk])
    assert client.get(url).status_code == 200
    data = {
        "channel": "", "return_window_days": 10, "fault_window_days": 15, "outside_window": "refuse",
        "refund_only_approval_threshold": "200.00", "shipping_fee_refund": "full_return",
        "exchange_same_price_only": "on", "sla_review_hours": 12, "sla_ship_back_days": 7,
        "sla_receive_days": 5, "sla_inspect_hours": 24, "sla_settle_hours": 48,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert (policy.return_window_days, policy.refund_only_approval_threshold) == (10, Decimal("200.00"))
    assert request_for(delivered_order(days_ago=9)).needs_approval is False


def test_only_one_default_policy(client, boss):
    client.force_login(boss)
    response = client.post(reverse("admin:aftersales_returnpolicy_add"), {
        "channel": "", "return_window_days": 7, "fault_window_days": 15, "outside_window": "approval",
        "refund_only_approval_threshold": "100.00", "shipping_fee_refund": "never",
        "sla_review_hours": 24, "sla_ship_back_days": 7, "sla_receive_days": 5, "sla_inspect_hours": 48,
        "sla_settle_hours": 72})
    assert response.status_code == 200 and "channel" in response.context["adminform"].form.errors
    assert ReturnPolicy.objects.count() == 1


def test_a_channel_policy_wins_over_the_default(client, boss):
    from aftersales.rules import policy_for
    from orders.models import Channel

    client.force_login(boss)
    jd = Channel.objects.get(code="jd")
    response = client.post(reverse("admin:aftersales_returnpolicy_add"), {
        "channel": jd.pk, "return_window_days": 30, "fault_window_days": 30, "outside_window": "approval",
        "refund_only_approval_threshold": "100.00", "shipping_fee_refund": "never",
        "sla_review_hours": 24, "sla_ship_back_days": 7, "sla_receive_days": 5, "sla_inspect_hours": 48,
        "sla_settle_hours": 72})
    assert response.status_code == 302
    order = delivered_order(days_ago=20, channel_code="jd")
    assert policy_for(order).return_window_days == 30
    assert request_for(order).needs_approval is False


def test_reasons_are_added_and_switched_off_not_deleted(client, boss):
    client.force_login(boss)
    response = client.post(reverse("admin:aftersales_returnreason_add"), {
        "code": "allergy", "name": "过敏", "seller_fault": "", "window_days": "", "active": "on", "position": 5})
    assert response.status_code == 302
    assert ReturnReason.objects.get(code="allergy").name == "过敏"
    reason = ReturnReason.objects.get(code="allergy")
    assert client.get(reverse("admin:aftersales_returnreason_delete", args=[reason.pk])).status_code == 403


def test_requests_are_read_only_in_the_admin_with_a_link_to_the_workbench(client, boss):
    rma = request_for(delivered_order())
    client.force_login(boss)
    listing = client.get(reverse("admin:aftersales_returnrequest_changelist"))
    assert listing.status_code == 200
    assert reverse("aftersales:detail", args=[rma.number]) in listing.content.decode()
    assert client.get(reverse("admin:aftersales_returnrequest_add")).status_code == 403
    page = client.get(reverse("admin:aftersales_returnrequest_change", args=[rma.pk]))
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()
