"""Revenue recognition at shipment, and its reversal for returns and allowances.

Called by the logistics stage when goods leave (`revenue_recognise`) and by after-sales when goods
come back (`revenue_reverse`) or a price allowance is refunded (`revenue_allowance`).

Prices are tax-inclusive. A line's amount (after its discount) is split into net and VAT by the
line's tax rate; the shipping fee at `settings.OMS_SHIPPING_TAX_RATE`, recognised with the first
shipment. Partial shipments take cumulative slices (amount × shipped/quantity, rounded), so the
slices of a fully shipped line add up to exactly the invoice's figures.

Posting: Dr advance receipts (what the customer paid in advance, as far as it goes) and Dr
accounts receivable (the rest: cash on delivery, or anything unpaid) / Cr revenue (net) / Cr output
VAT (tax). A reversal is the mirror image: Dr revenue, Dr output VAT / Cr accounts receivable (what
the customer still owes, as far as it goes) and Cr advance receipts (the rest, now owed back to the
customer, to be paid out by `refunds.refund_request`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from core.money import ZERO, to_money
from finance import events
from finance.models import Account, EntryKind, JournalEntry, RecognisedLine, RevenueComponent
from finance.selectors import order_balances, recognised_quantities, recognised_totals, shipping_recognised
from finance.services.ledger import Cr, Dr, journal_post
from finance.tax import shipping_tax_rate, split_gross
from orders.lock_objects import lock_order
from orders.models import Order, OrderLine


@dataclass(frozen=True)
class Slice:
    order_line: OrderLine | None
    component: str
    quantity: int
    gross: Decimal
    net: Decimal
    tax: Decimal
    tax_rate: Decimal


def _cumulative(line: OrderLine, quantity: int) -> tuple[Decimal, Decimal]:
    gross = to_money(line.amount * quantity / line.quantity)
    net, _tax = split_gross(gross, line.tax_rate)
    return gross, net


def line_slice(line: OrderLine, *, before: int, after: int) -> Slice:
    """Revenue of a line between two cumulative quantities (after < before for a reversal)."""
    gross_before, net_before = _cumulative(line, before)
    gross_after, net_after = _cumulative(line, after)
    gross, net = gross_after - gross_before, net_after - net_before
    return Slice(order_line=line, component=RevenueComponent.LINE, quantity=after - before, gross=gross, net=net,
                 tax=gross - net, tax_rate=line.tax_rate)


def shipping_slice(order: Order, *, sign: int = 1) -> Slice:
    rate = shipping_tax_rate()
    net, tax = split_gross(order.shipping_fee, rate)
    return Slice(order_line=None, component=RevenueComponent.SHIPPING, quantity=sign, gross=sign * order.shipping_fee,
                 net=sign * net, tax=sign * tax, tax_rate=rate)


def _store(entry: JournalEntry, order: Order, slices: list[Slice]) -> None:
    RecognisedLine.objects.bulk_create([
        RecognisedLine(entry=entry, order=order, order_line=s.order_line, component=s.component, quantity=s.quantity,
                       gross=s.gross, net=s.net, tax=s.tax, tax_rate=s.tax_rate)
        for s in slices
    ])


def _existing(kind: str, order: Order, reference: str) -> JournalEntry | None:
    return JournalEntry.objects.filter(kind=kind, order=order, reference=reference).first()


def _quantities(order: Order, wanted: dict[int, int] | None, *, available) -> dict[int, tuple[OrderLine, int]]:
    lines = {line.pk: line for line in order.lines.all()}
    if wanted is None:
        wanted = {pk: available(line) for pk, line in lines.items() if available(line) > 0}
    errors: dict[str, list[str]] = {}
    result = {}
    for line_id, quantity in wanted.items():
        line = lines.get(int(line_id))
        if line is None:
            errors[f"lines.{line_id}"] = [_("Not a line of this order.")]
            continue
        if not isinstance(quantity, int) or quantity <= 0:
            errors[f"lines.{line_id}"] = [_("Must be a positive whole number.")]
        elif quantity > available(line):
            errors[f"lines.{line_id}"] = [_("Only %(n)s left for this line.") % {"n": available(line)}]
        else:
            result[line.pk] = (line, quantity)
    if errors:
        raise ValidationFailed(errors=errors)
    return result


@transaction.atomic
def revenue_recognise(*, order: Order, reference: str, actor, lines: dict[int, int] | None = None
                      ) -> JournalEntry | None:
    """Recognise revenue for goods that left the warehouse. Idempotent on `reference` (a shipment number).

    `lines` maps order-line ids to shipped quantities; None means everything not yet recognised.
    """
    if not (reference or "").strip():
        raise ValidationFailed(errors={"reference": [_("A reference (shipment number) is required.")]})
    order = lock_order(order)
    existing = _existing(EntryKind.REVENUE, order, reference)
    if existing is not None:
        return existing
    done = recognised_quantities(order_id=order.pk)
    picked = _quantities(order, lines, available=lambda line: line.quantity - done.get(line.pk, 0))
    if not picked:
        raise ValidationFailed(errors={"lines": [_("Nothing left to recognise for this order.")]})
    slices = [line_slice(line, before=done.get(pk, 0), after=done.get(pk, 0) + qty)
              for pk, (line, qty) in picked.items()]
    if order.shipping_fee > 0 and shipping_recognised(order_id=order.pk) == 0:
        slices.append(shipping_slice(order))
    gross = sum((s.gross for s in slices), ZERO)
    if gross == 0 and all(s.net == 0 and s.tax == 0 for s in slices):
        return None  # goods given at no charge (an exchange replacement, a gift): nothing to recognise
    advance = max(order_balances(order_id=order.pk)[Account.ADVANCE], ZERO)
    from_advance = min(gross, advance)
    entry = journal_post(
        kind=EntryKind.REVENUE, order=order, reference=reference, actor=actor,
        legs=[Dr(Account.ADVANCE, from_advance), Dr(Account.RECEIVABLE, gross - from_advance),
              Cr(Account.REVENUE, sum((s.net for s in slices), ZERO)),
              Cr(Account.OUTPUT_VAT, sum((s.tax for s in slices), ZERO))],
        description=events.revenue_description(order=order, reference=reference),
    )
    _store(entry, order, slices)
    events.revenue_recognised_event(order=order, actor=actor, entry_number=entry.number, reference=reference,
                                    gross=gross, from_advance=from_advance)
    return entry


def _post_reversal(*, order: Order, slices: list[Slice], reference: str, actor, description) -> JournalEntry:
    gross = -sum((s.gross for s in slices), ZERO)
    receivable = max(order_balances(order_id=order.pk)[Account.RECEIVABLE], ZERO)
    to_receivable = min(gross, receivable)
    entry = journal_post(
        kind=EntryKind.REVENUE_REVERSAL, order=order, reference=reference, actor=actor,
        legs=[Dr(Account.REVENUE, -sum((s.net for s in slices), ZERO)),
              Dr(Account.OUTPUT_VAT, -sum((s.tax for s in slices), ZERO)),
              Cr(Account.RECEIVABLE, to_receivable), Cr(Account.ADVANCE, gross - to_receivable)],
        description=description,
    )
    _store(entry, order, slices)
    events.revenue_reversed_event(order=order, actor=actor, entry_number=entry.number, reference=reference,
                                  gross=gross, receivable_cleared=to_receivable)
    return entry


@transaction.atomic
def revenue_reverse(*, order: Order, reference: str, actor, lines: dict[int, int],
                    include_shipping: bool = False) -> JournalEntry:
    """Reverse recognised revenue for returned goods (`{order_line_id: quantity}`). Idempotent on reference."""
    if not (reference or "").strip():
        raise ValidationFailed(errors={"reference": [_("A reference (return number) is required.")]})
    order = lock_order(order)
    existing = _existing(EntryKind.REVENUE_REVERSAL, order, reference)
    if existing is not None:
        return existing
    done = recognised_quantities(order_id=order.pk)
    picked = _quantities(order, lines, available=lambda line: done.get(line.pk, 0))
    slices = [line_slice(line, before=done[pk], after=done[pk] - qty) for pk, (line, qty) in picked.items()]
    if include_shipping and shipping_recognised(order_id=order.pk) > 0:
        slices.append(shipping_slice(order, sign=-1))
    if not slices:
        raise ValidationFailed(errors={"lines": [_("Nothing to reverse.")]})
    return _post_reversal(order=order, slices=slices, reference=reference, actor=actor,
                          description=events.return_description(order=order, reference=reference))


@transaction.atomic
def revenue_allowance(*, order: Order, amount, reference: str, actor) -> JournalEntry:
    """A price allowance after shipment (money back, goods kept): revenue and VAT are reduced in the
    proportion of what was recognised for the order. Idempotent on reference."""
    amount = to_money(amount)
    order = lock_order(order)
    existing = _existing(EntryKind.REVENUE_REVERSAL, order, reference)
    if existing is not None:
        return existing
    totals = recognised_totals(order_id=order.pk)
    if amount <= 0 or amount > totals["gross"]:
        raise ValidationFailed(errors={"amount": [
            _("An allowance must be positive and at most the recognised revenue of ¥%(gross)s.")
            % {"gross": f"{totals['gross']:,.2f}"}]})
    tax = to_money(amount * totals["tax"] / totals["gross"])
    rate = (totals["tax"] / totals["net"]).quantize(Decimal("0.001")) if totals["net"] else ZERO
    slices = [Slice(order_line=None, component=RevenueComponent.ALLOWANCE, quantity=0, gross=-amount,
                    net=-(amount - tax), tax=-tax, tax_rate=rate)]
    return _post_reversal(order=order, slices=slices, reference=reference, actor=actor,
                          description=events.allowance_description(order=order, reference=reference))
