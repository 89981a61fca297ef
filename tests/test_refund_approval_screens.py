"""The refund approval on screen: the clerk's request on the funds page, the director's queue (reached
from the navigation and the home page), decisions from the queue and from the funds page."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from core.enums import Role
from finance.models import Refund, RefundApproval
from finance.services import refund_request_manual
from finance.tests.factories import assert_ledger_ok
from logistics.services import shipment_pack, shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from orders.models import Order

pytestmark = pytest.mark.django_db

QUEUE = "/finance/refunds/approvals/"


@pytest.fixture(autouse=True)
def limit(settings):
    settings.OMS_REFUND_APPROVAL_LIMIT = "1000.00"


@pytest.fixture
def order():
    return released_order([(product("SKU-S1", stock=10), 2, Decimal("999.00"))])


def _clean(capsys):
    call_command("check_stock")
    assert "no drift" in capsys.readouterr().out
    assert_ledger_ok()


def _ask(order, clerk, amount="1500.00"):
    return refund_request_manual(order=order, amount=amount, reason="质量补偿", actor=clerk).approval


def test_the_clerk_asks_and_sees_the_request_pending(order, clerk, client, capsys):
    client.force_login(clerk)
    response = client.post(f"/finance/orders/{order.number}/refund/", {"amount": "1500.00", "reason": "质量补偿"},
                           follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "已提交财务总监审批，尚未付款" in page
    assert "超过审批限额的退款申请" in page and "待审批" in page and 'id="pending-approval-note"' in page
    assert "批准并退款" not in page  # the clerk may not decide
    assert "退款 ¥1,500.00 待审批" in page  # the funds timeline
    assert RefundApproval.objects.get().status == "pending" and not Refund.objects.exists()
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"
    assert client.get(QUEUE).status_code == 403
    assert "退款审批" not in client.get("/").content.decode()
    _clean(capsys)


def test_the_director_finds_the_queue_and_approves(order, clerk, director, client, capsys,
                                                   django_capture_on_commit_callbacks):
    approval = _ask(order, clerk)
    client.force_login(director)
    home = client.get("/").content.decode()
    assert f'href="{QUEUE}"' in home and "退款审批" in home and "等待我审批的退款" in home
    page = client.get(QUEUE).content.decode()
    assert order.number in page and "质量补偿" in page and "clerk" in page and "批准并退款" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{QUEUE}{approval.pk}/approve/", {"comment": "同意"}, follow=True)
    assert response.redirect_chain[-1][0] == QUEUE
    page = response.content.decode()
    assert "已批准并提交" in page and "没有等待您审批的退款" in page and "已批准" in page
    assert Refund.objects.get(order=order).approval_id == approval.pk
    assert Order.objects.get(pk=order.pk).refunded_amount == Decimal("1500.00")
    funds = client.get(f"/finance/orders/{order.number}/").content.decode()
    assert "已由 director 审批通过" in funds
    _clean(capsys)


def test_the_director_rejects_from_the_funds_page(order, clerk, director, client, capsys):
    approval = _ask(order, clerk)
    client.force_login(director)
    funds = client.get(f"/finance/orders/{order.number}/").content.decode()
    assert "批准并退款" in funds
    response = client.post(f"{QUEUE}{approval.pk}/reject/", {"reason": "证据不足", "back": "funds"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/finance/orders/{order.number}/"
    page = response.content.decode()
    assert "退款申请已驳回" in page and "被 director 驳回：证据不足" in page
    assert not Refund.objects.exists()
    empty = client.post(f"{QUEUE}{approval.pk}/reject/", {"reason": ""}, follow=True)
    assert 'class="msg msg-error"' in empty.content.decode()
    _clean(capsys)


def test_approving_after_shipment_is_a_message_not_an_error_page(order, clerk, director, client, capsys):
    approval = _ask(order, clerk)
    shipment = shipments_of(order)[0]
    shipment_pack(shipment=shipment, actor=ACTOR, weight_kg="1.0", verify_scan=False)
    shipment_ship(shipment=shipment, actor=ACTOR, tracking_number="SF100200302")
    client.force_login(director)
    response = client.post(f"{QUEUE}{approval.pk}/approve/", {"comment": ""}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and 'class="msg msg-error"' in page and "申请之后订单已发货或已退款" in page
    assert RefundApproval.objects.get(pk=approval.pk).status == "pending" and not Refund.objects.exists()
    _clean(capsys)


def test_a_requester_never_sees_their_own_request_to_approve(order, make_user, client):
    from core.roles import group_for

    clerk = make_user("clerk", Role.FINANCE)
    approval = _ask(order, clerk)
    clerk.groups.add(group_for(Role.FINANCE_DIRECTOR))  # promoted meanwhile
    client.force_login(clerk)
    page = client.get(QUEUE).content.decode()
    assert "没有等待您审批的退款" in page and "您有 1 笔申请在等待他人审批" in page
    assert "批准并退款" not in client.get(f"/finance/orders/{order.number}/").content.decode()
    response = client.post(f"{QUEUE}{approval.pk}/approve/", {"comment": ""}, follow=True)
    assert "须由他人审批" in response.content.decode()
    assert RefundApproval.objects.get(pk=approval.pk).status == "pending"
