"""Every path that releases an order defers the same work: the invoice and the shipments are follow-ups
recorded in the release's transaction, done after commit, never twice; customer notifications too."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from finance.invariants import ledger_problems
from finance.models import Invoice
from finance.services import payment_record
from inventory.selectors import stock_drift
from inventory.services import ReceiptLine, order_stock_reserve, stock_receive
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory
from logistics.models import Shipment
from logistics.notifications import MemoryBackend, NotificationBackend
from logistics.services import shipment_ship
from oms.workflow import follow_ups
from oms.workflow.checks import HoldCode
from oms.workflow.follow_ups import after_commit
from oms.workflow.models import FollowUp
from oms.workflow.services import PaymentInput, approve_order, retry_backorders, submit_order
from oms.workflow.tests.factories import held_for_address
from orders import services as order_services
from orders.models import OrderStatus
from orders.tests.factories import order_input

pytestmark = pytest.mark.django_db


def states(order):
    return sorted((f.kind, f.status) for f in FollowUp.objects.filter(order=order))


def assert_books_and_stock_clean():
    assert ledger_problems() == []
    assert stock_drift() == []


def test_approval_records_follow_ups_and_waits_for_nothing(reviewer, follow_ups_run):
    WarehouseFactory(code="SH01")
    product = ProductFactory(price="199.00")
    stock_receive(warehouse="SH01", lines=[ReceiptLine(sku=product.sku, quantity=5)], actor=TEST_ACTOR)
    order = held_for_address(lines=[(product, 2, "199.00")], shipping_fee="10.00")
    payment_record(order=order, amount=Decimal("408.00"), method="alipay", source="channel", provider="tmall",
                   transaction_id="T1", actor=SYSTEM)
    with follow_ups_run():
        order = approve_order(order=order, actor=reviewer, comment="地址已电话确认")
        # Committed by the approval: the decision and the reservation; not the invoice nor the shipments.
        assert order.status == OrderStatus.AWAITING_SHIPMENT
        assert states(order) == [("issue_invoice", "pending"), ("plan_shipments", "pending")]
        assert not Invoice.objects.filter(order=order).exists()
        assert not Shipment.objects.filter(order=order).exists()
    assert states(order) == [("issue_invoice", "done"), ("plan_shipments", "done")]
    assert Invoice.objects.filter(order=order).count() == 1
    assert Shipment.objects.filter(order=order).count() == 1
    assert follow_ups.run(order.pk) == {}  # the schedule comes by late: nothing twice
    assert Invoice.objects.filter(order=order).count() == 1 and Shipment.objects.filter(order=order).count() == 1
    assert_books_and_stock_clean()


def test_backorder_release_plans_shipments_after_commit(follow_ups_run):
    WarehouseFactory(code="SH01")
    product = ProductFactory()
    order = submit_order(data=order_input(lines=[(product, 2, "10.00")], payment_method="cod"), payment=None,
                         actor=SYSTEM)
    assert order.hold_reasons == ["stock_shortage"] and states(order) == []
    stock_receive(warehouse="SH01", lines=[ReceiptLine(sku=product.sku, quantity=2)], actor=TEST_ACTOR)
    with follow_ups_run():
        result = retry_backorders(product_ids=[product.pk], actor=SYSTEM)
        assert result.released == [order.number]
        assert states(order) == [("plan_shipments", "pending")]  # cash on delivery: no invoice yet
        assert not Shipment.objects.filter(order=order).exists()
    assert states(order) == [("plan_shipments", "done")]
    assert Shipment.objects.filter(order=order).count() == 1
    assert_books_and_stock_clean()


@pytest.mark.usefixtures("stock_everything")
def test_released_again_after_a_hold_reruns_idempotently(reviewer, follow_ups_run):
    """Released, put on hold, approved again: the done follow-up is set pending again and adds nothing."""
    order = held_for_address(lines=[(ProductFactory(), 1, "10.00")], payment_method="cod")
    with follow_ups_run():
        order = approve_order(order=order, actor=reviewer, comment="ok")
    [shipment] = Shipment.objects.filter(order=order)
    order = order_services.order_put_on_hold(
        order=order, reasons=[order_services.HoldReason(HoldCode.INVALID_ADDRESS, "再核对", {})], actor=SYSTEM)
    with follow_ups_run():
        order = approve_order(order=order, actor=reviewer, comment="再次确认")
        assert states(order) == [("plan_shipments", "pending")]
    assert states(order) == [("plan_shipments", "done")]
    assert list(Shipment.objects.filter(order=order)) == [shipment]


@pytest.mark.usefixtures("stock_everything")
def test_outside_any_deferring_block_the_lower_stage_still_plans_inline():
    """A lower stage's own services (a shell, the stages' tests) keep the logistics hook's planning."""
    order = order_services.order_create(data=order_input(payment_method="cod"), actor=SYSTEM)
    order_stock_reserve(order=order, actor=SYSTEM)
    order = order_services.order_pass_review(order=order, actor=SYSTEM)
    assert Shipment.objects.filter(order=order).exists() and states(order) == []


@pytest.mark.usefixtures("stock_everything")
def test_a_request_defers_through_the_middleware():
    """Any screen that releases an order (here the whole request path) records follow-ups instead."""
    from oms.workflow.middleware import FollowUpsAfterCommit

    seen = {}

    def view(request):
        seen["deferring"] = follow_ups.deferring()
        order = order_services.order_create(data=order_input(payment_method="cod"), actor=SYSTEM)
        order_stock_reserve(order=order, actor=SYSTEM)
        seen["order"] = order_services.order_pass_review(order=order, actor=SYSTEM)
        return "ok"

    assert FollowUpsAfterCommit(view)(object()) == "ok"
    assert seen["deferring"] and not follow_ups.deferring()
    assert states(seen["order"]) == [("plan_shipments", "pending")]
    assert not Shipment.objects.filter(order=seen["order"]).exists()


