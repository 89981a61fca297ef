"""After-sales: return/exchange/refund requests (RMA), their lines, QC photos and the rules as data.

A `ReturnRequest` has its own django-fsm-2 state machine; it never reopens the order. Its
transitions only change state (guards in `conditions=`, roles in `permission=`);
`aftersales.services` are the only writers and move goods (inventory ledger) and funds (finance)
back, writing one event on the order's timeline per step.

    requested ─approve→ approved ─register_return→ awaiting_return ─receive→ received ─inspect→ inspected
        │                  │  └──────────────receive──────────────────────────┘                     │
        └reject→ rejected  └─refund (refund without return)→ refunded ←─refund─────────────────────┤
                                                             exchanged ←─exchange──────────────────┘
                                       refunded / exchanged ─close→ closed  (also approved, awaiting
                                       return and inspected ─close→ closed: withdrawn, never sent, nothing to settle)
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from core.money import MoneyField
from core.storage import private_storage


class ReturnReason(models.Model):
    """Why the customer wants to give goods back; administrators keep the list in the admin.

    `seller_fault` reasons (quality problem, wrong item sent, damaged in transit) get the longer
    window, refund units damaged on arrival and may refund the shipping fee (see the policy).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    seller_fault = models.BooleanField(
        _("seller's fault"), default=False,
        help_text=_("Quality problems, wrong or damaged goods sent: the seller bears the costs."))
    window_days = models.PositiveSmallIntegerField(
        _("return window (days)"), null=True, blank=True,
        help_text=_("Overrides the policy's window for this reason; empty uses the policy."))
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    # Configuration: every change kept with its before/after values (issue 17), read-only in the admin.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("return reason")
        verbose_name_plural = _("return reasons")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class ShippingFeeRefund(models.TextChoices):
    NEVER = "never", _("Never")
    SELLER_FAULT = "seller_fault", _("When the reason is the seller's fault")
    FULL_RETURN = "full_return", _("When every unit of the order comes back")
    SELLER_FAULT_OR_FULL_RETURN = "seller_fault_or_full_return", _("Seller's fault or every unit back")


class OutsideRules(models.TextChoices):
    REFUSE = "refuse", _("Refuse the request")
    APPROVAL = "approval", _("Accept it for a manager's approval")


