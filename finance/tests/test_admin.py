"""The finance and integrations admin pages render, read-only."""

import json

import pytest
from django.urls import reverse

from core.actors import SYSTEM
from finance.models import Invoice, JournalEntry, Payment, PrintJob, Refund
from finance.services import invoice_issue, refund_request
from finance.tests.factories import paid_order
from oms.integrations import inbox
from oms.integrations.models import InboundEvent, WebhookSender

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pass-Word-123"))
    return client


def test_finance_admin_pages(admin_client):
    order = paid_order()
    invoice_issue(order=order, actor=SYSTEM)
    refund_request(order=order, amount="8.00", reason="补偿", actor=SYSTEM)
    for model in (JournalEntry, Payment, Refund, Invoice):
        opts = model._meta
        assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
        obj = model.objects.first()
        response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200
        assert b'name="_save"' not in response.content  # read-only
    assert admin_client.get(reverse("admin:finance_printjob_changelist")).status_code == 200
    assert PrintJob.objects.count() == 0


def test_inbound_events_show_their_attempts_and_senders_keep_their_secret(admin_client):
    order = paid_order()
    event = InboundEvent.objects.create(kind="payments", sender="alipay", event_id="evt_x", signed_at=order.created_at,
                                        payload={"event_id": "evt_x", "order_number": order.number, "status": "failed",
                                                 "amount": "1.00"}, body=json.dumps({}))
    inbox.process_event(event_id=event.pk)
    page = admin_client.get(reverse("admin:integrations_inboundevent_change", args=[event.pk]))
    assert page.status_code == 200 and "处理记录" in page.content.decode()
    sender = WebhookSender.objects.create(kind="payments", code="alipay", secret="s3cret")
    response = admin_client.post(reverse("admin:integrations_webhooksender_change", args=[sender.pk]),
                                 {"kind": "payments", "code": "alipay", "name": "支付宝", "secret": "", "active": "on"})
    assert response.status_code == 302
    sender.refresh_from_db()
    assert (sender.name, sender.secret) == ("支付宝", "s3cret")
    assert b"s3cret" not in admin_client.get(reverse("admin:integrations_webhooksender_change",
                                                     args=[sender.pk])).content
