"""Timeline entries of the goods flow, written through `orders.events.record_event`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.events import build_event, record_event


class _FormatLater:
    """`message % params`, formatted when `record_event` renders it in the timeline language.

    (`gettext_lazy(...) % {...}` would translate at once, in the language of the current request;
    `django.utils.functional.lazy` would do, but builds a proxy class per call, which showed up in
    the import's profile at thousands of reservations per batch.)
    """

    __slots__ = ("message", "params")

    def __init__(self, message, params: dict):
        self.message, self.params = message, params

    def __str__(self) -> str:
        return str(self.message) % self.params


class StockEventKind:
    RESERVED = "stock_reserved"
    RELEASED = "stock_released"


def _describe(rows: list[dict]) -> str:
    return "；".join(f"{row['sku']} × {row['quantity']}（{row['warehouse']}）" for row in rows)


def build_stock_reserved_event(*, order, actor, rows: list[dict]):
    """The unsaved `stock_reserved` event; reservations write theirs together with the ledger rows."""
    warehouses = list(dict.fromkeys(row["warehouse"] for row in rows))
    return build_event(
        order=order, kind=StockEventKind.RESERVED,
        message=_FormatLater(_("Stock reserved: %(lines)s"), {"lines": _describe(rows)}), actor=actor,
        data={"reservations": rows, "warehouses": warehouses, "split": len(warehouses) > 1},
    )


def stock_released_event(*, order, actor, rows: list[dict], reason: str):
    return record_event(
        order=order, kind=StockEventKind.RELEASED,
        message=_FormatLater(_("Stock released (%(reason)s): %(lines)s"),
                              {"reason": reason, "lines": _describe(rows)}),
        actor=actor, data={"releases": rows, "reason": reason},
    )
