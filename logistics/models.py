"""Shipments, their lines and packages, pick waves and carrier tracking events.

A shipment is what leaves one warehouse for one order: an order whose stock is reserved in two
warehouses gets two. Its `status` is a protected django-fsm-2 field; the transitions below only
change state (guards in `conditions=`, roles in `permission=`) and `logistics.services` is the only
caller. Goods (the stock ledger) and funds (the journal) stay in their own stages and are moved by
the logistics services when a shipment leaves or is delivered.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.money import MoneyField
from core.storage import private_storage


class Carrier(models.TextChoices):
    SF = "sf", _("SF Express")
    ZTO = "zto", _("ZTO Express")
    YTO = "yto", _("YTO Express")
    STO = "sto", _("STO Express")
    YUNDA = "yunda", _("Yunda Express")
    JD = "jd", _("JD Logistics")
    EMS = "ems", _("China Post EMS")


class ShipmentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned to sender")
    CANCELLED = "cancelled", _("Cancelled")


# Still in the warehouse: stock reserved, not issued; may be cancelled with the order.
IN_WAREHOUSE_STATUSES = (ShipmentStatus.CREATED, ShipmentStatus.PICKING, ShipmentStatus.PACKED)
# Left the warehouse: stock issued, revenue recognised, waiting for the carrier's news.
ON_THE_WAY_STATUSES = (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.EXCEPTION)


class TrackingStatus(models.TextChoices):
    """What a carrier reports (contract: `POST /api/v1/webhooks/carriers/{carrier}`)."""

    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")


def _can_pack(shipment, user) -> bool:
    return user.has_perm("logistics.pack_shipment")


def _can_ship(shipment, user) -> bool:
    return user.has_perm("logistics.ship_shipment")


class PickWave(models.Model):
    """A batch of shipments of one warehouse picked together with one picking list."""

    number = models.CharField(_("wave number"), max_length=32, unique=True)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="pick_waves",
                                  verbose_name=_("warehouse"))
    carrier = models.CharField(_("carrier"), max_length=16, choices=Carrier.choices, blank=True)
    cutoff = models.DateTimeField(_("cut-off time"), null=True, blank=True,
                                  help_text=_("Only shipments created before this time were chosen."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("pick wave")
        verbose_name_plural = _("pick waves")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class Shipment(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("shipment number"), max_length=32, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments",
                              verbose_name=_("order"))
    # Warehouse and status: indexed by the composite indexes below, which lead with them. Every index
    # is written when a shipment is planned (a follow-up job per order) and at each step after.
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="shipments",
                                  verbose_name=_("warehouse"), db_index=False)
    carrier = models.CharField(_("carrier"), max_length=16, choices=Carrier.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    status = FSMField(_("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.CREATED,
                      protected=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3, null=True, blank=True,
                                    validators=[MinValueValidator(0)])
    packages = models.PositiveSmallIntegerField(_("packages"), default=1, validators=[MinValueValidator(1)])
    cod_amount = MoneyField(pgettext_lazy("amount to collect", "cash on delivery"),
                            help_text=_("What the carrier collects from the recipient; zero for prepaid orders."))
    wave = models.ForeignKey(PickWave, on_delete=models.SET_NULL, null=True, blank=True, related_name="shipments",
                             verbose_name=_("pick wave"))
    exception_reason = models.CharField(_("exception"), max_length=255, blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    picking_at = models.DateTimeField(_("picking started"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_tracking_at = models.DateTimeField(_("last tracking update"), null=True, blank=True)
    label_printed_at = models.DateTimeField(_("label printed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("pack_shipment", _("Can pick and pack shipments")),
            ("ship_shipment", _("Can hand shipments over to carriers")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"], condition=~Q(tracking_number=""),
                                    name="logistics_shipment_carrier_tracking_uniq"),
            models.CheckConstraint(condition=Q(cod_amount__gte=0), name="logistics_shipment_cod_gte_0"),
            models.CheckConstraint(condition=Q(packages__gte=1), name="logistics_shipment_packages_gte_1"),
        ]
        indexes = [
            models.Index(fields=["warehouse", "status", "carrier"], name="logistics_ship_wh_status_idx"),
            models.Index(fields=["status", "shipped_at"], name="logistics_ship_status_sent_idx"),
            # Carriers' updates and searches find a parcel by its waybill number alone (the unique
            # constraint leads with the carrier). Plain: no LIKE-prefix twin, which nothing uses.
            models.Index(fields=["tracking_number"], name="logistics_ship_tracking_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def in_warehouse(self) -> bool:
        return self.status in IN_WAREHOUSE_STATUSES

    # -- guards (pure) --------------------------------------------------------------------------
    def has_tracking_number(self) -> bool:
        return bool(self.tracking_number)

    # -- transitions: state only ------------------------------------------------------------------
    @transition(field=status, source=ShipmentStatus.CREATED, target=ShipmentStatus.PICKING, permission=_can_pack,
                custom={"label": _("start picking")})
    def start_picking(self):
        pass

    @transition(field=status, source=[ShipmentStatus.CREATED, ShipmentStatus.PICKING], target=ShipmentStatus.PACKED,
                permission=_can_pack, custom={"label": _("pack")})
    def pack(self):
        pass

    @transition(field=status, source=list(IN_WAREHOUSE_STATUSES), target=ShipmentStatus.SHIPPED,
                conditions=[has_tracking_number], permission=_can_ship, custom={"label": _("ship")})
    def ship(self):
        pass

    @transition(field=status, source=[ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.EXCEPTION],
                target=ShipmentStatus.IN_TRANSIT, custom={"label": _("mark in transit")})
    def move(self):
        pass

    @transition(field=status, source=list(ON_THE_WAY_STATUSES), target=ShipmentStatus.DELIVERED,
                custom={"label": _("mark delivered")})
    def deliver(self):
        pass

    @transition(field=status, source=list(ON_THE_WAY_STATUSES), target=ShipmentStatus.EXCEPTION,
                custom={"label": _("report exception")})
    def flag_exception(self):
        pass

    @transition(field=status, source=list(ON_THE_WAY_STATUSES), target=ShipmentStatus.RETURNED_TO_SENDER,
                custom={"label": _("mark returned to sender")})
    def return_to_sender(self):
        pass

    @transition(field=status, source=list(IN_WAREHOUSE_STATUSES), target=ShipmentStatus.CANCELLED,
                custom={"label": _("cancel")})
    def cancel(self):
        pass


class ShipmentLine(models.Model):
    """Units of one order line in a shipment: planned (reserved there), scanned while packing, shipped."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines",
                                 verbose_name=_("shipment"))
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="shipment_lines",
                                   verbose_name=_("order line"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    quantity_packed = models.PositiveIntegerField(_("packed"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["shipment_id", "id"]  # by the column: no join of the shipments table to sort
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="logistics_line_shipment_line_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="logistics_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(quantity_packed__lte=F("quantity")),
                                   name="logistics_line_packed_lte_qty"),
            models.CheckConstraint(condition=Q(quantity_shipped__lte=F("quantity")),
                                   name="logistics_line_shipped_lte_qty"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.order_line_id} × {self.quantity}"

    @property
    def remaining_to_pack(self) -> int:
        return self.quantity - self.quantity_packed


class TrackingEvent(models.Model):
    """One piece of news from the carrier about a shipment, as it arrived."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events",
                                 verbose_name=_("shipment"))
    status = models.CharField(_("status"), max_length=20, choices=TrackingStatus.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    location = models.CharField(_("location"), max_length=100, blank=True)
    description = models.CharField(pgettext_lazy("tracking", "description"), max_length=255, blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True,
                              help_text=_("Who reported it: a carrier webhook event id, or a clerk."))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["shipment", "occurred_at", "id"]
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="logistics_track_ship_at_idx")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status} {self.occurred_at:%Y-%m-%d %H:%M}"


class QualityCheckStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for QC")
    PASSED = "passed", _("QC passed")
    FAILED = "failed", _("QC failed")


def qc_photo_path(instance, filename: str) -> str:
    return f"qc/{instance.order_id}/{filename}"


def _private_storage():
    return private_storage()  # a callable, so migrations keep naming this function


class QualityCheck(models.Model):
    """A quality check an order must pass before its parcels are packed or handed over (issue 19).

    Requested by an automation rule (`require_qc`), decided at the QC queue screen. One per order:
    a failed check is inspected again (pass or fail once more) after the goods were fixed.
    Written only by `logistics.services.qc`.
    """

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="quality_check",
                                 verbose_name=_("order"))
    status = models.CharField(_("status"), max_length=10, choices=QualityCheckStatus.choices,
                              default=QualityCheckStatus.PENDING, db_index=True)
    reason = models.CharField(_("why"), max_length=255, blank=True,
                              help_text=_("Why the order goes to QC (e.g. the rule that asked for it)."))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    request_data = models.JSONField(_("request details"), default=dict, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("inspector"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Optional evidence, in the private storage (never under the public MEDIA URL).
    photo = models.FileField(_("photo"), upload_to=qc_photo_path, storage=_private_storage, blank=True,
                             max_length=200)

    class Meta:
        verbose_name = _("quality check")
        verbose_name_plural = _("quality checks")
        ordering = ["requested_at", "pk"]
        permissions = [("inspect_qualitycheck", _("Can pass or fail quality checks"))]

    def __str__(self) -> str:
        return f"QC {self.order_id} {self.status}"