@pytest.fixture
def outbox(settings, monkeypatch):
    settings.OMS_NOTIFICATION_BACKENDS = ["logistics.notifications.MemoryBackend"]
    monkeypatch.setattr(MemoryBackend, "outbox", [])
    return MemoryBackend.outbox


def shipped_order(follow_ups_run):
    order = submit_order(data=order_input(lines=[(ProductFactory(), 1, "10.00")], payment_method="cod"),
                         payment=None, actor=SYSTEM)
    follow_ups.run(order.pk)
    [shipment] = Shipment.objects.filter(order=order)
    with after_commit():
        shipment_ship(shipment=shipment, tracking_number="SF1234567890", weight_kg="1.0", actor=TEST_ACTOR)
    return order


@pytest.mark.usefixtures("stock_everything")
def test_shipping_notification_is_a_follow_up_sent_once(outbox, follow_ups_run):
    order = shipped_order(follow_ups_run)
    [notification] = FollowUp.objects.filter(order=order, kind="notify_customer")
    assert notification.status == "pending" and notification.key.startswith("shipment_shipped:")
    assert outbox == []  # nothing is sent before the commit
    FollowUp.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert follow_ups.run_overdue() == 1  # the job was lost: the schedule sends it
    [sms] = outbox
    assert "SF1234567890" in sms.body and sms.phone == order.phone
    follow_ups.run(order.pk)
    assert follow_ups.run_overdue() == 0 and len(outbox) == 1  # never twice


class BrokenGateway(NotificationBackend):
    def send(self, notification):
        raise ConnectionError("gateway down")


@pytest.mark.usefixtures("stock_everything")
def test_a_notification_no_backend_took_is_retried(settings, outbox, follow_ups_run):
    settings.OMS_NOTIFICATION_BACKENDS = [f"{__name__}.BrokenGateway"]
    order = shipped_order(follow_ups_run)
    follow_ups.run(order.pk)
    [notification] = FollowUp.objects.filter(order=order, kind="notify_customer")
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert "no notification backend took it" in notification.last_error
    settings.OMS_NOTIFICATION_BACKENDS = ["logistics.notifications.MemoryBackend"]
    follow_ups.run(order.pk)
    notification.refresh_from_db()
    assert notification.status == "done" and len(outbox) == 1


@pytest.mark.usefixtures("stock_everything")
def test_a_paid_connector_order_gets_its_invoice_as_a_follow_up(follow_ups_run):
    """Connectors submit through `submit_order`: the same deferral as the API intake."""
    with follow_ups_run():
        order = submit_order(data=order_input(lines=[(ProductFactory(), 2, "199.00")]),
                             payment=PaymentInput(method="alipay", paid_amount=Decimal("408.00"), transaction_id="C1"),
                             actor=SYSTEM)
        assert states(order) == [("issue_invoice", "pending"), ("plan_shipments", "pending")]
        assert not Invoice.objects.filter(order=order).exists()
    assert states(order) == [("issue_invoice", "done"), ("plan_shipments", "done")]
    assert Invoice.objects.filter(order=order).count() == 1
    assert_books_and_stock_clean()


@pytest.mark.usefixtures("stock_everything")
def test_a_notification_sent_again_after_a_failed_commit_carries_the_same_message_id(outbox, follow_ups_run,
                                                                                     monkeypatch):
    """The gateway took it, then marking the follow-up done failed (the database went away): the
    schedule sends it again, as it must (OMS cannot know), with the same message id, so the gateway
    or mail system that de-duplicates on it keeps one."""
    order = shipped_order(follow_ups_run)
    [notification] = FollowUp.objects.filter(order=order, kind="notify_customer")
    real_save = FollowUp.save

    def commit_fails(self, *args, **kwargs):
        if kwargs.get("update_fields") and "done_at" in kwargs["update_fields"]:
            raise ConnectionError("database went away before the commit")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(FollowUp, "save", commit_fails)
    follow_ups.run(order.pk)
    monkeypatch.setattr(FollowUp, "save", real_save)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    follow_ups.run(order.pk)
    notification.refresh_from_db()
    assert notification.status == "done"
    first, second = outbox
    assert first.message_id == second.message_id == f"oms-notify-{notification.pk}"


def test_the_message_id_reaches_the_sms_gateway_and_the_mail_header(settings, monkeypatch):
    from django.core import mail

    from logistics import notifications

    posted = []

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b"{}"

    def urlopen(request, timeout):
        import json

        posted.append(json.loads(request.data))
        return Response()

    monkeypatch.setattr(notifications.urllib.request, "urlopen", urlopen)
    settings.OMS_SMS_GATEWAY_URL = "http://sms.example/send"
    settings.OMS_NOTIFICATION_BACKENDS = ["logistics.notifications.SmsGatewayBackend",
                                          "logistics.notifications.EmailBackend"]
    data = {"kind": "shipment_shipped", "order_number": "SO1", "phone": "13812341234", "email": "zs@example.com",
            "subject": "订单已发货", "body": "已发货"}
    assert notifications.deliver(data, message_id="oms-notify-7") == 2
    assert posted == [{"phone": "13812341234", "text": "已发货", "message_id": "oms-notify-7"}]
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<oms-notify-7@")