class ReturnPolicy(models.Model):
    """The after-sales rules as data. One default policy (no channel) and optional per-channel ones.

    Services read the policy of the order's channel (or the default) at the moment of the step, so
    a change in the admin applies to the next request without a deployment.
    """

    channel = models.OneToOneField("orders.Channel", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="return_policy", verbose_name=_("channel"),
                                   help_text=_("Empty: the default policy for every channel without its own."))
    return_window_days = models.PositiveSmallIntegerField(
        _("no-reason return window (days)"), default=7,
        help_text=_("Days after delivery in which goods may be returned without a reason (七天无理由)."))
    fault_window_days = models.PositiveSmallIntegerField(
        _("seller-fault window (days)"), default=15,
        help_text=_("Days after delivery for quality problems and other seller-fault reasons."))
    outside_window = models.CharField(
        _("requests after the window"), max_length=10, choices=OutsideRules.choices, default=OutsideRules.APPROVAL)
    refund_only_approval_threshold = MoneyField(
        _("refund-without-return approval threshold"), default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Refunds without returning the goods above this amount need a manager's approval."))
    shipping_fee_refund = models.CharField(
        _("shipping fee refunded"), max_length=32, choices=ShippingFeeRefund.choices,
        default=ShippingFeeRefund.SELLER_FAULT)
    exchange_same_price_only = models.BooleanField(
        _("exchange only for goods of the same price"), default=True,
        help_text=_("An exchange never charges the customer again, so a dearer replacement is refused."))
    auto_approve = models.BooleanField(
        _("approve requests within the rules automatically"), default=False)
    sla_review_hours = models.PositiveSmallIntegerField(_("SLA: decide within (hours)"), default=24)
    sla_ship_back_days = models.PositiveSmallIntegerField(
        _("SLA: customer sends goods back within (days)"), default=7)
    sla_receive_days = models.PositiveSmallIntegerField(
        _("SLA: parcel arrives within (days)"), default=5)
    sla_inspect_hours = models.PositiveSmallIntegerField(_("SLA: inspect within (hours)"), default=48)
    sla_settle_hours = models.PositiveSmallIntegerField(
        _("SLA: refund or exchange within (hours)"), default=72)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Configuration: every change kept with its before/after values (issue 17), read-only in the admin.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")
        ordering = ["channel__code"]

    def __str__(self) -> str:
        return str(self.channel) if self.channel_id else str(_("Default policy"))

    def clean(self):
        if self.channel_id is None and ReturnPolicy.objects.filter(channel__isnull=True).exclude(pk=self.pk).exists():
            raise ValidationError({"channel": _("There is already a default policy; choose a channel.")})


class ReturnKind(models.TextChoices):
    RETURN = "return", _("Return for refund")
    EXCHANGE = "exchange", _("Exchange")
    REFUND_ONLY = "refund_only", _("Refund without return")


GOODS_KINDS = (ReturnKind.RETURN, ReturnKind.EXCHANGE)


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("return request", "Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("return request", "Rejected")
    AWAITING_RETURN = "awaiting_return", _("Awaiting return")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    REFUNDED = "refunded", _("Refunded")
    EXCHANGED = "exchanged", _("Exchanged")
    CLOSED = "closed", _("Closed")


OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN,
                        ReturnStatus.RECEIVED, ReturnStatus.INSPECTED)


class ReturnSource(models.TextChoices):
    API = "api", _("API")
    BACK_OFFICE = "back_office", _("Back office")


# Permission guards: pure functions of (request, user).
def _can_approve(request, user) -> bool:
    if not user.has_perm("aftersales.approve_returnrequest"):
        return False
    return not request.needs_approval or user.has_perm("aftersales.approve_exception")


def _can_decide(request, user) -> bool:
    return user.has_perm("aftersales.approve_returnrequest")


def _can_receive(request, user) -> bool:
    return user.has_perm("aftersales.receive_returnrequest")


def _can_inspect(request, user) -> bool:
    return user.has_perm("aftersales.inspect_returnrequest")


def _can_refund(request, user) -> bool:
    return user.has_perm("aftersales.refund_returnrequest")


def _can_exchange(request, user) -> bool:
    return user.has_perm("aftersales.exchange_returnrequest")


def _can_close(request, user) -> bool:
    return user.has_perm("aftersales.close_returnrequest")


class ReturnRequest(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("RMA number"), max_length=32, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="return_requests",
                              verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=12, choices=ReturnKind.choices)
    status = FSMField(_("status"), max_length=16, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED,
                      protected=True, db_index=True)
    reason = models.ForeignKey(ReturnReason, on_delete=models.PROTECT, related_name="requests",
                               verbose_name=_("reason"))
    description = models.TextField(_("customer's description"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=ReturnSource.choices,
                              default=ReturnSource.BACK_OFFICE)
    channel_ref = models.CharField(_("channel after-sales ID"), max_length=64, blank=True,
                                   help_text=_("The channel's own ID for this request; repeats are not stored twice."))
    before_shipment = models.BooleanField(
        _("before shipment"), default=False,
        help_text=_("A refund asked for before anything shipped: it is settled by cancelling the order."))

    needs_approval = models.BooleanField(_("needs a manager's approval"), default=False)
    approval_reasons = models.JSONField(_("why approval is needed"), default=list, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True,
                                        help_text=_("Delivery date the return window was counted from."))

    return_carrier = models.CharField(_("return carrier"), max_length=32, blank=True)
    return_tracking_number = models.CharField(_("return tracking number"), max_length=64, blank=True,
                                              db_index=True)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="return_requests", verbose_name=_("received at warehouse"))

    refund_amount = MoneyField(_("refund amount"))
    shipping_fee_refunded = MoneyField(_("shipping fee refunded"))
    refund_reference = models.CharField(_("bank reference of the refund"), max_length=64, blank=True)
    refund_ids = models.JSONField(_("finance refunds"), default=list, blank=True,
                                  help_text=_("The finance stage's refunds paying this request out."))
    awaiting_manual_refund = models.BooleanField(
        _("waiting for finance to transfer the refund"), default=False,
        help_text=_("Bank transfer and cash-on-delivery orders are refunded by finance by hand."))
    credit_note_number = models.CharField(_("credit note"), max_length=24, blank=True)
    replacement_order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                                             related_name="replacement_for", verbose_name=_("replacement order"))

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    actor_name = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    status_changed_at = models.DateTimeField(_("in this status since"), default=timezone.now, db_index=True)
    received_at = models.DateTimeField(pgettext_lazy("return", "received at"), null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("refunded or exchanged at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("confirm_refund", _("Can confirm refunds transferred by hand")),
            ("approve_returnrequest", _("Can approve and reject return requests")),
            ("approve_exception", _("Can approve return requests outside the rules")),
            ("receive_returnrequest", _("Can receive returned parcels")),
            ("inspect_returnrequest", _("Can inspect returned goods (QC)")),
            ("refund_returnrequest", _("Can refund return requests")),
            ("exchange_returnrequest", _("Can send exchange replacements")),
            ("close_returnrequest", _("Can close return requests")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "channel_ref"], condition=~Q(channel_ref=""),
                                    name="aftersales_request_channel_ref_uniq"),
            models.CheckConstraint(condition=Q(refund_amount__gte=0), name="aftersales_request_refund_gte_0"),
            models.CheckConstraint(condition=Q(shipping_fee_refunded__gte=0) & Q(shipping_fee_refunded__lte=F(
                "refund_amount")), name="aftersales_request_shipping_within_refund"),
        ]
        indexes = [models.Index(fields=["status", "status_changed_at"], name="aftersales_status_age_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def status_label(self) -> str:
        """The state as clerks should read it: a refund finance still has to transfer by hand is not
        "refunded" yet, whatever the state machine says."""
        if self.status == ReturnStatus.REFUNDED and self.awaiting_manual_refund:
            return str(_("Refund awaiting bank transfer"))
        return str(self.get_status_display())

    @property
    def takes_goods_back(self) -> bool:
        return self.kind in GOODS_KINDS

    # -- guards (pure) --------------------------------------------------------------------------
    def is_goods_kind(self) -> bool:
        return self.kind in GOODS_KINDS

    def is_refund_only(self) -> bool:
        return self.kind == ReturnKind.REFUND_ONLY

    def is_return_for_refund(self) -> bool:
        return self.kind == ReturnKind.RETURN

    def is_exchange(self) -> bool:
        return self.kind == ReturnKind.EXCHANGE

    # -- transitions: state only ----------------------------------------------------------------
    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.APPROVED, permission=_can_approve,
                custom={"label": pgettext_lazy("return request", "approve")})
    def approve(self):
        pass

    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.REJECTED, permission=_can_decide,
                custom={"label": pgettext_lazy("return request", "reject")})
    def reject(self):
        pass

    @transition(field=status, source=ReturnStatus.APPROVED, target=ReturnStatus.AWAITING_RETURN,
                conditions=[is_goods_kind], custom={"label": _("register the return parcel")})
    def register_return(self):
        pass

    @transition(field=status, source=[ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN],
                target=ReturnStatus.RECEIVED, conditions=[is_goods_kind], permission=_can_receive,
                custom={"label": _("receive")})
    def receive(self):
        pass

    @transition(field=status, source=ReturnStatus.RECEIVED, target=ReturnStatus.INSPECTED, permission=_can_inspect,
                custom={"label": _("inspect")})
    def inspect(self):
        pass

    @transition(field=status, source=ReturnStatus.INSPECTED, target=ReturnStatus.REFUNDED,
                conditions=[is_return_for_refund], permission=_can_refund, custom={"label": _("refund")})
    def refund(self):
        pass

    @transition(field=status, source=ReturnStatus.APPROVED, target=ReturnStatus.REFUNDED,
                conditions=[is_refund_only], permission=_can_refund, custom={"label": _("refund")})
    def refund_without_return(self):
        pass

    @transition(field=status, source=ReturnStatus.INSPECTED, target=ReturnStatus.EXCHANGED,
                conditions=[is_exchange], permission=_can_exchange, custom={"label": _("send the replacement")})
    def exchange(self):
        pass

    @transition(field=status, source=[ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN, ReturnStatus.INSPECTED,
                                      ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED],
                target=ReturnStatus.CLOSED, permission=_can_close, custom={"label": _("close")})
    def close(self):
        pass


