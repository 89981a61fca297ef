"""Issue 17: personal data is encrypted at rest, found through blind indexes, and its keys rotate.

Values are read back with a raw cursor (what a stolen backup holds) and through the ORM (what the
product shows); searches go through the real admin, back office and services.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.urls import reverse

from core.actors import SYSTEM
from core.fieldcrypto import (
    blind_index,
    decrypt_text,
    encrypted_table_specs,
    looks_encrypted,
    phone_last4,
    reseal_table,
    table_spec,
)
from oms.integrations.models import InboundEvent, OutboxMessage
from oms.workflow.intake import intake_order
from orders.history import history_entries
from orders.models import Customer, Order
from orders.selectors import order_list, order_search
from orders.services.details import order_change_address
from orders.tests.factories import create_order, order_input

pytestmark = pytest.mark.django_db
PHONE = "13812341234"  # the factories' customer and recipient phone
DEV_KEY = "n7c-9cXa8q1YUhvPKQmDqitEjbCKl9MqkcUG7y7EOdw="  # oms/settings.py, under DEBUG
NEW_KEY = Fernet.generate_key().decode()
DEV_INDEX_KEY = "oms-development-blind-index-key-do-not-use-in-production"
NEW_INDEX_KEY = "a-new-blind-index-key-for-the-rotation-test-0123456789"


def raw(table: str, column: str, pk, pk_column: str = "id"):
    """A column as the database stores it (no ORM conversion)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(pk_column)} = %s", [pk])
        return cursor.fetchone()[0]


def raw_all(table: str, column: str, where: str, pk) -> list:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(where)} = %s", [pk])
        return [row[0] for row in cursor.fetchall()]


def opens_with(key: str, token: str) -> str:
    return Fernet(key.encode()).decrypt(token.encode()).decode()


def test_phones_emails_and_addresses_are_ciphertext_in_the_tables_and_plain_through_the_orm():
    order = create_order()
    customer = order.customer
    customer.email = "Zhang.San@Example.com"
    customer.save()
    for table, pk, column, plain in [
        ("orders_customer", customer.pk, "phone", PHONE),
        ("orders_customer", customer.pk, "email", "Zhang.San@Example.com"),
        ("orders_order", order.pk, "phone", PHONE),
        ("orders_order", order.pk, "address_detail", order.address_detail),
    ]:
        stored = raw(table, column, pk)
        assert looks_encrypted(stored) and plain not in stored and PHONE[-4:] not in stored
        assert opens_with(DEV_KEY, stored) == plain
    fresh = Order.objects.select_related("customer").get(pk=order.pk)
    assert (fresh.phone, fresh.customer.phone, fresh.customer.email) == (PHONE, PHONE, "Zhang.San@Example.com")
    # The search columns: keyed hashes, and the last four digits every masked screen shows anyway.
    assert raw("orders_order", "phone_index", order.pk) == blind_index("phone", PHONE) != PHONE
    assert raw("orders_customer", "email_index", customer.pk) == blind_index("email", "zhang.san@example.com")
    assert raw("orders_order", "phone_last4", order.pk) == "1234"


def test_history_tables_are_encrypted_too():
    order = create_order()
    order.customer.save()  # a second history row, written by the ORM path
    phones = raw_all("orders_historicalorder", "phone", "id", order.pk)
    phones += raw_all("orders_historicalcustomer", "phone", "id", order.customer_id)
    addresses = raw_all("orders_historicalorder", "address_detail", "id", order.pk)
    assert len(phones) >= 3 and addresses
    assert all(looks_encrypted(value) and decrypt_text(value) == PHONE for value in phones)
    assert all(looks_encrypted(value) for value in addresses)
    assert order.history.first().phone == PHONE and order.customer.history.first().phone == PHONE


def test_a_plain_lookup_on_an_encrypted_field_fails_loudly_instead_of_finding_nothing():
    create_order()
    with pytest.raises(FieldError, match="blind index"):
        Customer.objects.filter(phone=PHONE).exists()
    with pytest.raises(FieldError):
        Order.objects.filter(address_detail__icontains="路").exists()


@pytest.mark.parametrize("term", [PHONE, "+86 138-1234-1234", "1234", "zhang.san@example.com"])
def test_exact_search_by_phone_last_four_digits_and_email_finds_the_order(term):
    order = create_order()
    order.customer.email = "Zhang.San@Example.com"
    order.customer.save()
    other = create_order(customer_phone="13900005678", recipient_phone="13900005678")
    found = list(order_search(order_list(), term).values_list("pk", flat=True))
    assert order.pk in found and other.pk not in found


