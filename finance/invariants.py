"""Invariants of the funds flow, checked by the tests after every service (and usable in a shell).

`ledger_problems()` returns a list of human-readable problems, empty when everything agrees:

- every journal entry has lines and balances (debits = credits);
- the trial balance is zero (all debits = all credits);
- per order, the journal agrees with the subsidiary records and the order's summary:
  bank = paid − refunded = succeeded payments − paid-out refunds;
  revenue and output VAT = the recognised lines' net and tax;
  refunds payable = refunds requested and not yet paid or withdrawn;
  advance receipts − receivables = paid − refunds requested (not withdrawn) − recognised gross;
- per order, at most one active invoice; every credit note negates its voided invoice exactly;
- invoice and credit-note numbers have no gaps or duplicates within a year.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from core.money import ZERO, to_money
from finance.models import (
    Account,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentState,
    RecognisedLine,
    Refund,
    RefundStatus,
)
from orders.models import Order

HALF_CENT = Decimal("0.005")
NUMBER_RE = re.compile(r"^(INV|CN)-(\d{4})-(\d{6})$")


def _sums(qs, key: str, value: str) -> dict:
    return {row[key]: to_money(row["s"] or ZERO) for row in qs.values(key).annotate(s=Sum(value))}


def ledger_problems(*, order_ids=None) -> list[str]:
    problems: list[str] = []

    entries = JournalEntry.objects.annotate(dr=Sum("lines__debit"), cr=Sum("lines__credit"), n=Count("lines"))
    # Within half a cent, not `dr = cr`: SQLite sums the amounts as binary floats, so the legs of a
    # balanced entry (185.84 + 24.16 against 210.00) can differ in the last bit; amounts are whole cents.
    unbalanced = Q(dr__gt=F("cr") + HALF_CENT) | Q(dr__lt=F("cr") - HALF_CENT)
    for entry in entries.filter(Q(n=0) | unbalanced):
        problems.append(f"entry {entry.number} does not balance: Dr {entry.dr} Cr {entry.cr} ({entry.n} lines)")

    totals = JournalLine.objects.aggregate(dr=Sum("debit"), cr=Sum("credit"))
    if to_money(totals["dr"] or ZERO) != to_money(totals["cr"] or ZERO):
        problems.append(f"trial balance is not zero: Dr {totals['dr']} Cr {totals['cr']}")

    orders = Order.objects.all() if order_ids is None else Order.objects.filter(pk__in=list(order_ids))
    orders = list(orders.only("pk", "number", "paid_amount", "refunded_amount"))
    ids = [order.pk for order in orders]

    balances: dict[int, dict[str, object]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in (JournalLine.objects.filter(entry__order_id__in=ids).values("entry__order_id", "account")
                .annotate(dr=Sum("debit"), cr=Sum("credit"))):
        balances[row["entry__order_id"]][row["account"]] = to_money(row["dr"] - row["cr"])
    paid = _sums(Payment.objects.filter(order_id__in=ids, status=PaymentState.SUCCEEDED), "order_id", "amount")
    payment_refunded = _sums(Payment.objects.filter(order_id__in=ids), "order_id", "refunded_amount")
    refunded = _sums(Refund.objects.filter(order_id__in=ids, status=RefundStatus.SUCCEEDED), "order_id", "amount")
    earmarked = _sums(Refund.objects.filter(order_id__in=ids, external=False)
                      .exclude(status=RefundStatus.WITHDRAWN), "order_id", "amount")
    external = _sums(Refund.objects.filter(order_id__in=ids, external=True), "order_id", "amount")
    open_refunds = _sums(Refund.objects.filter(order_id__in=ids, status__in=[RefundStatus.PENDING,
                                                                               RefundStatus.FAILED]),
                         "order_id", "amount")
    # Sums quantized to cents: SQLite adds decimals as binary floats (8.85 comes back as 8.8499…).
    recognised = {row["order_id"]: {key: to_money(row[key] or ZERO) for key in ("gross", "net", "tax")}
                  for row in RecognisedLine.objects.filter(order_id__in=ids)
                  .values("order_id").annotate(gross=Sum("gross"), net=Sum("net"), tax=Sum("tax"))}

    for order in orders:
        b = balances[order.pk]
        bank = b[Account.BANK]
        if bank != order.paid_amount - order.refunded_amount:
            problems.append(f"{order.number}: bank {bank} != paid {order.paid_amount} - "
                            f"refunded {order.refunded_amount}")
        if paid.get(order.pk, ZERO) != order.paid_amount:
            problems.append(f"{order.number}: payments {paid.get(order.pk, ZERO)} != order paid {order.paid_amount}")
        if refunded.get(order.pk, ZERO) != order.refunded_amount:
            problems.append(f"{order.number}: refunds {refunded.get(order.pk, ZERO)} != "
                            f"order refunded {order.refunded_amount}")
        if payment_refunded.get(order.pk, ZERO) != order.refunded_amount:
            problems.append(f"{order.number}: payments' refunded {payment_refunded.get(order.pk, ZERO)} != "
                            f"order refunded {order.refunded_amount}")
        rec = recognised.get(order.pk, {"gross": ZERO, "net": ZERO, "tax": ZERO})
        if -b[Account.REVENUE] != rec["net"]:
            problems.append(f"{order.number}: revenue {-b[Account.REVENUE]} != recognised net {rec['net']}")
        if -b[Account.OUTPUT_VAT] != rec["tax"]:
            problems.append(f"{order.number}: output VAT {-b[Account.OUTPUT_VAT]} != recognised tax {rec['tax']}")
        if -b[Account.REFUNDS_PAYABLE] != open_refunds.get(order.pk, ZERO):
            problems.append(f"{order.number}: refunds payable {-b[Account.REFUNDS_PAYABLE]} != open refunds "
                            f"{open_refunds.get(order.pk, ZERO)}")
        customer = -b[Account.ADVANCE] - b[Account.RECEIVABLE]
        expected = (order.paid_amount - earmarked.get(order.pk, ZERO) - external.get(order.pk, ZERO)
                    - rec["gross"])
        if customer != expected:
            problems.append(f"{order.number}: advance - receivable {customer} != paid - refunds - recognised "
                            f"{expected}")

    problems.extend(_invoice_problems(ids))
    return problems


def _invoice_problems(order_ids) -> list[str]:
    problems = []
    doubles = (Invoice.objects.filter(order_id__in=order_ids, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
               .values("order_id").annotate(n=Count("id")).filter(n__gt=1))
    for row in doubles:
        problems.append(f"order {row['order_id']} has {row['n']} active invoices")
    for note in (Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, order_id__in=order_ids)
                 .select_related("original")):
        original = note.original
        if original.status != InvoiceStatus.VOIDED:
            problems.append(f"credit note {note.number} for {original.number}, which is not voided")
        if (note.total, note.net_total, note.tax_total) != (-original.total, -original.net_total, -original.tax_total):
            problems.append(f"credit note {note.number} does not negate {original.number}")
    for invoice in Invoice.objects.filter(order_id__in=order_ids).annotate(
            gross=Sum("lines__gross"), net=Sum("lines__net"), tax=Sum("lines__tax")):
        invoice.gross, invoice.net, invoice.tax = (to_money(value or ZERO) for value in
                                                    (invoice.gross, invoice.net, invoice.tax))
        if (invoice.gross, invoice.net, invoice.tax) != (invoice.total, invoice.net_total, invoice.tax_total):
            problems.append(f"invoice {invoice.number}: totals do not match its lines")
        if invoice.net + invoice.tax != invoice.gross:
            problems.append(f"invoice {invoice.number}: net + tax != gross")
    problems.extend(numbering_problems())
    return problems


def numbering_problems() -> list[str]:
    series: dict[tuple[str, str], list[int]] = defaultdict(list)
    for number in Invoice.objects.values_list("number", flat=True):
        match = NUMBER_RE.match(number)
        if not match:
            return [f"invoice number {number} is malformed"]
        series[(match.group(1), match.group(2))].append(int(match.group(3)))
    problems = []
    for (prefix, year), values in series.items():
        if sorted(values) != list(range(1, len(values) + 1)):
            problems.append(f"{prefix}-{year} numbers are not gapless: {sorted(values)[:20]}")
    return problems