class QcResult(models.TextChoices):
    PENDING = "pending", _("Not inspected")
    PASSED = "passed", _("Passed")
    DAMAGED = "damaged", _("Damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    MIXED = "mixed", _("Partly passed")


class ReturnLine(models.Model):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines",
                                verbose_name=_("return request"))
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines",
                                   verbose_name=_("order line"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    exchange_product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("replacement SKU"), help_text=_("Exchanges only; empty means the same SKU."))
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    quantity_passed = models.PositiveIntegerField(_("passed QC"), default=0)
    quantity_damaged = models.PositiveIntegerField(_("damaged"), default=0)
    quantity_wrong = models.PositiveIntegerField(_("wrong item"), default=0)
    qc_result = models.CharField(_("QC result"), max_length=12, choices=QcResult.choices, default=QcResult.PENDING)
    qc_note = models.TextField(_("QC notes"), blank=True)
    quantity_restocked = models.PositiveIntegerField(_("restocked"), default=0)
    quantity_quarantined = models.PositiveIntegerField(_("quarantined"), default=0)
    quantity_refunded = models.PositiveIntegerField(_("units refunded"), default=0)
    refund_amount = MoneyField(_("refund amount"))

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "order_line"], name="aftersales_line_request_line_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="aftersales_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(quantity_received__lte=F("quantity")),
                                   name="aftersales_line_received_lte_qty"),
            models.CheckConstraint(
                condition=Q(quantity_passed__lte=F("quantity_received") - F("quantity_damaged") - F("quantity_wrong")),
                name="aftersales_line_qc_within_received"),
            models.CheckConstraint(condition=Q(quantity_restocked__lte=F("quantity_passed")),
                                   name="aftersales_line_restocked_lte_passed"),
            models.CheckConstraint(condition=Q(quantity_refunded__lte=F("quantity")),
                                   name="aftersales_line_refunded_lte_qty"),
            models.CheckConstraint(condition=Q(refund_amount__gte=0), name="aftersales_line_refund_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line.sku} × {self.quantity}"

    @property
    def quantity_failed(self) -> int:
        return self.quantity_damaged + self.quantity_wrong


def qc_photo_path(instance, filename: str) -> str:
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "jpg").lower()[:5]
    return f"aftersales/qc/{timezone.localdate():%Y/%m}/{instance.line.request.number}-{instance.line_id}-" \
           f"{timezone.now():%H%M%S%f}.{ext}"


class QcPhoto(models.Model):
    line = models.ForeignKey(ReturnLine, on_delete=models.CASCADE, related_name="photos",
                             verbose_name=_("return line"))
    # Private storage: served only through `aftersales:photo` to holders of view_qcphoto.
    image = models.ImageField(_("photo"), upload_to=qc_photo_path, storage=private_storage)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"))
    actor_name = models.CharField(_("uploaded by"), max_length=150)

    class Meta:
        verbose_name = _("QC photo")
        verbose_name_plural = _("QC photos")
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return self.image.name
