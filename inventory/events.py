"""Timeline entries of the goods flow, written through `orders.events.record_event`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.events import build_event, record_event, timeline_message


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
        message=timeline_message(_("Stock reserved: %(lines)s"), {"lines": _describe(rows)}), actor=actor,
        data={"reservations": rows, "warehouses": warehouses, "split": len(warehouses) > 1},
    )


def stock_released_event(*, order, actor, rows: list[dict], reason: str):
    return record_event(
        order=order, kind=StockEventKind.RELEASED,
        message=timeline_message(_("Stock released (%(reason)s): %(lines)s"),
                              {"reason": reason, "lines": _describe(rows)}),
        actor=actor, data={"releases": rows, "reason": reason},
    )
