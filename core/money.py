"""Money is always a Decimal with two places, in CNY."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value) -> Decimal:
    """Quantize to cents, rounding half up like a cash register. Floats are refused: they lie."""
    if value.__class__ is Decimal:  # the common case first: bulk paths call this ~20 times an order
        try:
            return value.quantize(CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount of money: {value!r}") from exc
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    if value is None or value == "":
        return ZERO
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc


def money_str(value) -> str:
    """The API form: a string with exactly two decimals (`"199.00"`)."""
    return f"{to_money(value):.2f}"


def format_cny(value) -> str:
    """Display form for clerks: `¥1,234.50`."""
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


class MoneyField(models.DecimalField):
    """DecimalField with the project's money precision."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("default", ZERO)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs
