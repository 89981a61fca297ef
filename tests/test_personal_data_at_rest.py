"""Issue 17, the rest of it: the timeline's address changes, rejected import cells, invoice buyer
details, the order's invoice request and notification follow-ups hold no personal data in clear;
screens show it masked without `core.view_customer_pii` and whole with it; `rotate_field_keys` and
the data migrations cover the new columns."""

import importlib
import json
from io import StringIO
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from core.actors import SYSTEM
from core.enums import Role
from core.fieldcrypto import looks_encrypted
from finance.models import Invoice
from finance.services import invoice_issue_if_due
from finance.tests.factories import paid_order
from logistics.notifications import Notification, notify
from oms.imports.models import ImportBatch, ImportIssue
from oms.workflow.models import FollowUp
from orders.events import event_for_viewer
from orders.models import Order, OrderEvent
from orders.services.details import order_change_address
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db
DEV_KEY = "n7c-9cXa8q1YUhvPKQmDqitEjbCKl9MqkcUG7y7EOdw="  # oms/settings.py, under DEBUG
NEW_KEY = Fernet.generate_key().decode()
NEW_PHONE, NEW_STREET = "13900001111", "中山东路88号"
REQUEST = {"type": "special", "title": "杭州西湖科技有限公司", "tax_id": "91330100MA2B3C4D5N",
           "address_phone": "杭州市西湖区文三路 1 号 0571-88881234", "bank_account": "工商银行 1202020209000012345"}


def raw_row(table: str, columns: str, pk) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()


def changed_address(actor):
    order = create_order()
    order_change_address(order=order, actor=actor, comment=f"客户来电改为 {NEW_PHONE}", phone=NEW_PHONE,
                         address_detail=NEW_STREET)
    return order


def staff_without_pii(make_user):
    user = make_user("clerk", Role.CUSTOMER_SERVICE, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_orderevent", "view_order"]))
    return user


# -- screens: masked without the permission, whole with it -----------------------------------------

def test_the_order_page_timeline_masks_the_address_change_without_the_pii_permission(client, reviewer, manager):
    order = changed_address(reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("backoffice:order", args=[order.number])).content.decode()
    assert "139****1111" in page and NEW_PHONE not in page
    client.force_login(manager)
    page = client.get(reverse("backoffice:order", args=[order.number])).content.decode()
    assert f"客户来电改为 {NEW_PHONE}" in page


def test_the_timeline_admin_masks_message_and_data_without_the_pii_permission(client, make_user, reviewer,
                                                                             admin_client):
    order = changed_address(reviewer)
    event = order.events.get(kind="address_changed")
    url = reverse("admin:orders_orderevent_change", args=[event.pk])
    client.force_login(staff_without_pii(make_user))
    for page in (client.get(url).content.decode(),
                 client.get(reverse("admin:orders_orderevent_changelist")).content.decode()):
        assert NEW_PHONE not in page and NEW_STREET not in page
    # The order's own page shows its current street (clerks ship to it), but its timeline no phone.
    assert NEW_PHONE not in client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    page = client.get(url).content.decode()
    assert "139****1111" in page and "中山****" in page
    page = admin_client.get(url).content.decode()  # a superuser has every permission, the PII one too
    assert NEW_PHONE in page and NEW_STREET in page


def test_the_api_shows_the_street_of_an_address_change_only_with_pii_read(reviewer):
    order = changed_address(reviewer)
    event = order.events.get(kind="address_changed")
    from orders.api.serializers import OrderEventOutSerializer

    masked = OrderEventOutSerializer(event, context={"pii": False}).data
    whole = OrderEventOutSerializer(event, context={"pii": True}).data
    assert masked["data"]["after"] == {"phone": "139****1111", "address_detail": "中山****"}
    assert whole["data"]["after"] == {"phone": NEW_PHONE, "address_detail": NEW_STREET}
    assert whole["data"]["before"]["phone"] == "13812341234" and NEW_PHONE in whole["message"]


# -- at rest ----------------------------------------------------------------------------------------

def test_follow_up_payloads_are_encrypted_and_empty_ones_cost_nothing():
    order = create_order()
    notify(Notification(kind="shipment_shipped", order_number=order.number, phone="13812341234",
                        email="zs@example.com", subject="已发货", body="您的订单已发货"), order_id=order.pk)
    follow_up = FollowUp.objects.get(order=order, kind=FollowUp.Kind.NOTIFY_CUSTOMER)
    (payload,) = raw_row("workflow_followup", "payload", follow_up.pk)
    assert looks_encrypted(payload) and "13812341234" not in payload and "zs@example.com" not in payload
    assert follow_up.payload["phone"] == "13812341234"
    assert FollowUp.objects.filter(order=order, kind=FollowUp.Kind.NOTIFY_CUSTOMER).update(payload={}) == 1
    assert raw_row("workflow_followup", "payload", follow_up.pk) == ("{}",)


def test_rotation_covers_the_new_columns(reviewer):
    order = changed_address(reviewer)
    invoiced = paid_order(invoice_request=REQUEST)
    invoice = invoice_issue_if_due(order=invoiced, actor=SYSTEM)
    batch = ImportBatch.objects.create(file_name="x.csv")
    issue = ImportIssue.objects.create(batch=batch, row=2, column="phone", value="1381234",
                                       message="不是手机号：1381234")
    out = StringIO()
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY, DEV_KEY]):
        call_command("rotate_field_keys", stdout=out)
    for table in ("orders_orderevent", "finance_invoice", "imports_importissue", "workflow_followup"):
        assert f"{table}: done" in out.getvalue()
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY]):  # the old key is gone: all still open
        assert Order.objects.get(pk=invoiced.pk).invoice_request == REQUEST
        assert Invoice.objects.get(pk=invoice.pk).buyer_bank_account == REQUEST["bank_account"]
        assert ImportIssue.objects.get(pk=issue.pk).value == "1381234"
        event = OrderEvent.objects.get(order=order, kind="address_changed")
        assert event_for_viewer(event, pii=True)[1]["after"]["address_detail"] == NEW_STREET
        (private,) = raw_row("orders_orderevent", "private", event.pk)
        assert json.loads(Fernet(NEW_KEY.encode()).decrypt(private.encode()))["after"]["phone"] == NEW_PHONE