def test_the_admin_and_back_office_search_phones_and_emails_through_the_index(admin_client):
    order = create_order()
    customer = order.customer
    customer.email = "li.si@example.com"
    customer.save()
    changelist = reverse("admin:orders_customer_changelist")
    for term in ("+86 138 1234 1234", "LI.SI@example.com"):
        page = admin_client.get(changelist, {"q": term}).content.decode()
        assert customer.name in page, term
    assert customer.name not in admin_client.get(changelist, {"q": "13900009999"}).content.decode()
    orders_page = admin_client.get(reverse("admin:orders_order_changelist"), {"q": PHONE}).content.decode()
    assert order.number in orders_page
    search = admin_client.get(reverse("backoffice:search"), {"q": "+86 138-1234-1234"})
    assert search.status_code == 302 and search["Location"].rstrip("/").endswith(order.number)


def test_the_intake_finds_the_existing_customer_by_phone():
    existing = create_order().customer
    order = intake_order(data=order_input(customer_phone="+86 138-1234-1234"), payment=None, actor=SYSTEM)
    assert order.customer_id == existing.pk
    assert Customer.objects.count() == 1


def test_webhook_payloads_are_encrypted_whole_and_keep_their_types():
    payload = {"order": "SO1", "amount": 12.5, "signed": False, "address": {"phone": PHONE, "detail": "文三路 1 号"}}
    event = InboundEvent.objects.create(kind="carriers", sender="sf", event_id="E1", payload=payload,
                                        body='{"phone": "13812341234"}', signed_at=datetime(2026, 12, 1, tzinfo=UTC))
    message = OutboxMessage.objects.create(kind="wms", destination="GZ01", topic="shipping_instruction",
                                           message_id="M1", payload=payload)
    for table, pk, column in [("integrations_inboundevent", event.pk, "payload"),
                              ("integrations_inboundevent", event.pk, "body"),
                              ("integrations_outboxmessage", message.pk, "payload")]:
        stored = raw(table, column, pk)
        assert looks_encrypted(stored) and PHONE not in stored and "文三路" not in stored
    assert InboundEvent.objects.get(pk=event.pk).payload == payload
    assert OutboxMessage.objects.get(pk=message.pk).payload == payload
    assert InboundEvent.objects.get(pk=event.pk).body == '{"phone": "13812341234"}'


def test_rotation_re_encrypts_everything_so_that_the_old_key_can_be_removed():
    order = create_order()
    event = InboundEvent.objects.create(kind="carriers", sender="sf", event_id="E2", payload={"phone": PHONE},
                                        body="{}", signed_at=datetime(2026, 12, 1, tzinfo=UTC))
    out = StringIO()
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY, DEV_KEY]):
        assert Order.objects.get(pk=order.pk).phone == PHONE  # both keys open the old rows meanwhile
        call_command("rotate_field_keys", "--batch-size", "1", stdout=out)
        again = StringIO()
        call_command("rotate_field_keys", stdout=again)  # nothing left to do: a stopped run just resumes
    assert "orders_order: 1 rows read, 1 rewritten" in out.getvalue()
    assert "0 rewritten: every encrypted value" in again.getvalue()
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY]):  # the old key is gone
        assert opens_with(NEW_KEY, raw("orders_order", "address_detail", order.pk)) == order.address_detail
        assert all(opens_with(NEW_KEY, v) == PHONE for v in raw_all("orders_historicalorder", "phone", "id", order.pk))
        assert opens_with(NEW_KEY, raw("orders_customer", "phone", order.customer_id)) == PHONE
        assert InboundEvent.objects.get(pk=event.pk).payload == {"phone": PHONE}
        fresh = Order.objects.select_related("customer").get(pk=order.pk)
        assert (fresh.phone, fresh.customer.phone) == (PHONE, PHONE)
        assert list(order_search(order_list(), PHONE).values_list("pk", flat=True)) == [order.pk]


def test_removing_a_key_before_rotating_is_refused_and_nothing_is_encrypted_twice():
    order = create_order()
    before = raw("orders_order", "phone", order.pk)
    with override_settings(OMS_FIELD_ENCRYPTION_KEYS=[NEW_KEY]), pytest.raises(CommandError, match="removed too early"):
        call_command("rotate_field_keys", stdout=StringIO())
    assert raw("orders_order", "phone", order.pk) == before


