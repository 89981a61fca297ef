"""VAT on tax-inclusive prices (价税合计): split a gross amount into net and tax."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from core.money import to_money


def split_gross(gross, rate) -> tuple[Decimal, Decimal]:
    """`(net, tax)` of a tax-inclusive amount: net rounded half up to cents, tax the remainder.

    The remainder rule keeps net + tax == gross to the cent, which the journal needs.
    """
    gross = to_money(gross)
    rate = Decimal(str(rate))
    net = to_money(gross / (Decimal("1") + rate))
    return net, gross - net


def shipping_tax_rate() -> Decimal:
    return Decimal(str(settings.OMS_SHIPPING_TAX_RATE))
