"""Reserving stock for orders (allocation) and releasing it again."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.bulk import complete_rows, insert_rows, update_rows, write_pipeline
from core.errors import InsufficientStock, InvalidTransition
from core.regions import canonical_province, region_of
from inventory.allocation import AllocationRequest, Candidate, LineDemand, LotOption, get_strategy
from inventory.allocation_sql import (
    free_unexpired_lots,
    lock_allocatable_stocks,
    order_lines_with_holdings,
    warehouse_ranks,
)
from inventory.events import stock_released_event, stock_reserved_event_row
from inventory.lock_objects import lock_stocks
from inventory.models import Lot, MovementKind, Reservation
from inventory.services.ledger import LedgerBatch
from orders.events import TimelineJoin, record_event_rows, timeline_message
from orders.lock_objects import lock_order, lock_order_versions
from orders.models import Order, OrderStatus
from orders.services import order_line_quantities_set

RESERVABLE_STATUSES = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
                       OrderStatus.AWAITING_SHIPMENT)


@dataclass
class ReservationResult:
    order: Order
    rows: list[dict] = field(default_factory=list)  # per line and warehouse: sku, quantity, lots

    @property
    def reserved_anything(self) -> bool:
        return bool(self.rows)


@dataclass(frozen=True)
class _Line:
    pk: int
    product_id: int
    sku: str
    quantity: int
    quantity_reserved: int
    held: int  # reserved + already issued, from the reservation rows

    @property
    def open(self) -> int:
        """Units neither reserved nor issued yet: what a retry still has to reserve."""
        return self.quantity - self.held


def _order_lines(order: Order) -> list[_Line]:
    return [_Line(*row) for row in order_lines_with_holdings([order.pk])[order.pk]]


class _Short(InsufficientStock):
    """The plan found the order short, before anything was taken: the one shortage a batch may skip.

    (`LedgerBatch.move`'s own safety net also raises `InsufficientStock`, after in-memory levels
    changed; a batch must not carry on past that one.)
    """


class _Allocator:
    """Stock rows and lots locked by one transaction, reserved from for one order after another.

    Levels change in memory as each order is reserved (through the ledger batch), so a later order
    sees only what earlier ones left; `flush` then writes the levels, ledger rows, reservations,
    line summaries and timeline events of all of them in a few statements. `order_stock_reserve`
    uses it for one order, `orders_stock_reserve` for a batch (the legacy import).
    """

    def __init__(self, *, stocks: list, lots_by_stock: dict, actor, strategy=None):
        self.actor = actor
        self.strategy = strategy or get_strategy()
        self.stocks_by_product: dict[int, list] = defaultdict(list)
        for stock in stocks:
            self.stocks_by_product[stock.product_id].append(stock)
        self.lots_by_stock = lots_by_stock
        self.batch = LedgerBatch(actor=actor, reason=_("Reserved for order"))
        self.new_reservations: list[dict] = []  # rows: thousands per batch in the legacy import
        self.changed_reservations: list[Reservation] = []
        self.line_quantities: dict[int, dict[str, int]] = {}
        self.events: list[dict] = []  # `stock_reserved` event rows

    def reserve(self, *, order: Order, lines: list[_Line], rank_of) -> ReservationResult:
        """Plan and take every open unit of the order, or raise `InsufficientStock` having taken nothing.

        `rank_of(stock)` is the order's province's priority for the stock row's warehouse.
        """
        demands = tuple(LineDemand(line_id=line.pk, product_id=line.product_id, quantity=line.open)
                        for line in lines if line.open > 0)
        result = ReservationResult(order=order)
        if not demands:
            return result
        province = canonical_province(order.province)
        per_wh: dict[int, dict] = {}
        stock_at: dict[tuple[int, int], object] = {}
        for product_id in sorted({d.product_id for d in demands}):
            for stock in self.stocks_by_product.get(product_id, ()):
                free_in_lots = sum(lot.free for lot in self.lots_by_stock.get(stock.pk, ()))
                stock_at[(stock.warehouse_id, stock.product_id)] = stock
                entry = per_wh.setdefault(stock.warehouse_id, {"stock": stock, "available": {}})
                entry["available"][stock.product_id] = min(stock.available, free_in_lots)
        candidates = tuple(
            Candidate(warehouse_id=wid, code=entry["stock"].warehouse_code,
                      region=region_of(entry["stock"].warehouse_province), rank=rank_of(entry["stock"]),
                      available=entry["available"])
            for wid, entry in per_wh.items()
        )
        plan = self.strategy.plan(AllocationRequest(demands=demands, province=province, region=region_of(province),
                                                    candidates=candidates))
        line_by_id = {line.pk: line for line in lines}
        if plan is None:
            shortages = _shortages(demands, candidates, line_by_id)
            raise _Short(shortage_message(shortages), data={"shortages": shortages})

        reservations: dict[tuple[int, int], Reservation] = {}
        if any(line.held for line in lines):
            reservations = {(r.order_line_id, r.lot_id): r for r in Reservation.objects.filter(order=order)}
        reserved_now: dict[int, int] = defaultdict(int)
        for pick in plan.picks:
            line = line_by_id[pick.line_id]
            stock = stock_at[(pick.warehouse_id, line.product_id)]
            lots = {lot.pk: lot for lot in self.lots_by_stock.get(stock.pk, ())}
            options = [LotOption(lot_id=lot.pk, free=lot.free, received_at=lot.received_at,
                                 expiry_date=lot.expiry_date) for lot in lots.values() if lot.free > 0]
            wanted = pick.quantity
            taken_lots = []
            for option in self.strategy.lot_order(options):
                if wanted == 0:
                    break
                lot = lots[option.lot_id]
                take = min(wanted, lot.free)
                if take <= 0:
                    continue
                self.batch.move(kind=MovementKind.RESERVATION, stock=stock, lot=lot, reserved=take,
                                order_line_id=line.pk, order=order, reference=order.number)
                existing = reservations.get((line.pk, lot.pk))
                if existing is not None:
                    existing.quantity += take
                    self.changed_reservations.append(existing)
                else:
                    self.new_reservations.append({
                        "order_id": order.pk, "order_line_id": line.pk, "stock_id": stock.pk, "lot_id": lot.pk,
                        "quantity": take, "quantity_issued": 0, "created_at": self.batch.at})
                taken_lots.append({"batch": lot.batch_number, "quantity": take})
                wanted -= take
            if wanted:  # the strategy promised more than the lots hold: a broken strategy, not a shortage
                raise RuntimeError(f"plan for line {line.pk} exceeds the free lots of warehouse {stock.warehouse_id}")
            reserved_now[line.pk] += pick.quantity
            result.rows.append({"line_id": line.pk, "sku": line.sku, "warehouse": stock.warehouse_code,
                                "quantity": pick.quantity, "lots": taken_lots})
        for line_id, qty in reserved_now.items():
            self.line_quantities[line_id] = {"quantity_reserved": line_by_id[line_id].quantity_reserved + qty}
        self.events.append(stock_reserved_event_row(order_id=order.pk, actor_id=self.batch.actor_id,
                                                    actor_label=self.batch.actor_label, at=self.batch.at,
                                                    rows=result.rows))
        return result

    def flush(self) -> None:
        if self.line_quantities:
            order_line_quantities_set(lines=self.line_quantities)
        self.batch.write()
        insert_rows(Reservation, complete_rows(Reservation, self.new_reservations))
        update_rows(Reservation, ["quantity"], self.changed_reservations)
        record_event_rows(self.events)


@transaction.atomic
def order_stock_reserve(*, order: Order, actor, strategy=None) -> ReservationResult:
    """Allocate and reserve every open unit of the order, all or nothing.

    Locks the order, then every stock row of the order's SKUs in allocatable warehouses (pk order),
    asks the allocation strategy for a plan over what is free, reserves lot by lot (first expired,
    then first in) and writes the ledger, the lines' `quantity_reserved` and one `stock_reserved`
    event. Raises `InsufficientStock` with `data["shortages"]` when the stock is not there; nothing
    is reserved then. Running it again reserves only what is still open, so it is safe to retry.
    """
    return _reserve_one(order=lock_order(order), actor=actor, strategy=strategy)


@transaction.atomic
def order_stock_try_reserve(*, order: Order, actor, locked: bool = False, new_lines: list | None = None,
                            strategy=None) -> ReservationResult | InsufficientStock:
    """`order_stock_reserve` that returns the shortage instead of raising it (nothing reserved then).

    For callers inside one all-or-nothing transaction without savepoints (the order intake), where
    an exception raised through a nested atomic block would doom the whole transaction. `locked`:
    the caller holds `order` locked and current in this transaction, so it is not read again.
    `new_lines`: the caller created the order with these lines in this transaction
    (`order_create`'s `created_lines`): nothing of it is reserved or issued yet, so its lines are
    not read again.
    """
    try:
        return _reserve_one(order=order if locked else lock_order(order), actor=actor, strategy=strategy,
                            new_lines=new_lines)
    except _Short as exc:
        return exc


def _reserve_one(*, order: Order, actor, strategy, new_lines: list | None = None) -> ReservationResult:
    if order.status not in RESERVABLE_STATUSES:
        raise InvalidTransition(_("Stock can only be reserved for open orders that have not shipped."))
    if new_lines is not None:
        lines = [_Line(line.pk, line.product_id, line.sku, line.quantity, line.quantity_reserved, 0)
                 for line in sorted(new_lines, key=lambda line: line.pk)]
    else:
        lines = _order_lines(order)
    if not any(line.open > 0 for line in lines):
        return ReservationResult(order=order)
    # Stock rows locked in pk order, each with its warehouse's code and the province's rank for it.
    stocks = lock_allocatable_stocks(sorted({line.product_id for line in lines if line.open > 0}),
                                     province=canonical_province(order.province))
    allocator = _Allocator(stocks=stocks, actor=actor, strategy=strategy,
                           lots_by_stock=free_unexpired_lots([s.pk for s in stocks], today=timezone.localdate()))
    result = allocator.reserve(order=order, lines=lines, rank_of=lambda stock: stock.rank)
    with write_pipeline():  # one order's handful of writes: one round trip, not six
        allocator.flush()
    return result


@dataclass
class BatchReservation:
    reserved: dict[int, ReservationResult] = field(default_factory=dict)  # by order id
    short: dict[int, InsufficientStock] = field(default_factory=dict)  # by order id: the shortage, as raised


@transaction.atomic
def orders_stock_reserve(*, orders: list[Order], actor, strategy=None) -> BatchReservation:
    """`order_stock_reserve` for many orders in one transaction, first come first served.

    Orders are served in the order given (each all or nothing, exactly as one by one); an order that
    is short is left without reservations and reported in `short`, and a later, smaller order may
    still be served. The orders are locked (pk order), then the stock rows of all their SKUs, once,
    and everything is written together at the end: the legacy import reserves thousands of open
    orders per batch, and one reservation transaction per order cost it most of its time.
    """
    wanted = list(dict.fromkeys(order.pk for order in orders))  # an order given twice is served once
    result = BatchReservation()
    if not wanted:
        return result
    versions = lock_order_versions(wanted)
    if len(versions) != len(wanted):
        raise Order.DoesNotExist(f"orders not found among {sorted(set(wanted) - set(versions))}")
    locked = {order.pk: order for order in orders}
    stale = [pk for pk, (status, updated_at) in versions.items()
             if (locked[pk].status, locked[pk].updated_at) != (status, updated_at)]
    if stale:  # changed since the caller read them: read them again (they are locked now)
        locked.update(Order.objects.in_bulk(stale))
    if any(locked[pk].status not in RESERVABLE_STATUSES for pk in wanted):
        raise InvalidTransition(_("Stock can only be reserved for open orders that have not shipped."))
    lines_by_order = {pk: [_Line(*row) for row in rows] for pk, rows in order_lines_with_holdings(wanted).items()}
    product_ids = sorted({line.product_id for lines in lines_by_order.values() for line in lines if line.open > 0})
    if not product_ids:
        result.reserved = {pk: ReservationResult(order=locked[pk]) for pk in wanted}
        return result
    stocks = lock_allocatable_stocks(product_ids, province=None)
    allocator = _Allocator(stocks=stocks, actor=actor, strategy=strategy,
                           lots_by_stock=free_unexpired_lots([s.pk for s in stocks], today=timezone.localdate()))
    provinces = {canonical_province(locked[pk].province) for pk in wanted} - {None}
    ranks = warehouse_ranks(provinces)
    for pk in wanted:
        order = locked[pk]
        province = canonical_province(order.province)
        try:
            result.reserved[pk] = allocator.reserve(
                order=order, lines=lines_by_order.get(pk, []),
                rank_of=lambda stock, province=province: ranks.get((province, stock.warehouse_id)))
        except _Short as exc:
            result.short[pk] = exc
    allocator.flush()
    return result


def shortage_message(shortages: list[dict]):
    """`Stock shortage: SKU-001 needs 3, 1 available` for a clerk (and the hold reason).

    Lazy: rendered in the reader's language (an API answer), or in the timeline's when the order
    is held for it.
    """
    detail = TimelineJoin("、", [timeline_message(gettext_lazy("%(sku)s needs %(requested)s, %(available)s available"),
                                                 s) for s in shortages])
    return timeline_message(gettext_lazy("Stock shortage: %(detail)s"), {"detail": detail})


def _shortages(demands, candidates, line_by_id) -> list[dict]:
    needed: dict[int, int] = defaultdict(int)
    sku_of: dict[int, str] = {}
    for demand in demands:
        needed[demand.product_id] += demand.quantity
        sku_of[demand.product_id] = line_by_id[demand.line_id].sku
    shortages = []
    for product_id, quantity in needed.items():
        available = sum(c.available.get(product_id, 0) for c in candidates)
        if available < quantity:
            shortages.append({"sku": sku_of[product_id], "requested": quantity, "available": available})
    return shortages


@transaction.atomic
def order_stock_release(*, order: Order, actor, reason: str, line_ids: list[int] | None = None) -> list[dict]:
    """Give back every reserved, not yet issued unit of the order (or of some lines) to free stock.

    Writes ledger `release` rows, zeroes the lines' `quantity_reserved` and one `stock_released`
    event when anything was released; returns what was released per line and warehouse.
    """
    order = lock_order(order)
    qs = Reservation.objects.filter(order=order, quantity__gt=0)
    if line_ids is not None:
        qs = qs.filter(order_line_id__in=list(line_ids))
    reservations = list(qs.select_related("order_line").order_by("pk"))
    if not reservations:
        return []
    stocks = lock_stocks(r.stock_id for r in reservations)
    lots = {lot.pk: lot for lot in Lot.objects.filter(pk__in={r.lot_id for r in reservations})}
    batch = LedgerBatch(actor=actor, reference=order.number, reason=reason, order=order)
    released: dict[tuple[int, int], dict] = {}
    to_delete, to_update = [], []
    for r in reservations:
        stock = stocks[r.stock_id]
        batch.move(kind=MovementKind.RELEASE, stock=stock, lot=lots[r.lot_id], reserved=-r.quantity,
                   order_line=r.order_line)
        key = (r.order_line_id, stock.warehouse_id)
        row = released.setdefault(key, {"line_id": r.order_line_id, "sku": r.order_line.sku,
                                        "warehouse": stock.warehouse.code, "quantity": 0})
        row["quantity"] += r.quantity
        r.quantity = 0
        (to_update if r.quantity_issued else to_delete).append(r)
    batch.flush()
    if to_delete:
        Reservation.objects.filter(pk__in=[r.pk for r in to_delete]).delete()
    if to_update:
        Reservation.objects.bulk_update(to_update, ["quantity"])
    # Every open reservation of these lines was released, so nothing stays reserved for them.
    order_line_quantities_set(lines={r.order_line_id: {"quantity_reserved": 0} for r in reservations})
    rows = list(released.values())
    stock_released_event(order=order, actor=actor, rows=rows, reason=reason)
    return rows
