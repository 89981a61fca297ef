"""Reads of the funds flow: balances, invoice lists, the receivables aging report."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DocumentNotAvailable
from core.money import ZERO, MoneyField
from finance.models import (
    DEBIT_NORMAL,
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
    RefundApproval,
    RefundApprovalStatus,
    RefundStatus,
    RevenueComponent,
)


def order_balances(*, order_id: int) -> dict[str, Decimal]:
    """Balance per account for one order, on each account's normal side (asset debit, else credit)."""
    rows = (JournalLine.objects.filter(entry__order_id=order_id).values("account")
            .annotate(dr=Sum("debit"), cr=Sum("credit")))
    balances = {account: ZERO for account in Account.values}
    for row in rows:
        signed = row["dr"] - row["cr"]
        balances[row["account"]] = signed if row["account"] in DEBIT_NORMAL else -signed
    return balances


def order_advance_balance(*, order_id: int) -> Decimal:
    """What we hold for the customer and owe them goods or money for (advance receipts)."""
    return order_balances(order_id=order_id)[Account.ADVANCE]


def trial_balance() -> dict[str, Decimal]:
    """Debit minus credit per account over the whole journal; the values sum to zero."""
    rows = JournalLine.objects.values("account").annotate(dr=Sum("debit"), cr=Sum("credit"))
    return {row["account"]: row["dr"] - row["cr"] for row in rows}


def recognised_quantities(*, order_id: int) -> dict[int, int]:
    """Net recognised quantity per order line (recognitions minus reversals)."""
    rows = (RecognisedLine.objects.filter(order_id=order_id, component=RevenueComponent.LINE)
            .values("order_line_id").annotate(qty=Sum("quantity")))
    return {row["order_line_id"]: row["qty"] for row in rows}


def recognised_totals(*, order_id: int) -> dict[str, Decimal]:
    agg = RecognisedLine.objects.filter(order_id=order_id).aggregate(gross=Sum("gross"), net=Sum("net"), tax=Sum("tax"))
    return {key: value or ZERO for key, value in agg.items()}


def shipping_recognised(*, order_id: int) -> Decimal:
    agg = (RecognisedLine.objects.filter(order_id=order_id, component=RevenueComponent.SHIPPING)
           .aggregate(s=Sum("gross")))
    return agg["s"] or ZERO


def refundable_payments(*, order_id: int) -> list[Payment]:
    """Succeeded payments with money left to refund after pending refunds, newest first."""
    payments = (Payment.objects.filter(order_id=order_id, status=PaymentState.SUCCEEDED)
                .annotate(pending=Sum("refunds__amount", filter=Q(refunds__status__in=[RefundStatus.PENDING,
                                                                                       RefundStatus.FAILED])))
                .order_by("-paid_at", "-id"))
    result = []
    for payment in payments:
        payment.available = payment.amount - payment.refunded_amount - (payment.pending or ZERO)
        if payment.available > 0:
            result.append(payment)
    return result


def active_invoice(*, order_id: int) -> Invoice | None:
    """The order's issued invoice; there is at most one (`finance_invoice_one_active_per_order`).

    Unordered on purpose: with `ORDER BY issued_at` PostgreSQL, whenever the table's statistics were
    stale (a young or fast-growing table), walked the (kind, status, issued_at) index through every
    issued invoice looking for this order's — for a new order, all of them, in the job after every
    order. Without it the lookup goes by order."""
    return next(iter(Invoice.objects.filter(order_id=order_id, kind=InvoiceKind.INVOICE,
                                            status=InvoiceStatus.ISSUED).order_by()[:1]), None)


def invoice_for_document(*, order) -> Invoice:
    """The order's current invoice for the documents API; DocumentNotAvailable until one is issued."""
    invoice = active_invoice(order_id=order.pk)
    if invoice is None:
        raise DocumentNotAvailable(gettext("Order %(number)s has no invoice yet.") % {"number": order.number})
    return invoice


def invoices_with_lines(ids) -> list[Invoice]:
    """Invoices for PDFs, in the order of `ids`, with everything the template prints (3 queries)."""
    ids = list(ids)
    invoices = (Invoice.objects.filter(pk__in=ids)
                .select_related("order", "order__channel", "original")
                .prefetch_related("lines"))
    by_id = {invoice.pk: invoice for invoice in invoices}
    return [by_id[pk] for pk in ids if pk in by_id]


@dataclass
class InvoiceFilters:
    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""
    status: str = ""  # issued / voided / credit_note
    printed: str = ""  # "yes" / "no" / ""
    query: str = ""


