"""Timeline entries of the goods flow, written through `orders.events.record_event`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.events import event_row, record_event, timeline_message, timeline_text


class StockEventKind:
    RESERVED = "stock_reserved"
    RELEASED = "stock_released"


def _describe(rows: list[dict]) -> str:
    return "；".join(f"{row['sku']} × {row['quantity']}（{row['warehouse']}）" for row in rows)


def stock_reserved_event_row(*, order_id: int, actor_id: int | None, actor_label: str, at, rows: list[dict]) -> dict:
    """The `stock_reserved` event as a row (`orders.events.event_row`): reservations write theirs
    together with the ledger rows, thousands at a time when an import reserves its open orders."""
    warehouses = list(dict.fromkeys(row["warehouse"] for row in rows))
    return event_row(
        order_id=order_id, kind=StockEventKind.RESERVED, actor_id=actor_id, actor_label=actor_label, at=at,
        message=timeline_text(timeline_message(_("Stock reserved: %(lines)s"), {"lines": _describe(rows)})),
        data={"reservations": rows, "warehouses": warehouses, "split": len(warehouses) > 1},
    )


def stock_released_event(*, order, actor, rows: list[dict], reason: str):
    return record_event(
        order=order, kind=StockEventKind.RELEASED,
        message=timeline_message(_("Stock released (%(reason)s): %(lines)s"),
                              {"reason": reason, "lines": _describe(rows)}),
        actor=actor, data={"releases": rows, "reason": reason},
    )
