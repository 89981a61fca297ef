"""Reads of the inventory stage: joins done, aggregates in the database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from catalog.selectors import normalise_sku
from inventory.models import ChannelStockRule, Lot, Reservation, Stock, StockMovement, Warehouse


def _with_available(qs: QuerySet[Stock]) -> QuerySet[Stock]:
    """`available_qty`: what allocation can give now, and `low`: at or below the alert threshold.

    Allocation never takes units of expired lots, nor the safety stock, so both are held back; as
    the free units of unexpired lots are (on hand − reserved − expired free units), available is
    on hand − reserved − the larger of the two, never below zero.
    """
    expired_free = Coalesce(Subquery(
        Lot.objects.filter(stock=OuterRef("pk"), quarantined=False, expiry_date__lt=timezone.localdate())
        .values("stock").annotate(units=Sum(F("quantity") - F("reserved"))).values("units")[:1],
        output_field=IntegerField()), Value(0))
    held_back = Greatest(F("safety_stock"), expired_free)
    return qs.annotate(
        available_qty=ExpressionWrapper(Greatest(F("on_hand") - F("reserved") - held_back, Value(0)),
                                        output_field=IntegerField()),
        low=ExpressionWrapper(Q(on_hand__lte=F("reserved") + held_back + F("low_stock_threshold")),
                              output_field=BooleanField()),
    )


def stock_list(*, search: str = "", warehouse: Warehouse | None = None, low_only: bool = False) -> QuerySet[Stock]:
    """Stock rows for the overview: one row per SKU and warehouse, with `available_qty` and `low`.

    Low stock: available at or below the row's alert threshold (`on_hand ≤ reserved + safety +
    threshold`, the same test without the clamp at zero).
    """
    qs = _with_available(Stock.objects.select_related("warehouse", "product")
                         .filter(warehouse__active=True))
    if search:
        qs = qs.filter(Q(product__sku__icontains=search.strip()) | Q(product__name__icontains=search.strip())
                       | Q(product__barcode=search.strip()))
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    if low_only:
        qs = qs.filter(low=True)
    return qs.order_by("product__sku", "warehouse__code")


def low_stock_count() -> int:
    return _with_available(Stock.objects.filter(warehouse__active=True)).filter(low=True).count()


def expired_lot_count() -> int:
    return Lot.objects.filter(quantity__gt=0, quarantined=False, expiry_date__lt=timezone.localdate()).count()


def stock_lots(*, stock_ids) -> dict[int, list[Lot]]:
    by_stock: dict[int, list[Lot]] = defaultdict(list)
    for lot in Lot.objects.filter(stock_id__in=list(stock_ids), quantity__gt=0).select_related("bin") \
            .order_by("expiry_date", "received_at", "pk"):
        by_stock[lot.stock_id].append(lot)
    return by_stock


def movement_list(*, stock: Stock | None = None, reference: str = "") -> QuerySet[StockMovement]:
    qs = StockMovement.objects.select_related("stock__warehouse", "stock__product", "lot", "order")
    if stock is not None:
        qs = qs.filter(stock=stock)
    if reference:
        qs = qs.filter(reference=reference)
    return qs.order_by("-at", "-id")


@dataclass(frozen=True)
class StockLevel:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int


def stock_levels(*, skus: list[str], channel=None) -> list[StockLevel]:
    """Per SKU and active warehouse: on hand, reserved and available (never below zero).

    With a channel, `available` is that channel's available-to-promise: its `ChannelStockRule` for
    the warehouse, else its rule for every warehouse, applied to what is available.
    """
    wanted = sorted({normalise_sku(s) for s in skus if s})
    rows = (_with_available(Stock.objects.filter(product__sku__in=wanted, warehouse__active=True))
            .order_by("product__sku", "warehouse__code")
            .values_list("product__sku", "warehouse__code", "warehouse_id", "on_hand", "reserved", "available_qty"))
    rules = {}
    if channel is not None:
        rules = {rule.warehouse_id: rule for rule in ChannelStockRule.objects.filter(channel=channel)}
    result = []
    for sku, code, warehouse_id, on_hand, reserved, available in rows:
        rule = rules.get(warehouse_id) or rules.get(None)
        if rule is not None:
            available = rule.promise(available)
        result.append(StockLevel(sku=sku, warehouse=code, on_hand=on_hand, reserved=reserved,
                                 available=max(available, 0)))
    return result


@dataclass
class WarehouseReservations:
    """What one warehouse holds for an order: line id → reserved units (not yet issued)."""

    warehouse_id: int
    warehouse_code: str
    lines: dict[int, int] = field(default_factory=dict)


def order_reservations_by_warehouse(*, order) -> list[WarehouseReservations]:
    """An order's open reservations grouped by warehouse then line; logistics builds one shipment each."""
    rows = (Reservation.objects.filter(order=order, quantity__gt=0)
            .values("stock__warehouse_id", "stock__warehouse__code", "order_line_id")
            .annotate(units=Sum("quantity")).order_by("stock__warehouse__code", "order_line_id"))
    grouped: dict[int, WarehouseReservations] = {}
    for row in rows:
        entry = grouped.setdefault(row["stock__warehouse_id"], WarehouseReservations(
            warehouse_id=row["stock__warehouse_id"], warehouse_code=row["stock__warehouse__code"]))
        entry.lines[row["order_line_id"]] = row["units"]
    return list(grouped.values())


@dataclass
class Drift:
    what: str
    key: str
    level: int
    expected: int

    def __str__(self) -> str:
        return f"{self.what} {self.key}: level {self.level}, expected {self.expected}"


def stock_drift() -> list[Drift]:
    """Every place where a level disagrees with the ledger or the reservations that should back it.

    Stock: on_hand / reserved / quarantined = ledger sums; reserved = Σ open reservations.
    Lot: quantity / reserved = ledger sums; reserved = Σ open reservations.
    Stock = Σ of its lots. Order lines: quantity_reserved = Σ open reservations.
    A constant number of aggregate queries, whatever the size of the ledger.
    """
    drifts: list[Drift] = []
    ledger = {row["stock_id"]: row for row in StockMovement.objects.values("stock_id").annotate(
        on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"), quarantined=Sum("quarantined_delta"))}
    held = dict(Reservation.objects.values("stock_id").annotate(q=Sum("quantity")).values_list("stock_id", "q"))
    lots = {row["stock_id"]: row for row in Lot.objects.values("stock_id").annotate(
        sellable=Coalesce(Sum("quantity", filter=Q(quarantined=False)), 0),
        quarantine=Coalesce(Sum("quantity", filter=Q(quarantined=True)), 0),
        reserved=Coalesce(Sum("reserved"), 0))}
    for stock in Stock.objects.select_related("warehouse", "product").order_by("pk"):
        key = f"{stock.product.sku}@{stock.warehouse.code}"
        sums = ledger.get(stock.pk, {})
        lot_sums = lots.get(stock.pk, {})
        checks = [
            ("stock.on_hand≠ledger", stock.on_hand, sums.get("on_hand") or 0),
            ("stock.reserved≠ledger", stock.reserved, sums.get("reserved") or 0),
            ("stock.quarantined≠ledger", stock.quarantined, sums.get("quarantined") or 0),
            ("stock.reserved≠reservations", stock.reserved, held.get(stock.pk) or 0),
            ("stock.on_hand≠lots", stock.on_hand, lot_sums.get("sellable") or 0),
            ("stock.quarantined≠lots", stock.quarantined, lot_sums.get("quarantine") or 0),
            ("stock.reserved≠lots", stock.reserved, lot_sums.get("reserved") or 0),
        ]
        drifts.extend(Drift(what, key, level, expected) for what, level, expected in checks if level != expected)
        if stock.reserved > stock.on_hand:
            drifts.append(Drift("stock.reserved>on_hand", key, stock.reserved, stock.on_hand))
    lot_ledger = {row["lot_id"]: row for row in StockMovement.objects.values("lot_id").annotate(
        quantity=Sum(F("on_hand_delta") + F("quarantined_delta")), reserved=Sum("reserved_delta"))}
    lot_held = dict(Reservation.objects.values("lot_id").annotate(q=Sum("quantity")).values_list("lot_id", "q"))
    for lot in Lot.objects.order_by("pk").values("pk", "batch_number", "quantity", "reserved"):
        key = f"lot {lot['pk']} ({lot['batch_number']})"
        sums = lot_ledger.get(lot["pk"], {})
        for what, level, expected in (("lot.quantity≠ledger", lot["quantity"], sums.get("quantity") or 0),
                                      ("lot.reserved≠ledger", lot["reserved"], sums.get("reserved") or 0),
                                      ("lot.reserved≠reservations", lot["reserved"], lot_held.get(lot["pk"]) or 0)):
            if level != expected:
                drifts.append(Drift(what, key, level, expected))
    from orders.models import OrderLine

    line_held = {line_id: q for line_id, q in Reservation.objects.values("order_line_id").annotate(q=Sum("quantity"))
                 .values_list("order_line_id", "q") if q}
    line_level = dict(OrderLine.objects.filter(quantity_reserved__gt=0).values_list("pk", "quantity_reserved"))
    for line_id in sorted(set(line_held) | set(line_level)):
        if line_level.get(line_id, 0) != line_held.get(line_id, 0):
            drifts.append(Drift("order_line.quantity_reserved≠reservations", f"line {line_id}",
                                line_level.get(line_id, 0), line_held.get(line_id, 0)))
    return drifts


def warehouse_list(*, active_only: bool = True) -> QuerySet[Warehouse]:
    qs = Warehouse.objects.annotate(sku_count=Count("stocks", filter=Q(stocks__on_hand__gt=0)),
                                    units=Coalesce(Sum("stocks__on_hand"), 0))
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("code")

