"""POST /api/v1/webhooks/payments/{provider} per contract api-v1.md, "Inbound webhooks"."""

import json
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.test import override_settings

from finance.models import Invoice, Payment, PaymentState, Refund
from finance.tests.factories import assert_ledger_ok, make_order, paid_order, reload
from oms.integrations import inbox
from oms.integrations.models import InboundEvent, InboundStatus, WebhookSender
from oms.integrations.signing import sign
from oms.integrations.tests.helpers import development_signature
from oms.workflow import follow_ups
from orders.models import OrderStatus

pytestmark = pytest.mark.django_db

SECRET = "test-webhook-secret"
URL = "/api/v1/webhooks/payments/alipay"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.OMS_WEBHOOK_SECRET = SECRET
    # These tests are about payments, not who may send them (test_sender_secrets.py): unregistered
    # providers sign with their development secrets.
    settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = True


def body_for(order, **overrides) -> bytes:
    data = {"event_id": "evt_001", "order_number": order.number, "status": "succeeded",
            "amount": f"{order.total:.2f}", "transaction_id": "2026112422001", "paid_at": "2026-11-24T10:16:00+08:00"}
    data.update(overrides)
    return json.dumps(data).encode()


def deliver(client, body: bytes, *, secret=None, timestamp=None, header=None, url=URL, on_commit=None):
    """POST to `url`, signed with `secret`, else with the development secret of the URL's provider."""
    if header is not None:
        signature = header
    elif secret is not None:
        signature = sign(body, secret, timestamp)
    else:
        signature = development_signature("payments", url.rsplit("/", 1)[1], body, at=timestamp)
    extra = {"HTTP_X_OMS_SIGNATURE": signature} if signature else {}
    if on_commit is None:
        return client.post(url, data=body, content_type="application/json", **extra)
    with on_commit(execute=True):
        return client.post(url, data=body, content_type="application/json", **extra)


def test_full_payment_moves_the_order_to_awaiting_shipment_and_issues_the_invoice(
        client, django_capture_on_commit_callbacks):
    order = make_order()
    response = deliver(client, body_for(order), on_commit=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "event_id": "evt_001"}
    order = reload(order)
    assert (order.status, order.payment_status) == (OrderStatus.AWAITING_SHIPMENT, "paid")
    payment = Payment.objects.get(order=order)
    assert (payment.provider, payment.transaction_id, payment.source) == ("alipay", "2026112422001", "webhook")
    # The invoice is a follow-up: the webhook's request does not wait for it; the worker issues it.
    assert [f.kind for f in order.follow_ups.filter(status="pending")] == ["issue_invoice", "plan_shipments"]
    follow_ups.run(order.pk)
    assert Invoice.objects.filter(order=order, kind="invoice", status="issued").count() == 1
    event = InboundEvent.objects.get()
    assert (event.status, event.attempts, event.attempt_log.get().succeeded) == (InboundStatus.PROCESSED, 1, True)
    assert_ledger_ok()


def test_event_is_stored_before_it_is_processed(client):
    order = make_order()
    response = deliver(client, body_for(order))  # on_commit callbacks do not run inside the test transaction
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == InboundStatus.PENDING and event.payload["order_number"] == order.number
    assert reload(order).status == OrderStatus.AWAITING_PAYMENT
    inbox.process_event(event_id=event.pk)
    assert reload(order).status == OrderStatus.AWAITING_SHIPMENT


@pytest.mark.parametrize("header", ["", "t=1,v1=deadbeef", "nonsense", "v1=abc"])
def test_missing_or_bad_signature_is_401(client, header):
    order = make_order()
    response = deliver(client, body_for(order), header=header)
    assert response.status_code == 401
    assert response.json()["type"] == "authentication_failed"
    assert not InboundEvent.objects.exists()


def test_signature_with_the_wrong_secret_is_401(client):
    order = make_order()
    assert deliver(client, body_for(order), secret="another-secret").status_code == 401


def test_tampered_body_is_401(client):
    order = make_order()
    body = body_for(order)
    header = development_signature("payments", "alipay", body)
    assert deliver(client, body.replace(b"408.00", b"1.00"), header=header).status_code == 401


