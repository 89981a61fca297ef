"""Issue 17, the cost of encryption: list pages decrypt only what their rows show, and a row and its
audit-history record of the same save share one ciphertext (one encryption per value, not two),
which no other row ever shares.

Fernet tokens carry a random IV, so two encryptions of one value differ; a shared token would tell
someone holding a stolen backup that two rows hold the same value. The history record of a save is
a copy of its row, so sharing there tells nothing new; anywhere else a value is encrypted afresh.
"""

from __future__ import annotations

import copy
import pickle

import pytest
from django.db import connection
from django.urls import reverse

from core import bulk, fieldcrypto
from core.fieldcrypto import Sealed, decrypt_text, looks_encrypted
from oms.workflow.tests.factories import held_for_large_amount
from orders.models import Customer, Order
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db
PHONE, EMAIL = "13912345678", "wang.wu@example.com"


def tokens(table: str, column: str, pk, *, pk_column: str = "id") -> list[str]:
    """The column's stored values for that id, oldest row first (history tables: one per record)."""
    quote = connection.ops.quote_name
    order_by = "history_id" if table.startswith("orders_historical") else pk_column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(pk_column)} = %s "
                       f"ORDER BY {quote(order_by)}", [pk])
        return [row[0] for row in cursor.fetchall()]


def test_a_saved_row_and_its_history_record_share_one_ciphertext_that_both_decrypt():
    customer = Customer.objects.create(name="王五", phone=PHONE, email=EMAIL)
    for column, plain in (("phone", PHONE), ("email", EMAIL)):
        [row] = tokens("orders_customer", column, customer.pk)
        [record] = tokens("orders_historicalcustomer", column, customer.pk)
        assert looks_encrypted(row) and record == row and decrypt_text(record) == plain
    assert customer.history.get().phone == PHONE and Customer.objects.get(pk=customer.pk).email == EMAIL


def test_each_save_encrypts_afresh_and_a_history_record_never_reuses_an_earlier_saves_token():
    customer = Customer.objects.create(name="王五", phone=PHONE)
    [first] = tokens("orders_customer", "phone", customer.pk)
    customer.name = "王五五"
    customer.save()  # a full save: the row and its new record get a new token
    [second] = tokens("orders_customer", "phone", customer.pk)
    assert second != first
    assert tokens("orders_historicalcustomer", "phone", customer.pk) == [first, second]
    customer.name = "王六"
    customer.save(update_fields=["name"])  # the phone is not written: its record encrypts its own copy
    records = tokens("orders_historicalcustomer", "phone", customer.pk)
    assert tokens("orders_customer", "phone", customer.pk) == [second]
    assert len(set(records)) == 3 and [decrypt_text(t) for t in records] == [PHONE] * 3


def test_a_value_taken_from_another_row_is_encrypted_afresh():
    customer = Customer.objects.create(name="王五", phone=PHONE)
    assert isinstance(customer.phone, Sealed)  # what the save left on the instance
    twin = Customer.objects.create(name="王五", phone=customer.phone)
    order = create_order(customer_phone=PHONE, recipient_phone=PHONE)
    order.phone = customer.phone
    order.save()
    stored = [*tokens("orders_customer", "phone", customer.pk), *tokens("orders_customer", "phone", twin.pk),
              tokens("orders_order", "phone", order.pk)[0], *tokens("orders_historicalcustomer", "phone", twin.pk)]
    assert len(set(stored[:3])) == 3 and all(decrypt_text(t) == PHONE for t in stored)
    assert stored[3] == stored[1]  # the twin's own record shares the twin's token, not the first customer's


def test_a_saved_value_pickles_and_copies_as_a_plain_string():
    customer = Customer.objects.create(name="王五", phone=PHONE)
    for clone in (pickle.loads(pickle.dumps(customer)), copy.deepcopy(customer)):
        assert type(clone.phone) is str and clone.phone == PHONE
    assert type(pickle.loads(pickle.dumps(customer.phone))) is str


def _bulk_orders(template, count: int, *, number: str) -> tuple[list[dict], bulk.Prepared]:
    rows = [{"number": f"{number}{n:04d}", "channel_id": template.channel_id, "external_id": f"{number}-{n}",
             "customer_id": template.customer_id, "recipient": "赵六", "phone": PHONE, "province": "浙江省",
             "city": "杭州市", "address_detail": "文三路 1 号", "ordered_at": template.ordered_at}
            for n in range(count)]
    for row, pk in zip(rows, bulk.reserve_ids(Order, count), strict=True):
        row["id"] = pk
    rows = bulk.complete_rows(Order, rows)
    prepared = bulk.prepare_rows(Order, rows, with_pk=True)
    return rows, prepared


def test_bulk_history_records_take_their_rows_ciphertexts_and_search_columns():
    template = create_order()
    rows, prepared = _bulk_orders(template, 3, number="SOREUSE")
    bulk.insert_prepared(prepared)
    bulk.insert_history(Order, rows, when=template.ordered_at, user_id=None, main=prepared)
    seen = set()
    for row in rows:
        for column, plain in (("phone", PHONE), ("address_detail", "文三路 1 号")):
            [stored] = tokens("orders_order", column, row["id"])
            [record] = tokens("orders_historicalorder", column, row["id"])
            assert record == stored and decrypt_text(record) == plain and stored not in seen
            seen.add(stored)  # three orders with one phone and address: six different tokens
        assert tokens("orders_historicalorder", "phone_index", row["id"]) == [row["phone_index"]] != [""]
    assert [r.phone for r in Order.history.filter(id__in=[row["id"] for row in rows])] == [PHONE] * 3


def test_bulk_history_refuses_the_ciphertexts_of_other_rows():
    template = create_order()
    rows, prepared = _bulk_orders(template, 2, number="SOOTHER")
    copies = [dict(row) for row in rows]
    with pytest.raises(ValueError, match="same rows"):
        bulk.prepare_history(Order, copies, when=template.ordered_at, user_id=None, main=prepared)


@pytest.fixture
def decryptions(monkeypatch):
    """The plaintexts decrypted while the test runs."""
    seen = []

    def counting(value):
        plain = real(value)
        if looks_encrypted(value):
            seen.append(plain)
        return plain

    real = fieldcrypto.decrypt_text
    monkeypatch.setattr(fieldcrypto, "decrypt_text", counting)
    return seen


@pytest.mark.usefixtures("stock_everything")
def test_list_pages_decrypt_the_phone_each_row_shows_and_nothing_else(client, make_user, decryptions):
    from core.enums import Role

    orders = [held_for_large_amount() for _n in range(3)]
    for order in orders:
        Customer.objects.filter(pk=order.customer_id).update(email=fieldcrypto.encrypt_text(EMAIL))
    client.force_login(make_user("boss", Role.MANAGER, Role.REVIEWER, is_staff=True))
    for url in (reverse("admin:orders_order_changelist"), reverse("workflow:review-queue"),
                reverse("backoffice:search") + "?q=1234"):
        decryptions.clear()
        response = client.get(url)
        assert response.status_code == 200
        assert "文三路" not in "".join(decryptions) and EMAIL not in decryptions  # the address, the e-mail
        assert len(decryptions) == len(orders), url  # one phone per row
    decryptions.clear()
    client.get(reverse("admin:orders_order_change", args=[orders[0].pk]))
    assert orders[0].address_detail in decryptions  # the order page still reads the whole order
