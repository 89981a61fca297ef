"""The funds side of shipping, delegated to the finance stage.

Revenue is recognised when goods leave (for cash on delivery a receivable is booked at the same
time), and the cash a courier collects is recorded when the parcel is signed for.
"""

from __future__ import annotations


def shipment_revenue_recognise(*, shipment, order, quantities: dict[int, int], actor) -> None:
    """Recognise revenue (and the COD receivable) for the units of `quantities` that left with `shipment`."""
    # Wired to the finance stage once it lands (see the branch report).


def shipment_cod_collect(*, shipment, order, actor) -> None:
    """Record the cash the courier collected on delivery of `shipment`."""
    # Wired to the finance stage once it lands (see the branch report).