@pytest.mark.parametrize("offset", [-301, 301])
def test_timestamp_outside_five_minutes_is_401(client, offset):
    order = make_order()
    response = deliver(client, body_for(order), timestamp=int(time.time()) + offset)
    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_timestamp_within_five_minutes_is_accepted(client):
    order = make_order()
    assert deliver(client, body_for(order), timestamp=int(time.time()) - 290).status_code == 200


def test_repeated_event_id_is_acknowledged_and_changes_nothing(client, django_capture_on_commit_callbacks):
    order = make_order()
    first = deliver(client, body_for(order), on_commit=django_capture_on_commit_callbacks)
    again = deliver(client, body_for(order, amount="1.00"), on_commit=django_capture_on_commit_callbacks)
    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert InboundEvent.objects.count() == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert reload(order).paid_amount == Decimal("408.00")


def test_same_event_id_from_another_provider_is_the_same_event(client, django_capture_on_commit_callbacks):
    """Issue 17: event ids are unique per kind, whichever sender's path they came through."""
    order = make_order()
    deliver(client, body_for(order, amount="100.00", transaction_id="A"), on_commit=django_capture_on_commit_callbacks)
    response = deliver(client, body_for(order, amount="100.00", transaction_id="B"),
                       url="/api/v1/webhooks/payments/wechat", on_commit=django_capture_on_commit_callbacks)
    assert response.json()["status"] == "duplicate"
    assert InboundEvent.objects.count() == 1
    assert reload(order).paid_amount == Decimal("100.00")


def test_one_webhook_posted_to_three_paths_pays_once(client, django_capture_on_commit_callbacks):
    """Issue 17, high 2: the same bytes and header to alipay, wechat and alipay-2 overpaid the order.
    Now the header verifies for alipay alone; and the same bytes signed for each path are one event."""
    order = make_order()
    body = body_for(order)
    header = development_signature("payments", "alipay", body)
    codes = [deliver(client, body, header=header, url=f"/api/v1/webhooks/payments/{path}",
                     on_commit=django_capture_on_commit_callbacks).status_code
             for path in ("alipay", "wechat", "alipay-2")]
    assert codes == [200, 401, 401]
    answers = [deliver(client, body, url=f"/api/v1/webhooks/payments/{path}",
                       on_commit=django_capture_on_commit_callbacks).json()["status"]
               for path in ("wechat", "alipay-2")]
    assert answers == ["duplicate", "duplicate"]
    order = reload(order)
    assert (order.paid_amount, order.payment_status) == (Decimal("408.00"), "paid")
    assert Payment.objects.filter(order=order).count() == 1
    assert_ledger_ok()


def test_same_transaction_under_another_event_id_counts_once(client, django_capture_on_commit_callbacks):
    order = make_order()
    deliver(client, body_for(order), on_commit=django_capture_on_commit_callbacks)
    again = deliver(client, body_for(order, event_id="evt_other"), url="/api/v1/webhooks/payments/wechat",
                    on_commit=django_capture_on_commit_callbacks)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert reload(order).paid_amount == Decimal("408.00")
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize("status", ["succeeded", "refunded"])
def test_money_events_need_a_transaction_id(client, status):
    response = deliver(client, body_for(make_order(), status=status, transaction_id=""))
    assert response.status_code == 400 and "transaction_id" in response.json()["errors"]
    assert not InboundEvent.objects.exists()