def invoice_list(*, filters: InvoiceFilters) -> QuerySet[Invoice]:
    qs = Invoice.objects.select_related("order", "order__channel", "printed_by")
    if filters.date_from:
        qs = qs.filter(issued_at__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(issued_at__date__lte=filters.date_to)
    if filters.channel:
        qs = qs.filter(order__channel__code=filters.channel)
    if filters.status == "credit_note":
        qs = qs.filter(kind=InvoiceKind.CREDIT_NOTE)
    elif filters.status in InvoiceStatus.values:
        qs = qs.filter(kind=InvoiceKind.INVOICE, status=filters.status)
    if filters.printed == "yes":
        qs = qs.filter(printed_at__isnull=False)
    elif filters.printed == "no":
        qs = qs.filter(printed_at__isnull=True)
    if filters.query:
        q = filters.query.strip()
        qs = qs.filter(Q(number__icontains=q) | Q(order__number__icontains=q) | Q(buyer_name__icontains=q))
    return qs.order_by("-issued_at", "-id")


def order_funds(*, order_id: int) -> dict:
    """Everything the funds page of an order shows, with joins done."""
    return {
        "payments": list(Payment.objects.filter(order_id=order_id).select_related("recorded_by")),
        "refunds": list(Refund.objects.filter(order_id=order_id).select_related("payment")),
        "invoices": list(Invoice.objects.filter(order_id=order_id).select_related("original")),
        "entries": list(JournalEntry.objects.filter(order_id=order_id).prefetch_related("lines")
                        .order_by("posted_at", "id")),
        "balances": order_balances(order_id=order_id),
        "approvals": list(RefundApproval.objects.filter(order_id=order_id)
                          .select_related("requested_by", "decided_by").order_by("requested_at", "id")),
    }


def refund_approvals_pending(*, user=None) -> QuerySet[RefundApproval]:
    """Refunds waiting for approval, oldest first; with `user`, without the ones they asked for
    (nobody approves their own). Each row carries `held`: what is held for the customer now."""
    advance = JournalLine.objects.filter(account=Account.ADVANCE, entry__order_id=OuterRef("order_id"))
    held = Subquery(advance.values("entry__order_id").annotate(b=Sum("credit") - Sum("debit")).values("b")[:1])
    queryset = (RefundApproval.objects.filter(status=RefundApprovalStatus.PENDING)
                .select_related("order__customer", "order__channel", "requested_by")
                .annotate(held=Coalesce(held, ZERO, output_field=MoneyField()))
                .order_by("requested_at", "id"))
    if user is not None:
        queryset = queryset.exclude(requested_by=user)
    return queryset


def refund_approvals_decided(*, limit: int = 20) -> list[RefundApproval]:
    """The latest decisions, newest first (the queue shows them under the waiting ones)."""
    return list(RefundApproval.objects.exclude(status=RefundApprovalStatus.PENDING)
                .select_related("order", "requested_by", "decided_by").order_by("-decided_at", "-id")[:limit])


AGING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


@dataclass
class AgingRow:
    order_id: int
    order_number: str
    customer: str
    channel: str
    balance: Decimal
    oldest: datetime
    buckets: list[Decimal] = field(default_factory=list)


def receivables_aging(*, as_of: datetime | None = None) -> tuple[list[AgingRow], list[Decimal]]:
    """Open receivables per order, split into age buckets (days since the receivable was booked).

    Collections settle the oldest receivable first (FIFO). Two queries whatever the number of orders.
    """
    as_of = as_of or timezone.now()
    open_orders = (JournalLine.objects.filter(account=Account.RECEIVABLE).values("entry__order_id")
                   .annotate(dr=Sum("debit"), cr=Sum("credit")).filter(dr__gt=0))
    open_ids = [row["entry__order_id"] for row in open_orders if row["dr"] - row["cr"] > 0]
    lines = (JournalLine.objects.filter(account=Account.RECEIVABLE, entry__order_id__in=open_ids)
             .select_related("entry__order__customer", "entry__order__channel")
             .order_by("entry__order_id", "entry__posted_at", "id"))
    per_order: dict[int, list[JournalLine]] = defaultdict(list)
    for line in lines:
        per_order[line.entry.order_id].append(line)
    rows, totals = [], [ZERO] * len(AGING_BUCKETS)
    for order_id, order_lines in per_order.items():
        open_items: deque[list] = deque()  # [posted_at, remaining]
        credit_left = sum((line.credit for line in order_lines), ZERO)
        for line in order_lines:
            if line.debit:
                open_items.append([line.entry.posted_at, line.debit])
        while credit_left > 0 and open_items:
            item = open_items[0]
            used = min(item[1], credit_left)
            item[1] -= used
            credit_left -= used
            if item[1] == 0:
                open_items.popleft()
        if not open_items:
            continue
        order = order_lines[0].entry.order
        buckets = [ZERO] * len(AGING_BUCKETS)
        for posted_at, remaining in open_items:
            age = (as_of - posted_at).days
            for index, (low, high) in enumerate(AGING_BUCKETS):
                if age >= low and (high is None or age <= high):
                    buckets[index] += remaining
                    break
            else:
                buckets[0] += remaining  # booked in the future relative to as_of: current
        for index, value in enumerate(buckets):
            totals[index] += value
        rows.append(AgingRow(order_id=order_id, order_number=order.number, customer=order.customer.name,
                             channel=order.channel.name, balance=sum(buckets, ZERO), oldest=open_items[0][0],
                             buckets=buckets))
    rows.sort(key=lambda row: row.oldest)
    return rows, totals


def print_centre_counts() -> dict[str, int]:
    return Invoice.objects.aggregate(
        unprinted=Count("id", filter=Q(printed_at__isnull=True, status=InvoiceStatus.ISSUED)),
        total=Count("id"),
    )


def order_payment_covers_goods(*, order) -> bool:
    """May the goods still to ship leave? Cash on delivery always; a prepaid order only while the
    money held for the customer (advance receipts, after refunds requested) covers the value of
    what has not shipped yet. Revenue recognised at shipment moves money out of advance receipts;
    a return's reversal puts it back and its refund takes it out again, so returns and allowances
    after a partial shipment leave the comparison unchanged."""
    from orders.models import PaymentMethod

    if order.payment_method == PaymentMethod.COD:
        return True
    shipped = (RecognisedLine.objects.filter(order_id=order.pk, gross__gt=0).aggregate(s=Sum("gross"))["s"]
               or ZERO)
    still_to_ship = order.total - shipped
    if still_to_ship <= 0:
        return True
    return order_advance_balance(order_id=order.pk) >= still_to_ship
