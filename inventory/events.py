"""Timeline entries of the goods flow, written through `orders.events.record_event`."""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from orders.events import record_event


def _format_later(message, params: dict):
    """`message % params`, evaluated when `record_event` renders it in the timeline language.

    (`gettext_lazy(...) % {...}` would translate at once, in the language of the current request.)
    """
    return lazy(lambda: str(message) % params, str)()


class StockEventKind:
    RESERVED = "stock_reserved"
    RELEASED = "stock_released"


def _describe(rows: list[dict]) -> str:
    return "；".join(f"{row['sku']} × {row['quantity']}（{row['warehouse']}）" for row in rows)


def stock_reserved_event(*, order, actor, rows: list[dict]):
    warehouses = list(dict.fromkeys(row["warehouse"] for row in rows))
    return record_event(
        order=order, kind=StockEventKind.RESERVED,
        message=_format_later(_("Stock reserved: %(lines)s"), {"lines": _describe(rows)}), actor=actor,
        data={"reservations": rows, "warehouses": warehouses, "split": len(warehouses) > 1},
    )


def stock_released_event(*, order, actor, rows: list[dict], reason: str):
    return record_event(
        order=order, kind=StockEventKind.RELEASED,
        message=_format_later(_("Stock released (%(reason)s): %(lines)s"),
                              {"reason": reason, "lines": _describe(rows)}),
        actor=actor, data={"releases": rows, "reason": reason},
    )
