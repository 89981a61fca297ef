"""Creating many orders at once: the orders stage's bulk counterpart of `order_create` (the legacy import).

The caller has checked every order with the rules `order_create` applies (`order_input_problems`)
and priced its lines (`priced_line_values`); this module only writes. It writes, in bulk through
`core.bulk`, exactly the rows `order_create` would: customers found or created (the oldest customer
with the phone and name, else a new one, with its audit history), orders with their audit history,
lines, and one timeline event per order. Nothing else writes these tables in bulk.

Three steps, so that a caller can build every row before the transaction that writes them (on
SQLite, whose writers take turns, one import worker then builds while another writes):

1. `orders_bulk_reserve(count)`: the orders' numbers and ids, taken in a short transaction of their
   own and committed at once (held by the batch's transaction, the day's number counter would make
   every other writer of orders wait for the whole batch);
2. `orders_bulk_prepare(...)`: every row, adapted for the database, outside any transaction;
3. `orders_bulk_write(prepared=...)`: inside the caller's transaction; a (channel, external id)
   that exists meanwhile raises `IntegrityError`, and the caller decides (the import retries
   order by order). `orders_bulk_give_back(numbers)` returns the numbers a batch did not use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.actors import actor_name, actor_user
from core.bulk import (
    Prepared,
    complete_rows,
    insert_history,
    insert_prepared,
    prepare_history,
    prepare_rows,
    reserve_ids,
)
from core.fieldcrypto import blind_index_lookups
from core.money import ZERO
from core.numbering import give_back_order_numbers, next_order_numbers
from orders.events import event_row
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderStatus
from orders.services.funds import payment_status_for

# Orders created in these statuses have shipped every unit already (a legacy order shipped or completed
# in the old system): their lines say so, so that after-sales can take returns and refunds for them.
SHIPPED_STATUSES = (OrderStatus.SHIPPED, OrderStatus.COMPLETED)


@dataclass(slots=True)
class NewOrder:
    """One checked order for `orders_bulk_prepare`; text already stripped, phones normalised."""

    channel_id: int
    external_id: str
    customer_name: str
    customer_phone: str
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    address_detail: str
    status: str
    payment_method: str
    lines: list[dict]  # `priced_line_values` rows
    subtotal: Decimal
    discount_total: Decimal
    shipping_fee: Decimal
    paid_amount: Decimal
    ordered_at: datetime
    note: str
    event_message: str  # the order's one timeline entry, already in the timeline's language (zh-hans)
    event_data: dict
    invoice_request: dict = field(default_factory=dict)  # the buyer's 发票抬头 (the import's invoice columns)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount_total + self.shipping_fee


@dataclass
class PreparedOrders:
    """A batch's rows, adapted before its transaction, but the orders' customers (`orders_bulk_write`)."""

    customers: list[tuple[str, str]]  # (phone, name) of each order, in the order of `orders`
    orders: Prepared
    history: Prepared
    lines: Prepared
    events: Prepared
    user_id: int | None
    reason: str
    ids: list[int]
    statuses: list[str]


class _Funds:
    """The funds fields `payment_status_for` reads, for an order that is still a row."""

    __slots__ = ("paid_amount", "refunded_amount", "payment_method", "total")

    def __init__(self, row: dict):
        self.paid_amount, self.refunded_amount = row["paid_amount"], row["refunded_amount"]
        self.payment_method, self.total = row["payment_method"], row["total"]


def orders_bulk_reserve(count: int) -> tuple[list[int], list[str]]:
    """(ids, numbers) for `count` new orders, committed at once; see the module docstring."""
    numbers = next_order_numbers(count)
    ids = reserve_ids(Order, count)
    return ids, numbers


def orders_bulk_give_back(numbers: list[str]) -> None:
    """Numbers of `orders_bulk_reserve` a batch did not use (given back when nobody took one since)."""
    give_back_order_numbers(numbers)


def orders_bulk_prepare(*, orders: list[NewOrder], ids: list[int], numbers: list[str], source: str, event_kind: str,
                        actor, reason: str = "", at: datetime | None = None) -> PreparedOrders:
    """Every row `orders_bulk_write` writes for these orders, adapted for the database.

    `ids` and `numbers` come from `orders_bulk_reserve`; `reason` is the audit history's change reason.
    """
    user = actor_user(actor)
    user_id = user.pk if user else None
    label = actor_name(actor)
    now = at or timezone.now()
    rows = []
    for item, order_id, number in zip(orders, ids, numbers, strict=True):
        row = {
            "id": order_id, "number": number, "channel_id": item.channel_id, "external_id": item.external_id,
            "customer_id": None, "source": source,
            "recipient": item.recipient, "phone": item.phone, "province": item.province,
            "city": item.city, "district": item.district,
            "address_detail": item.address_detail, "status": item.status,
            "payment_method": item.payment_method, "subtotal": item.subtotal,
            "discount_total": item.discount_total, "shipping_fee": item.shipping_fee, "total": item.total,
            "paid_amount": item.paid_amount, "refunded_amount": ZERO, "note": item.note,
            "ordered_at": item.ordered_at, "invoice_request": item.invoice_request,
        }
        row["payment_status"] = payment_status_for(order=_Funds(row))
        rows.append(row)
    rows = complete_rows(Order, rows)
    lines, events = [], []
    for item, order_id in zip(orders, ids, strict=True):
        if item.status in SHIPPED_STATUSES:  # the goods left before the order came here (a legacy order)
            lines.extend({**line, "order_id": order_id, "quantity_shipped": line["quantity"]} for line in item.lines)
        else:
            lines.extend({**line, "order_id": order_id} for line in item.lines)
        events.append(event_row(order_id=order_id, kind=event_kind, message=item.event_message, actor_id=user_id,
                                actor_label=label, at=now, data=item.event_data))
    prepared = prepare_rows(Order, rows, with_pk=True)
    return PreparedOrders(
        customers=[(item.customer_phone, item.customer_name) for item in orders],
        orders=prepared,
        history=prepare_history(Order, rows, when=now, user_id=user_id, reason=reason, main=prepared),
        lines=prepare_rows(OrderLine, complete_rows(OrderLine, lines)),
        events=prepare_rows(OrderEvent, complete_rows(OrderEvent, events)),
        user_id=user_id, reason=reason, ids=list(ids), statuses=[row["status"] for row in rows],
    )


@transaction.atomic
def orders_bulk_write(*, prepared: PreparedOrders) -> None:
    """Write a prepared batch: customers, orders and their history, lines, events.

    An order whose (channel, external id) exists raises `IntegrityError` (nothing of the batch is
    written then: the caller's transaction rolls back with it).
    """
    customers = _customers_for(prepared.customers, user_id=prepared.user_id, reason=prepared.reason)
    customer_ids = [customers[key] for key in prepared.customers]
    prepared.orders.set_column("customer_id", customer_ids)
    prepared.history.set_column("customer_id", customer_ids)
    for part in (prepared.orders, prepared.history, prepared.lines, prepared.events):
        insert_prepared(part)


def _customers_for(keys: list[tuple[str, str]], *, user_id: int | None, reason: str) -> dict[tuple[str, str], int]:
    """Customers by (phone, name), the rule of `order_create`: the oldest match, or a new one."""
    found = _oldest_customers({phone for phone, _name in keys})
    new = {}
    for key in keys:
        if key not in found and key not in new:
            new[key] = {"name": key[1], "phone": key[0]}
    if new:
        # Written like the orders (a first migration creates a customer for nearly every order),
        # then read back by phone: the oldest match of a new key is the row just written.
        rows = complete_rows(Customer, new.values())
        inserted = prepare_rows(Customer, rows)
        insert_prepared(inserted)
        found.update(_oldest_customers({phone for phone, _name in new}))
        for row in rows:
            row["id"] = found[(row["phone"], row["name"])]
        insert_history(Customer, rows, when=timezone.now(), user_id=user_id, reason=reason, main=inserted)
    return found


def _oldest_customers(phones: set[str]) -> dict[tuple[str, str], int]:
    # Phones are encrypted: look them up by their blind index, and match the hashes back to the
    # phones asked for (no row is decrypted).
    by_hash: dict[str, list[str]] = {}
    for phone in phones:
        for digest in blind_index_lookups("phone", phone):
            by_hash.setdefault(digest, []).append(phone)
    found: dict[tuple[str, str], int] = {}
    for pk, digest, name in (Customer.objects.filter(phone_index__in=by_hash).order_by("pk")
                             .values_list("pk", "phone_index", "name")):
        for phone in by_hash[digest]:
            found.setdefault((phone, name), pk)
    return found
