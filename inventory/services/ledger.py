"""The one way levels change: a `LedgerBatch` applies deltas to locked rows and writes ledger rows.

Every service collects its movements in a batch while holding the stock row locks, then `flush()`
writes new lots, the changed lots and stock rows, and the ledger rows in a handful of bulk
queries. Because the same call changes the level and appends the ledger row, levels equal ledger
sums by construction; `inventory.selectors.stock_drift` checks it anyway.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import actor_name, actor_user
from core.bulk import complete_rows, insert_rows, update_rows
from core.errors import InsufficientStock, PermissionDenied
from inventory.models import Lot, Stock, StockMovement


def require_perm(actor, perm: str) -> None:
    """Users need the permission; system actors (jobs, API tokens, other stages) are trusted callers."""
    if getattr(actor, "is_authenticated", False) and not actor.has_perm(perm):
        raise PermissionDenied()


class LedgerBatch:
    def __init__(self, *, actor, reference: str = "", reason: str = "", order=None):
        self.actor = actor
        self.reference = reference
        self.reason = reason
        self.order = order
        self.at = timezone.now()
        self.actor_label = actor_name(actor)  # as ledger rows and timeline events name the actor
        user = actor_user(actor)
        self.actor_id = user.pk if user else None
        self.rows: list[dict] = []  # ledger rows by attname (`move`)
        self._rows_of_new_lots: list[tuple[dict, Lot]] = []
        self._stocks: dict[int, Stock] = {}
        self._lots: dict[int, Lot] = {}
        self._new_lots: list[Lot] = []

    def new_lot(self, *, stock: Stock, batch_number: str, received_at=None, expiry_date=None, bin=None,
                quarantined: bool = False, unit_cost=None) -> Lot:
        lot = Lot(stock=stock, batch_number=batch_number, received_at=received_at or self.at,
                  expiry_date=expiry_date, bin=bin, quantity=0, reserved=0, quarantined=quarantined,
                  unit_cost=unit_cost)
        self._new_lots.append(lot)
        return lot

    def move(self, *, kind: str, stock: Stock, lot: Lot, on_hand: int = 0, reserved: int = 0, quarantined: int = 0,
             order=None, order_line=None, order_line_id: int | None = None, reason: str | None = None,
             reference: str | None = None) -> None:
        if lot.quarantined and (on_hand or reserved):
            raise ValueError("a quarantine lot only moves quarantined stock")
        if not lot.quarantined and quarantined:
            raise ValueError("a sellable lot does not hold quarantined stock")
        stock.on_hand += on_hand
        stock.reserved += reserved
        stock.quarantined += quarantined
        lot.quantity += on_hand + quarantined
        lot.reserved += reserved
        if min(stock.on_hand, stock.reserved, stock.quarantined, lot.quantity, lot.reserved) < 0 \
                or stock.reserved > stock.on_hand or lot.reserved > lot.quantity:
            # Services validate first and explain; this is the safety net that keeps levels sane.
            raise InsufficientStock(
                _("Not enough stock of %(sku)s in %(warehouse)s.")
                % {"sku": stock.product.sku, "warehouse": stock.warehouse.code},
                data={"sku": stock.product.sku, "warehouse": stock.warehouse.code},
            )
        stock.updated_at = self.at
        self._stocks[stock.pk] = stock
        if lot.pk is not None:
            self._lots[lot.pk] = lot
        order = order or self.order
        # A row, not a model instance: a batch reserving thousands of orders writes tens of thousands
        # of ledger rows, and building an instance each cost more than the rest of its Python.
        row = {
            "at": self.at, "kind": kind, "stock_id": stock.pk, "lot_id": lot.pk, "on_hand_delta": on_hand,
            "reserved_delta": reserved, "quarantined_delta": quarantined,
            "reference": self.reference if reference is None else reference,
            "reason": (self.reason if reason is None else reason)[:255], "order_id": order.pk if order else None,
            "order_line_id": order_line.pk if order_line is not None else order_line_id,
            "actor_id": self.actor_id, "actor_name": self.actor_label,
        }
        if lot.pk is None:
            self._rows_of_new_lots.append((row, lot))  # its id is known once the lot is written (`flush`)
        self.rows.append(row)

    @property
    def stocks(self) -> list[Stock]:
        return list(self._stocks.values())

    def flush(self) -> list[StockMovement]:
        """Write the batch; returns its ledger rows as instances (without ids: see `write`)."""
        return [StockMovement(**row) for row in self.write()]

    def write(self) -> list[dict]:
        """Write new lots, changed lots and stock rows, and the ledger rows (returned as written)."""
        if self._new_lots:
            Lot.objects.bulk_create(self._new_lots)
            for row, lot in self._rows_of_new_lots:
                row["lot_id"] = lot.pk
        if self._lots:
            update_rows(Lot, ["quantity", "reserved"], self._lots.values())
        if self._stocks:
            update_rows(Stock, ["on_hand", "reserved", "quarantined", "updated_at"], self._stocks.values())
        # Ledger rows are written without reading their ids back (COPY on PostgreSQL): nothing
        # refers to a movement by id, and they are most of what a reservation writes.
        written, self.rows = complete_rows(StockMovement, self.rows), []
        insert_rows(StockMovement, written)
        self._new_lots, self._rows_of_new_lots, self._lots, self._stocks = [], [], {}, {}
        return written

