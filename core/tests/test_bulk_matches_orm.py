"""`core.bulk` writes exactly the rows the ORM and django-simple-history write.

`core.bulk` rebuilds Django's value adaptation (`connection.ops.adapt_*`, `get_db_prep_save`),
model defaults (`auto_now` included) and simple_history's "created"/"changed" records, to skip the
ORM's per-value compilation on the hot paths. These tests write the same values both ways and
compare the rows *as the database stores them* (a raw `SELECT *`, so a changed date format, JSON
encoding or decimal adaptation shows), for every kind of column the bulk writers meet, on both of
its PostgreSQL paths (a multi-row INSERT below `COPY_FROM` rows, `COPY` from there; one UPDATE per
row below `UPDATE_FROM_VALUES`, one UPDATE from arrays from there). A Django or simple_history
upgrade that changes what the ORM writes fails here instead of corrupting imported rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core import bulk
from core.fieldcrypto import decrypt_text, looks_encrypted
from finance.models import EntryKind, JournalEntry, JournalLine, Payment, PaymentSource, RecognisedLine
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderSource, OrderStatus
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 27, 2, 30, 15, 123456, tzinfo=UTC)
# Columns that must differ between the two rows written (unique keys, primary keys).
DISTINCT = {"id", "number", "external_id", "history_id"}


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """`auto_now` fields and simple_history's `history_date` read `timezone.now()`: one instant for both writers."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def stored(table: str, column: str, values) -> list[dict]:
    """Rows as the database holds them (no ORM conversion), in the order of `values`.

    Encrypted columns (personal data, core/fieldcrypto.py) must hold a token (an empty JSON document
    of an EncryptedSparseJSONField excepted); two encryptions of a value differ (a random IV), so they
    are compared by what they decrypt to."""
    quote = connection.ops.quote_name
    values = list(values)
    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    encrypted = {f.column for f in model._meta.local_concrete_fields if getattr(f, "oms_encrypted", False)}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(table)} WHERE {quote(column)} IN ({', '.join(['%s'] * len(values))})",
                       values)
        names = [d[0] for d in cursor.description]
        rows = {row[names.index(column)]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    for row in rows.values():
        for name in encrypted:
            if row[name] and row[name] not in ("{}", "[]"):
                assert looks_encrypted(row[name]), f"{table}.{name} is stored in plain text"
                row[name] = ("encrypted", decrypt_text(row[name]))
    return [rows[value] for value in values]


def same_rows(orm: list[dict], fast: list[dict], *, ignore=()) -> None:
    skip = DISTINCT | set(ignore)
    assert len(orm) == len(fast)
    for a, b in zip(orm, fast, strict=True):
        assert {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}


def order_values(n: int, customer, channel, user) -> dict:
    return {
        "number": f"SOCMP{n:08d}", "channel_id": channel.pk, "external_id": f"CMP-{n}", "customer_id": customer.pk,
        "source": OrderSource.IMPORT, "recipient": f"张三 “{n}”", "phone": "+8613812341234", "province": "浙江省",
        "city": "杭州市", "district": "", "address_detail": 'O\'Brien 路 1 号, "A" 座 \\ {x}',
        "status": OrderStatus.AWAITING_SHIPMENT, "hold_reasons": ["stock_shortage", f"理由 “{n}”"] if n % 2 else [],
        "payment_method": "alipay", "payment_status": "partially_paid", "subtotal": Decimal("1234.50"),
        "discount_total": Decimal("0.05"), "shipping_fee": Decimal("10.00"), "total": Decimal("1244.45"),
        "paid_amount": Decimal("100.10"), "refunded_amount": Decimal("0.00"), "note": "备注\n第二行" if n % 3 else "",
        "assigned_to_id": user.pk if n % 2 else None,
        "invoice_request": {"title": f"个体户 “{n}”", "address_phone": "文三路 1 号 13812341234"} if n % 2 else {},
        "ordered_at": NOW - timedelta(days=400, microseconds=n), "created_at": NOW - timedelta(seconds=n),
    }


@pytest.mark.parametrize("count", [1, bulk.COPY_FROM + 3])
def test_orders_and_their_history_match_objects_create(count, django_user_model):
    template = create_order()
    user = django_user_model.objects.create_user("cmp-clerk")
    orm = [Order.objects.create(**order_values(n, template.customer, template.channel, user)) for n in range(count)]
    rows = [dict(order_values(n, template.customer, template.channel, user), number=f"SOFST{n:08d}",
                 external_id=f"FST-{n}") for n in range(count)]
    ids = bulk.reserve_ids(Order, count)
    for row, pk in zip(rows, ids, strict=True):
        row["id"] = pk
    rows = bulk.complete_rows(Order, rows)
    bulk.insert_prepared(bulk.prepare_rows(Order, rows, with_pk=True))
    bulk.insert_history(Order, rows, when=NOW, user_id=None)
    same_rows(stored("orders_order", "id", [o.pk for o in orm]), stored("orders_order", "id", ids))
    history = Order.history.model._meta.db_table
    same_rows(stored(history, "id", [o.pk for o in orm]), stored(history, "id", ids))
    # and the ORM reads them back alike
    fast = Order.objects.in_bulk(ids)
    for a, pk in zip(orm, ids, strict=True):
        b = fast[pk]
        assert (b.hold_reasons, b.total, b.ordered_at, b.updated_at, b.note, b.assigned_to_id) == (
            Order.objects.get(pk=a.pk).hold_reasons, a.total, a.ordered_at, a.updated_at, a.note, a.assigned_to_id)


def test_customers_lines_and_events_match_objects_create():
    order = create_order()
    product = ProductFactory(sku="CMP-1")
    customer_values = {"name": "李四", "phone": "+8613900001111", "email": "", "created_at": NOW - timedelta(days=1)}
    orm_customer = Customer.objects.create(**customer_values)
    customer_rows = bulk.complete_rows(Customer, [dict(customer_values)])
    bulk.insert_rows(Customer, customer_rows)
    fast_customer = Customer.objects.exclude(pk__in=[orm_customer.pk, order.customer_id]).get()
    customer_rows[0]["id"] = fast_customer.pk
    bulk.insert_history(Customer, customer_rows, when=NOW, user_id=None)
    same_rows(stored("orders_customer", "id", [orm_customer.pk]), stored("orders_customer", "id", [fast_customer.pk]))
    same_rows(stored("orders_historicalcustomer", "id", [orm_customer.pk]),
              stored("orders_historicalcustomer", "id", [fast_customer.pk]))

    line_values = {"order_id": order.pk, "product_id": product.pk, "sku": product.sku, "name": "商品 “A”",
                   "quantity": 3, "unit_price": Decimal("33.33"), "discount": Decimal("0.99"),
                   "amount": Decimal("99.00"), "tax_rate": Decimal("0.130")}
    orm_line = OrderLine.objects.create(**line_values)
    bulk.insert_rows(OrderLine, bulk.complete_rows(OrderLine, [dict(line_values)]))
    fast_line = OrderLine.objects.filter(order=order, sku=product.sku).exclude(pk=orm_line.pk).get()
    same_rows(stored("orders_orderline", "id", [orm_line.pk]), stored("orders_orderline", "id", [fast_line.pk]))

    event_values = {"order_id": order.pk, "kind": "imported", "message": "导入：订单 “X”", "actor_id": None,
                    "actor_name": "system:import", "at": NOW - timedelta(minutes=5),
                    "data": {"total": "99.00", "lines": [1, 2], "中文": "是", "none": None}}
    orm_event = OrderEvent.objects.create(**event_values)
    bulk.insert_rows(OrderEvent, bulk.complete_rows(OrderEvent, [dict(event_values)]))
    built = OrderEvent(**event_values)
    bulk.insert_objects(OrderEvent, [built])
    fast = list(OrderEvent.objects.filter(kind="imported").exclude(pk=orm_event.pk).order_by("pk"))
    assert len(fast) == 2 and built.pk is None  # insert_objects leaves the database its ids, as it says
    same_rows(stored("orders_orderevent", "id", [orm_event.pk] * 2), stored("orders_orderevent", "id",
                                                                            [e.pk for e in fast]))


def test_finance_rows_of_the_opening_balances_match_objects_create():
    order = create_order()
    line = order.lines.get()
    payment_values = {"order_id": order.pk, "method": "alipay", "source": PaymentSource.OPENING, "provider": "",
                      "transaction_id": "", "reference": "legacy:X", "amount": Decimal("12.30"),
                      "refunded_amount": Decimal("0.00"), "status": "succeeded", "paid_at": NOW - timedelta(days=3),
                      "created_at": NOW, "recorded_by_id": None, "actor_name": "system:import"}
    orm_payment = Payment.objects.create(**payment_values)
    [fast_id] = bulk.reserve_ids(Payment, 1)
    bulk.insert_prepared(bulk.prepare_rows(Payment, bulk.complete_rows(Payment, [dict(payment_values, id=fast_id)]),
                                           with_pk=True))
    same_rows(stored("finance_payment", "id", [orm_payment.pk]), stored("finance_payment", "id", [fast_id]))

    entry_values = {"kind": EntryKind.OPENING, "order_id": order.pk, "reference": "", "description": "期初 “余额”",
                    "posted_at": NOW - timedelta(days=3), "created_by_id": None, "actor_name": "system:import",
                    "payment_id": orm_payment.pk}
    orm_entry = JournalEntry.objects.create(number="JE-CMP-1", **entry_values)
    [entry_id] = bulk.reserve_ids(JournalEntry, 1)
    bulk.insert_prepared(bulk.prepare_rows(JournalEntry, bulk.complete_rows(
        JournalEntry, [dict(entry_values, id=entry_id, number="JE-CMP-2")]), with_pk=True))
    same_rows(stored("finance_journalentry", "id", [orm_entry.pk]), stored("finance_journalentry", "id", [entry_id]))

    for model, values in (
        (JournalLine, {"account": "1002", "debit": Decimal("12.30"), "credit": Decimal("0.00")}),
        (RecognisedLine, {"order_id": order.pk, "order_line_id": line.pk, "component": "line", "quantity": 2,
                          "gross": Decimal("200.00"), "net": Decimal("176.99"), "tax": Decimal("23.01"),
                          "tax_rate": Decimal("0.130")}),
    ):
        orm_row = model.objects.create(entry_id=orm_entry.pk, **values)
        bulk.insert_rows(model, bulk.complete_rows(model, [dict(values, entry_id=entry_id)]))
        fast_row = model.objects.get(entry_id=entry_id)
        same_rows(stored(model._meta.db_table, "id", [orm_row.pk]), stored(model._meta.db_table, "id", [fast_row.pk]),
                  ignore={"entry_id"})


@pytest.mark.parametrize("count", [2, bulk.UPDATE_FROM_VALUES + 2])
def test_updates_match_save_with_update_fields(count, django_user_model):
    user = django_user_model.objects.create_user("cmp-upd")
    orm, fast = [create_order() for _ in range(count)], [create_order() for _ in range(count)]
    fields = ["note", "hold_reasons", "paid_amount", "assigned_to", "updated_at", "ordered_at"]
    for group in (orm, fast):
        for n, order in enumerate(group):
            order.note = f'改 "{n}" {{}} \\' if n % 2 else ""
            order.hold_reasons = ["payment_mismatch", f"原因{n}"] if n % 2 else []
            order.paid_amount = Decimal("12.34") + n
            order.assigned_to_id = user.pk if n % 3 else None
            order.ordered_at = NOW - timedelta(hours=n, microseconds=7)
    for order in orm:
        order.save(update_fields=fields)  # auto_now: updated_at = NOW
    for order in fast:
        order.updated_at = NOW
    bulk.update_rows(Order, fields, fast)
    same_rows(stored("orders_order", "id", [o.pk for o in orm]), stored("orders_order", "id", [o.pk for o in fast]),
              ignore={"customer_id", "created_at", "address_detail", "recipient", "phone"})