def test_the_migration_moves_old_address_changes_into_the_encrypted_part_and_back():
    migration = importlib.import_module("orders.migrations.0009_encrypt_event_and_invoice_request")
    editor = SimpleNamespace(connection=connection)
    order = create_order()
    old = {"before": {"phone": "13812341234", "address_detail": "文三路1号", "city": "杭州市"},
           "after": {"phone": NEW_PHONE, "address_detail": NEW_STREET, "city": "宁波市"},
           "comment": f"改为 {NEW_PHONE}"}
    event = OrderEvent.objects.create(order=order, kind="address_changed", actor_name="x", data=old,
                                      message=f"已修改收货地址：改为 {NEW_PHONE}")
    other = OrderEvent.objects.create(order=order, kind="held", actor_name="x", data={"phone": "13812341234"},
                                      message="m")
    migration.forwards(apps, editor)
    message, data, private = raw_row("orders_orderevent", "message, data, private", event.pk)
    assert looks_encrypted(private)
    for secret in (NEW_PHONE, "13812341234", NEW_STREET, "文三路1号"):
        assert secret not in f"{message}{data}"
    event.refresh_from_db()
    assert event_for_viewer(event, pii=True) == (f"已修改收货地址：改为 {NEW_PHONE}", old)
    assert OrderEvent.objects.get(pk=other.pk).private is None  # only address changes are touched
    migration.forwards(apps, editor)  # run again: nothing moved twice
    event.refresh_from_db()
    assert event_for_viewer(event, pii=True) == (f"已修改收货地址：改为 {NEW_PHONE}", old)
    migration.backwards(apps, editor)
    event.refresh_from_db()
    assert (event.message, event.data, event.private) == (f"已修改收货地址：改为 {NEW_PHONE}", old, None)
