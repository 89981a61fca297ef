"""The funds side of shipping, delegated to the finance stage.

Revenue is recognised when goods leave (for cash on delivery, or anything unpaid, the customer's
debt is booked as a receivable at the same time), and the cash a courier collects is recorded when
the parcel is signed for. Both are idempotent on the shipment number.
"""

from __future__ import annotations

from finance import services as finance


def shipment_revenue_recognise(*, shipment, order, quantities: dict[int, int], actor) -> None:
    """Recognise revenue (and the receivable) for the units of `quantities` that left with `shipment`."""
    finance.revenue_recognise(order=order, reference=shipment.number, lines=quantities, actor=actor)


def shipment_cod_collect(*, shipment, order, actor) -> None:
    """Record the cash the courier collected on delivery of `shipment` (its `cod_amount`)."""
    finance.cod_collect(order=order, amount=shipment.cod_amount, reference=shipment.number, actor=actor,
                        collected_at=shipment.delivered_at)