def test_a_new_index_key_keeps_search_working_while_rotation_rebuilds_the_indexes():
    order = create_order()
    old_key = blind_index("phone", PHONE)
    with override_settings(OMS_BLIND_INDEX_KEY=NEW_INDEX_KEY, OMS_BLIND_INDEX_PREVIOUS_KEY=DEV_INDEX_KEY):
        assert list(order_search(order_list(), PHONE).values_list("pk", flat=True)) == [order.pk]
        call_command("rotate_field_keys", stdout=StringIO())
    with override_settings(OMS_BLIND_INDEX_KEY=NEW_INDEX_KEY):
        new = raw("orders_order", "phone_index", order.pk)
        assert new == blind_index("phone", PHONE) != old_key
        assert raw("orders_customer", "phone_index", order.customer_id) == new
        assert list(order_search(order_list(), PHONE).values_list("pk", flat=True)) == [order.pk]


def test_rows_stored_before_encryption_are_encrypted_and_indexed_in_batches():
    """What the data migrations (orders 0006, integrations 0011) do to a database of plain rows."""
    customers = [create_order(customer_phone=f"1360000000{n}").customer for n in range(3)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for n, customer in enumerate(customers):
            cursor.execute(f"UPDATE {quote('orders_customer')} SET phone = %s, email = %s, phone_index = '', "
                           f"phone_last4 = '', email_index = '' WHERE id = %s",
                           [f"1370000111{n}", f"c{n}@example.com", customer.pk])
    assert Customer.objects.get(pk=customers[0].pk).phone == "13700001110"  # plain rows still read meanwhile
    [spec] = encrypted_table_specs([Customer])
    progress = []
    read, rewritten = reseal_table(connection, **spec, batch_size=2, progress=lambda *a: progress.append(a))
    assert (read, rewritten) == (3, 3) and len(progress) == 2
    for n, customer in enumerate(customers):
        assert decrypt_text(raw("orders_customer", "phone", customer.pk)) == f"1370000111{n}"
        assert looks_encrypted(raw("orders_customer", "email", customer.pk))
        assert raw("orders_customer", "phone_index", customer.pk) == blind_index("phone", f"1370000111{n}")
        assert raw("orders_customer", "phone_last4", customer.pk) == phone_last4(f"1370000111{n}") == f"111{n}"
        assert raw("orders_customer", "email_index", customer.pk) == blind_index("email", f"c{n}@example.com")


def test_the_data_migrations_walk_the_same_tables_as_the_rotation():
    """The migrations find their tables from the migration state's models, the command from the
    current ones: the same columns, history tables included, and every encrypted model has one."""
    state = MigrationExecutor(connection).loader.project_state(
        [("orders", "0009_encrypt_event_and_invoice_request"), ("integrations", "0016_encrypt_integration_credentials"),
         ("finance", "0006_encrypt_invoice_buyer_contact"), ("imports", "0005_encrypt_import_issue_values"),
         ("workflow", "0013_encrypt_follow_up_payload")])
    from django.apps import apps

    now = encrypted_table_specs(apps.get_models())
    then = encrypted_table_specs(state.apps.get_model(m._meta.app_label, m._meta.model_name)
                                 for m in apps.get_models() if table_spec(m) is not None)
    assert then == now and {spec["table"] for spec in now} == {
        "orders_customer", "orders_historicalcustomer", "orders_order", "orders_historicalorder",
        "orders_orderevent", "integrations_inboundevent", "integrations_outboxmessage", "finance_invoice",
        "imports_importissue", "workflow_followup", "integrations_webhooksender", "integrations_webhooksubscription",
        "integrations_outboundendpoint", "integrations_channelconnector", "integrations_crmendpoint",
        "integrations_smsgateway"}


def test_a_phone_change_shows_in_the_history_without_its_search_columns(make_user):
    order = create_order()
    order_change_address(order=order, actor=SYSTEM, comment="客户来电", phone="13900001111")
    records = order.history.select_related("history_user").order_by("-history_date", "-history_id")
    latest = history_entries(records, user=make_user("viewer"))[0]
    assert [(c.field, c.old, c.new) for c in latest.changes] == [("phone", "138****1234", "139****1111")]
    assert raw("orders_order", "phone_last4", order.pk) == "1111"
    assert list(order_search(order_list(), "13900001111").values_list("pk", flat=True)) == [order.pk]


def test_the_inbound_event_admin_searches_what_is_not_encrypted(admin_client):
    event = InboundEvent.objects.create(kind="carriers", sender="sf", event_id="EV-SEARCH-1", payload={"phone": PHONE},
                                        body="{}", signed_at=datetime(2026, 12, 1, tzinfo=UTC))
    page = admin_client.get(reverse("admin:integrations_inboundevent_changelist"), {"q": "EV-SEARCH"})
    assert page.status_code == 200 and event.event_id in page.content.decode()
