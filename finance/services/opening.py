"""Opening balances of orders migrated from the legacy system (the legacy import), booked in bulk.

A legacy order arrives with its status, total and the amount the customer paid, but its money lives
in the old books. At cut-over the journal takes it over as an accountant would (docs/imports.md,
"Money of imported orders"):

- an order still open (pending review, awaiting payment, awaiting shipment) or cancelled, with a
  paid amount: the money was received and the goods are still owed (or, cancelled, the money is
  owed back): one `Payment` (source `opening`) and one entry Dr bank / Cr advance receipts. When
  the order ships, `revenue_recognise` draws on that advance, so no receivable is booked for what
  the customer paid; a cancellation or after-sales refund pays out of it like any other payment;
- an order already shipped or completed: its revenue was recognised in the legacy system, so the
  entry records it as recognised — Dr bank (the paid amount, with its `Payment`) and Dr accounts
  receivable (anything still unpaid) / Cr revenue (net) / Cr output VAT — with the recognised lines
  of every order line and the shipping fee, so that a later return or allowance reverses it
  through the normal after-sales path. Nothing is left in advance receipts: the order is closed;
- an order with nothing paid and nothing recognised (open or cancelled, unpaid) books nothing.

Entries are of kind `opening`, posted at the order's date (the legacy period they belong to) and
referenced `opening`, so each order gets at most one. They are written with `core.bulk` in the
import's batch transaction; their voucher numbers are one block of the year's gapless sequence,
taken last, so the sequence is locked only while the batch commits.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import actor_name, actor_user
from core.bulk import complete_rows, insert_prepared, prepare_rows, reserve_ids
from core.money import ZERO
from core.numbering import next_values
from finance.models import (
    Account,
    EntryKind,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentSource,
    RecognisedLine,
    RevenueComponent,
)
from finance.tax import shipping_tax_rate, split_gross
from orders.models import Order, OrderLine, OrderStatus

try:  # the payment-row enum is being renamed PaymentState (issue 14); drop the fallback once both have merged
    from finance.models import PaymentState
except ImportError:  # pragma: no cover
    from finance.models import PaymentStatus as PaymentState

OPENING_REFERENCE = "opening"
#: Legacy statuses whose revenue the legacy system has recognised already (goods have left).
RECOGNISED_STATUSES = (OrderStatus.SHIPPED, OrderStatus.COMPLETED)


@transaction.atomic
def opening_balances_book(*, order_ids: list[int], actor) -> int:
    """Book the opening balances of these just-imported orders (see the module docstring); returns
    the number of journal entries written. Call inside the transaction that wrote the orders."""
    if not order_ids:
        return 0
    orders = list(Order.objects.filter(pk__in=order_ids).order_by("pk").values_list(
        "pk", "number", "external_id", "status", "total", "paid_amount", "shipping_fee", "payment_method",
        "ordered_at"))
    recognised_ids = [row[0] for row in orders if row[3] in RECOGNISED_STATUSES]
    lines_of: dict[int, list] = defaultdict(list)
    if recognised_ids:
        # Sorted here, not by the database: with ORDER BY id, SQLite walks the whole line table in
        # id order instead of looking the batch's orders up in the order index.
        for row in sorted(OrderLine.objects.filter(order_id__in=recognised_ids)
                          .values_list("pk", "order_id", "quantity", "amount", "tax_rate")):
            lines_of[row[1]].append(row)
    user = actor_user(actor)
    user_id, label = (user.pk if user else None), actor_name(actor)
    now = timezone.now()
    with translation.override("zh-hans"):
        advance_text = _("Opening balance of legacy order %(external_id)s (%(number)s): ¥%(paid)s received in "
                         "advance")
        recognised_text = _("Opening balance of legacy order %(external_id)s (%(number)s): revenue of "
                            "¥%(total)s recognised in the legacy system, ¥%(paid)s received")
    shipping_rate = shipping_tax_rate()

    payments, entries, legs, recognised = [], [], [], []
    for pk, number, external_id, status, total, paid, shipping_fee, method, ordered_at in orders:
        if status in RECOGNISED_STATUSES:
            if total <= 0 and paid <= 0:
                continue
            slices = []
            for line_id, _order_id, quantity, amount, rate in lines_of[pk]:
                net, tax = split_gross(amount, rate)
                slices.append((line_id, RevenueComponent.LINE, quantity, amount, net, tax, rate))
            if shipping_fee > 0:
                net, tax = split_gross(shipping_fee, shipping_rate)
                slices.append((None, RevenueComponent.SHIPPING, 1, shipping_fee, net, tax, shipping_rate))
            gross = sum((s[3] for s in slices), ZERO)
            entry_legs = [(Account.BANK, paid, ZERO), (Account.RECEIVABLE, gross - paid, ZERO),
                          (Account.REVENUE, ZERO, sum((s[4] for s in slices), ZERO)),
                          (Account.OUTPUT_VAT, ZERO, sum((s[5] for s in slices), ZERO))]
            description = recognised_text % {"external_id": external_id, "number": number,
                                             "total": f"{gross:,.2f}", "paid": f"{paid:,.2f}"}
        else:
            if paid <= 0:
                continue
            slices = []
            entry_legs = [(Account.BANK, paid, ZERO), (Account.ADVANCE, ZERO, paid)]
            description = advance_text % {"external_id": external_id, "number": number, "paid": f"{paid:,.2f}"}
        payment = None
        if paid > 0:
            payment = {"order_id": pk, "method": method, "source": PaymentSource.OPENING,
                       "reference": f"legacy:{external_id}"[:100], "amount": paid, "refunded_amount": ZERO,
                       "status": PaymentState.SUCCEEDED, "paid_at": ordered_at, "created_at": now,
                       "recorded_by_id": user_id, "actor_name": label}
            payments.append(payment)
        entries.append(({"order_id": pk, "kind": EntryKind.OPENING, "reference": OPENING_REFERENCE,
                         "description": description[:255], "posted_at": ordered_at, "created_by_id": user_id,
                         "actor_name": label}, payment, entry_legs, slices, pk))
    if not entries:
        return 0

    payment_ids = reserve_ids(Payment, len(payments))
    for payment, payment_id in zip(payments, payment_ids, strict=True):
        payment["id"] = payment_id
    entry_ids = reserve_ids(JournalEntry, len(entries))
    entry_rows = []
    for (row, payment, entry_legs, slices, order_id), entry_id in zip(entries, entry_ids, strict=True):
        row["id"] = entry_id
        row["payment_id"] = payment["id"] if payment is not None else None
        entry_rows.append(row)
        if not _balanced(entry_legs) or any(debit < 0 or credit < 0 for _a, debit, credit in entry_legs):
            raise ValueError(f"opening balance of order {order_id} is not a balanced entry: {entry_legs}")
        for account, debit, credit in entry_legs:
            if debit or credit:
                legs.append({"entry_id": entry_id, "account": account, "debit": debit, "credit": credit})
        for line_id, component, quantity, gross, net, tax, rate in slices:
            recognised.append({"entry_id": entry_id, "order_id": order_id, "order_line_id": line_id,
                               "component": component, "quantity": quantity, "gross": gross, "net": net,
                               "tax": tax, "tax_rate": rate})
    entry_rows = complete_rows(JournalEntry, entry_rows)
    prepared = [prepare_rows(Payment, complete_rows(Payment, payments), with_pk=True),
                None,  # the entries, once numbered
                prepare_rows(JournalLine, complete_rows(JournalLine, legs)),
                prepare_rows(RecognisedLine, complete_rows(RecognisedLine, recognised))]
    # Numbered last: the year's voucher sequence stays locked only until the batch commits.
    year = timezone.localdate().year
    for row, value in zip(entry_rows, next_values(f"JE-{year}", len(entry_rows)), strict=True):
        row["number"] = f"JE-{year}-{value:06d}"
    prepared[1] = prepare_rows(JournalEntry, entry_rows, with_pk=True)
    for part in prepared:
        insert_prepared(part)
    return len(entry_rows)


def _balanced(legs: list[tuple[str, Decimal, Decimal]]) -> bool:
    """Debits equal credits (`journal_post`'s rule, for entries written in bulk)."""
    return sum((d for _a, d, _c in legs), ZERO) == sum((c for _a, _d, c in legs), ZERO)
