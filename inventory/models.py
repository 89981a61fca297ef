"""Warehouses, bins, stock levels, lots, reservations and the stock ledger.

Levels (`Stock`, `Lot`) are a cache of the append-only ledger (`StockMovement`): every change is a
ledger row written by `inventory.services` in the same transaction as the level it changes, and
`manage.py check_stock` proves that levels still equal the ledger sums. Only services write here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.money import MoneyField
from core.regions import PROVINCES, REGIONS, region_of

PROVINCE_CHOICES = [(name, name) for name in PROVINCES]


class Warehouse(models.Model):
    """A stock location: an own warehouse, one run by an external WMS, or an offline store."""

    class Kind(models.TextChoices):
        OWN = "own", _("Own warehouse")
        EXTERNAL_WMS = "external_wms", _("External WMS")
        STORE = "store", _("Offline store")

    code = models.SlugField(_("code"), max_length=16, unique=True,
                            help_text=_("Short code used by the API and the WMS, e.g. SH01."))
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OWN)
    province = models.CharField(_("province"), max_length=32, choices=PROVINCE_CHOICES)
    city = models.CharField(_("city"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    wms_code = models.CharField(_("WMS code"), max_length=64, blank=True,
                                help_text=_("The warehouse's identifier in the external WMS."))
    allocatable = models.BooleanField(
        _("ships online orders"), default=True,
        help_text=_("Stock here may be reserved for online orders. Offline stores usually keep this off."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def region(self) -> str | None:
        return region_of(self.province)

    @property
    def region_name(self) -> str:
        return REGIONS.get(self.region or "", "")


class Bin(models.Model):
    """A bin location inside a warehouse; quarantine bins hold returned goods waiting for QC."""

    class Kind(models.TextChoices):
        STORAGE = "storage", _("Storage")
        QUARANTINE = "quarantine", _("Quarantine")

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="bins",
                                  verbose_name=_("warehouse"))
    code = models.CharField(_("code"), max_length=32)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STORAGE)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bin location")
        verbose_name_plural = _("bin locations")
        ordering = ["warehouse", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="inventory_bin_code_uniq")]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"


class WarehousePriority(models.Model):
    """Which warehouses serve a province, nearest first (rank 1 = first choice)."""

    province = models.CharField(_("province"), max_length=32, choices=PROVINCE_CHOICES)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="priorities",
                                  verbose_name=_("warehouse"))
    rank = models.PositiveSmallIntegerField(_("rank"), default=1, help_text=_("1 is tried first."))

    class Meta:
        verbose_name = _("province warehouse priority")
        verbose_name_plural = _("province warehouse priorities")
        ordering = ["province", "rank", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["province", "warehouse"], name="inventory_priority_province_wh_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.province} → {self.warehouse.code} #{self.rank}"


class Stock(models.Model):
    """One SKU in one warehouse. `on_hand` is sellable stock; quarantined goods are counted apart.

    available = on_hand − reserved − safety_stock, never below zero. The check constraint
    `reserved ≤ on_hand` is the last line of defence against overselling.
    """

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks",
                                  verbose_name=_("warehouse"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="stocks",
                                verbose_name=_("product"))
    on_hand = models.PositiveIntegerField(_("on hand"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    quarantined = models.PositiveIntegerField(_("in quarantine"), default=0)
    safety_stock = models.PositiveIntegerField(_("safety stock"), default=0,
                                               help_text=_("Kept back from allocation."))
    low_stock_threshold = models.PositiveIntegerField(_("low-stock alert at"), default=0,
                                                      help_text=_("Alert when available falls to this or below."))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["product__sku", "warehouse__code"]
        permissions = [
            ("receive_stock", _("Can receive stock")),
            ("adjust_stock", _("Can adjust stock")),
            ("transfer_stock", _("Can transfer stock between warehouses")),
            ("count_stock", _("Can import and apply stocktakes")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="inventory_stock_wh_product_uniq"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")),
                                   name="inventory_stock_reserved_lte_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku}@{self.warehouse.code}"

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved - self.safety_stock, 0)

    @property
    def is_low(self) -> bool:
        return self.available <= self.low_stock_threshold


class Lot(models.Model):
    """Goods of one receipt (batch) of a SKU in a warehouse: picked first-expired, then first-in."""

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="lots", verbose_name=_("stock level"))
    batch_number = models.CharField(_("batch number"), max_length=64)
    received_at = models.DateTimeField(pgettext_lazy("stock", "received at"), default=timezone.now)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    bin = models.ForeignKey(Bin, on_delete=models.SET_NULL, null=True, blank=True, related_name="lots",
                            verbose_name=_("bin location"))
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    # What one unit of this lot cost when it came in; goods issued from the lot are valued at it
    # (FIFO by lot). Empty: the receipt named no cost, and the product's standard cost values it.
    unit_cost = MoneyField(_("unit cost"), null=True, blank=True, default=None,
                           help_text=_("Cost of one unit as received; empty means the product's standard cost."))
    quarantined = models.BooleanField(_("in quarantine"), default=False,
                                      help_text=_("Returned goods waiting for QC; not sellable."))

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["stock", "received_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(reserved__lte=F("quantity")), name="inventory_lot_reserved_lte_qty"),
            models.CheckConstraint(condition=Q(quarantined=False) | Q(reserved=0),
                                   name="inventory_lot_quarantine_unreserved"),
        ]
        indexes = [models.Index(fields=["stock", "quarantined", "expiry_date", "received_at"],
                                name="inventory_lot_pick_idx")]

    def __str__(self) -> str:
        return self.batch_number

    @property
    def free(self) -> int:
        return self.quantity - self.reserved


class Reservation(models.Model):
    """Stock held for an order line in one lot; `quantity_issued` is what already left with shipments."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="reservations",
                              verbose_name=_("order"))
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="reservations",
                                   verbose_name=_("order line"))
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="reservations",
                              verbose_name=_("stock level"))
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("lot"))
    quantity = models.PositiveIntegerField(_("reserved"), default=0)
    quantity_issued = models.PositiveIntegerField(_("issued"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["order", "order_line", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order_line", "lot"], name="inventory_reservation_line_lot_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id}@{self.lot_id}: {self.quantity}"


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    RESERVATION = "reservation", _("Reservation")
    RELEASE = "release", _("Release")
    ISSUE = "issue", _("Issue for shipment")
    RETURN = "return", _("Customer return")
    ADJUSTMENT = "adjustment", _("Adjustment")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    STOCKTAKE = "stocktake", _("Stocktake")
    QUARANTINE_RELEASE = "quarantine_release", _("Released from quarantine")
    SCRAP = "scrap", _("Scrapped")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the stock ledger is append-only")

    def delete(self):
        raise TypeError("the stock ledger is append-only")


class StockMovement(models.Model):
    """One row of the append-only stock ledger. Levels are the sums of these deltas.

    Stock: on_hand = Σ on_hand_delta, reserved = Σ reserved_delta, quarantined = Σ quarantined_delta.
    Lot: quantity = Σ (on_hand_delta + quarantined_delta), reserved = Σ reserved_delta.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements", verbose_name=_("stock level"))
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements", verbose_name=_("lot"))
    on_hand_delta = models.IntegerField(_("on hand ±"), default=0)
    reserved_delta = models.IntegerField(_("reserved ±"), default=0)
    quarantined_delta = models.IntegerField(_("quarantine ±"), default=0)
    reference = models.CharField(_("reference"), max_length=64, blank=True,
                                 help_text=_("Receipt, transfer, stocktake, shipment or return number."))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("order"))
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("order line"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_name = models.CharField(_("actor"), max_length=150)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock ledger")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["stock", "at"], name="inventory_move_stock_at_idx"),
            models.Index(fields=["reference"], name="inventory_move_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.stock_id} {self.on_hand_delta:+d}/{self.reserved_delta:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("the stock ledger is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the stock ledger is append-only")


class ChannelStockRule(models.Model):
    """How much of the available stock a channel may promise: a share, a cap, or both.

    A rule for a warehouse wins over the channel's rule for all warehouses. Channels without a
    rule see everything that is available.
    """

    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="stock_rules",
                                verbose_name=_("channel"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="channel_rules", verbose_name=_("warehouse"),
                                  help_text=_("Empty means every warehouse."))
    share_percent = models.PositiveSmallIntegerField(_("share (%)"), default=100,
                                                     help_text=_("Share of available stock shown to the channel."))
    cap = models.PositiveIntegerField(_("cap"), null=True, blank=True,
                                      help_text=_("At most this many units per SKU and warehouse."))

    class Meta:
        verbose_name = _("channel stock rule")
        verbose_name_plural = _("channel stock rules")
        ordering = ["channel", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "warehouse"], name="inventory_channelrule_uniq"),
            models.UniqueConstraint(fields=["channel"], condition=Q(warehouse__isnull=True),
                                    name="inventory_channelrule_all_wh_uniq"),
            models.CheckConstraint(condition=Q(share_percent__lte=100), name="inventory_channelrule_share_lte_100"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.warehouse.code if self.warehouse_id else '*'}"

    def promise(self, available: int) -> int:
        value = available * self.share_percent // 100
        if self.cap is not None:
            value = min(value, self.cap)
        return max(value, 0)


class Stocktake(models.Model):
    """A count of a warehouse's sellable stock, imported from a spreadsheet and applied at once."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocktakes",
                                  verbose_name=_("warehouse"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("applied by"))
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-applied_at", "-id"]

    def __str__(self) -> str:
        return self.number


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines",
                                  verbose_name=_("stocktake"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("product"))
    counted = models.PositiveIntegerField(_("counted"))
    system_quantity = models.PositiveIntegerField(_("system quantity"), default=0)

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        ordering = ["stocktake", "id"]
        constraints = [models.UniqueConstraint(fields=["stocktake", "product"], name="inventory_stocktake_line_uniq")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.counted}"

    @property
    def difference(self) -> int:
        return self.counted - self.system_quantity