def test_production_accepts_only_registered_senders_with_their_own_secret(client, settings,
                                                                           django_capture_on_commit_callbacks):
    settings.OMS_WEBHOOK_REGISTERED_SENDERS_ONLY = True
    order = make_order()
    assert deliver(client, body_for(order)).status_code == 401  # unregistered sender, development secret
    assert deliver(client, body_for(order), secret=SECRET).status_code == 401  # the shared secret
    alipay = "alipay-0123456789abcdefghijklmnopqrstuvwxyz"
    WebhookSender.objects.create(kind="payments", code="alipay", secret=alipay)
    WebhookSender.objects.create(kind="payments", code="wechat")  # registered without its own secret
    assert deliver(client, body_for(order), url="/api/v1/webhooks/payments/wechat").status_code == 401
    # alipay's signature does not verify for another sender's path: the signature binds the sender
    body = body_for(order, event_id="evt_x")
    header = sign(body, alipay)
    assert deliver(client, body, header=header, url="/api/v1/webhooks/payments/wechat").status_code == 401
    assert deliver(client, body, header=header, on_commit=django_capture_on_commit_callbacks).status_code == 200
    assert reload(order).paid_amount == Decimal("408.00")


def test_two_senders_cannot_share_a_secret():
    from django.db import IntegrityError, transaction

    WebhookSender.objects.create(kind="payments", code="alipay", secret="s" * 40)
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookSender.objects.create(kind="wms", code="GZ01", secret="s" * 40)


def test_mismatching_amount_puts_the_order_on_hold(client, django_capture_on_commit_callbacks):
    order = make_order()
    deliver(client, body_for(order, amount="400.00"), on_commit=django_capture_on_commit_callbacks)
    order = reload(order)
    assert (order.status, order.hold_reasons) == (OrderStatus.ON_HOLD, ["payment_mismatch"])
    assert order.paid_amount == Decimal("400.00")
    assert not Invoice.objects.filter(order=order).exists()
    assert_ledger_ok()


def test_unknown_order_is_404_and_not_stored(client):
    order = make_order()
    response = deliver(client, body_for(order, order_number="SO20991231999999"))
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"
    assert not InboundEvent.objects.exists()


def test_invalid_body_is_400_naming_the_fields(client):
    order = make_order()
    response = deliver(client, body_for(order, status="pending", amount="-3", event_id=""))
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert {"status", "amount", "event_id"} <= set(body["errors"])
    assert not InboundEvent.objects.exists()


def test_body_that_is_not_json_is_400(client):
    response = deliver(client, b"not json{")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_failed_payment_is_recorded_and_the_order_waits(client, django_capture_on_commit_callbacks):
    order = make_order()
    deliver(client, body_for(order, status="failed"), on_commit=django_capture_on_commit_callbacks)
    order = reload(order)
    assert order.status == OrderStatus.AWAITING_PAYMENT and order.paid_amount == 0
    assert Payment.objects.get(order=order).status == PaymentState.FAILED
    assert order.events.filter(kind="payment_failed").exists()
    assert_ledger_ok()


def test_refunded_records_a_refund(client, django_capture_on_commit_callbacks):
    order = paid_order()
    deliver(client, body_for(order, status="refunded", amount="100.00", event_id="evt_r1"),
            on_commit=django_capture_on_commit_callbacks)
    assert reload(order).refunded_amount == Decimal("100.00")
    assert Refund.objects.get(order=order).external is True
    assert_ledger_ok()


def test_sender_secret_from_the_admin_replaces_the_default(client):
    WebhookSender.objects.create(kind="payments", code="alipay", secret="alipay-own-secret")
    order = make_order()
    assert deliver(client, body_for(order)).status_code == 401  # the development secret no longer works
    assert deliver(client, body_for(order), secret="alipay-own-secret").status_code == 200


def test_disabled_sender_is_refused(client):
    WebhookSender.objects.create(kind="payments", code="alipay", active=False)
    assert deliver(client, body_for(make_order())).status_code == 401


@override_settings(OMS_WEBHOOK_SECRET="")
def test_without_any_secret_nothing_is_accepted(client):
    assert deliver(client, body_for(make_order()), secret="").status_code == 401


def test_processing_failure_is_kept_and_retried_by_the_job(client, django_capture_on_commit_callbacks):
    order = make_order()
    real = inbox._HANDLERS["payments"]
    boom = mock.Mock(side_effect=RuntimeError("database went away"))
    with mock.patch.dict(inbox._HANDLERS, {"payments": real.__class__(**{**real.__dict__, "handle": boom})}):
        response = deliver(client, body_for(order), on_commit=django_capture_on_commit_callbacks)
    assert response.status_code == 200  # stored: the sender need not retry
    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == (InboundStatus.FAILED, 1)
    assert "database went away" in event.last_error and event.next_attempt_at is not None
    assert reload(order).status == OrderStatus.AWAITING_PAYMENT
    assert inbox.retry_due_events() == 0  # back-off not over yet
    assert inbox.retry_due_events(now=event.next_attempt_at) == 1
    event.refresh_from_db()
    assert (event.status, event.attempts, event.attempt_log.count()) == (InboundStatus.PROCESSED, 2, 2)
    assert reload(order).status == OrderStatus.AWAITING_SHIPMENT
    assert_ledger_ok()


def test_processing_twice_has_no_further_effect(client):
    order = make_order()
    deliver(client, body_for(order))
    event = InboundEvent.objects.get()
    inbox.process_event(event_id=event.pk)
    InboundEvent.objects.filter(pk=event.pk).update(status=InboundStatus.FAILED)  # as if the status update was lost
    inbox.process_event(event_id=event.pk)
    assert Payment.objects.filter(order=order).count() == 1
    assert reload(order).paid_amount == Decimal("408.00")
    assert_ledger_ok()


def test_business_refusal_is_not_retried(client, django_capture_on_commit_callbacks):
    order = make_order()
    deliver(client, body_for(order, status="refunded", amount="5.00"), on_commit=django_capture_on_commit_callbacks)
    event = InboundEvent.objects.get()
    assert event.status == InboundStatus.DEAD and "ValidationFailed" in event.last_error
    assert event.next_attempt_at is None


def test_event_left_pending_by_a_dead_web_server_is_processed_by_the_worker(client, settings):
    """Issue 17, high 3: the web server dies after storing the event and before processing it."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    settings.OMS_WEBHOOK_PENDING_GRACE_SECONDS = 60
    order = make_order()
    # The after-commit processing never runs: the process is gone once the event is committed.
    with mock.patch.object(inbox, "process_event", side_effect=SystemExit("kill -9")):
        response = deliver(client, body_for(order))
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == InboundStatus.PENDING
    # The sender retries: acknowledged as a duplicate, so only we can still process it.
    assert deliver(client, body_for(order)).json()["status"] == "duplicate"
    job = import_string(Schedule.objects.get(func="oms.integrations.tasks.retry_inbound_events").func)
    assert job() == 0  # within the grace period the request itself may still be processing it
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=61)):
        assert job() == 1
    event.refresh_from_db()
    assert (event.status, event.attempts) == (InboundStatus.PROCESSED, 1)
    order = reload(order)
    assert (order.status, order.paid_amount) == (OrderStatus.AWAITING_SHIPMENT, Decimal("408.00"))
    assert Payment.objects.filter(order=order).count() == 1
    assert_ledger_ok()


@pytest.mark.parametrize("secret", ["abc", SECRET, "dev-webhook-secret", "x" * 40])
def test_the_admin_refuses_a_weak_or_shared_sender_secret(secret):
    from oms.integrations.admin import WebhookSenderForm

    form = WebhookSenderForm(data={"kind": "payments", "code": "alipay", "secret": secret, "active": "on"})
    assert not form.is_valid() and "secret" in form.errors


def test_the_admin_refuses_a_secret_another_sender_holds():
    from oms.integrations.admin import WebhookSenderForm

    WebhookSender.objects.create(kind="wms", code="GZ01", secret="0123456789abcdefghijklmnopqrstuvwxyz")
    form = WebhookSenderForm(data={"kind": "payments", "code": "alipay", "active": "on",
                                   "secret": "0123456789abcdefghijklmnopqrstuvwxyz"})
    assert not form.is_valid() and "secret" in form.errors


def test_production_refuses_a_sender_with_a_weak_secret(client, settings):
    settings.OMS_WEBHOOK_REGISTERED_SENDERS_ONLY = True
    WebhookSender.objects.create(kind="payments", code="alipay", secret="abc")
    assert deliver(client, body_for(make_order()), secret="abc").status_code == 401
