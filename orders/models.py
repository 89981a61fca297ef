"""Channels, customers, orders, lines and the order timeline.

The order's `status` is a protected django-fsm-2 field: transitions below only change state (guards
in `conditions=`, roles in `permission=`); `orders.services` and the upper stages' services are the
only callers. Goods and funds live in their own stages and point back to the order.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from core.enums import Role
from core.fieldcrypto import (
    BlindIndexField,
    EncryptedCharField,
    EncryptedEmailField,
    EncryptedJSONField,
    EncryptedSparseJSONField,
    PhoneLast4Field,
)
from core.money import ZERO, MoneyField


class Channel(models.Model):
    class Kind(models.TextChoices):
        MARKETPLACE = "marketplace", _("Marketplace")
        OWN_SHOP = "own_shop", _("Own web shop")
        MINI_PROGRAM = "mini_program", _("Mini-program")
        STORE = "store", _("Offline store")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MARKETPLACE)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=100)
    # Encrypted at rest; exact search goes through the keyed hashes beside them (core/fieldcrypto.py).
    phone = EncryptedCharField(_("phone"), max_length=32)
    phone_index = BlindIndexField(_("phone search hash"), source="phone", kind="phone")
    phone_last4 = PhoneLast4Field(_("phone last 4 digits"), source="phone")
    email = EncryptedEmailField(_("e-mail"), blank=True)
    email_index = BlindIndexField(_("e-mail search hash"), source="email", kind="email")
    company_name = models.CharField(_("company name"), max_length=200, blank=True,
                                    help_text=_("For company invoices."))
    tax_id = models.CharField(_("tax ID"), max_length=32, blank=True)
    company_address_phone = models.CharField(_("registered address and phone"), max_length=200, blank=True,
                                             help_text=_("For special VAT invoices (专票)."))
    company_bank_account = models.CharField(_("bank and account"), max_length=200, blank=True,
                                            help_text=_("For special VAT invoices (专票)."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["phone_index"], name="orders_customer_phone_idx"),
            models.Index(fields=["phone_last4"], name="orders_customer_last4_idx"),
            models.Index(fields=["email_index"], name="orders_customer_email_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Pending review")
    ON_HOLD = "on_hold", _("On hold")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    AWAITING_SHIPMENT = "awaiting_shipment", _("Awaiting shipment")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
                 OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED)
CANCELLABLE_STATUSES = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
                        OrderStatus.AWAITING_SHIPMENT)


class PaymentMethod(models.TextChoices):
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")
    UNIONPAY = "unionpay", _("UnionPay")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    COD = "cod", _("Cash on delivery")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    OVERPAID = "overpaid", _("Overpaid")
    COD = "cod", _("Cash on delivery")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


class OrderPriority(models.IntegerChoices):
    NORMAL = 0, _("Normal")
    HIGH = 1, _("High")
    URGENT = 2, _("Urgent")


class OrderSource(models.TextChoices):
    API = "api", _("API")
    ADMIN = "admin", _("Back office")
    IMPORT = "import", _("Legacy import")


def _can_review(order, user) -> bool:
    return user.has_perm("orders.review_order")


def _can_cancel(order, user) -> bool:
    return user.has_perm("orders.cancel_order")


class Order(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("order number"), max_length=32, unique=True)
    # No index of its own: (channel, external_id) and (channel, -created_at) lead with it. Every index
    # is written on each of an order's inserts and updates (the intake's two among them).
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="orders", verbose_name=_("channel"),
                                db_index=False)
    external_id = models.CharField(_("channel order ID"), max_length=64)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders",
                                 verbose_name=_("customer"))
    source = models.CharField(_("source"), max_length=10, choices=OrderSource.choices, default=OrderSource.API)

    # Shipping address: a snapshot on the order, as the channel sent it (edits go on the timeline).
    recipient = models.CharField(_("recipient"), max_length=100)
    phone = EncryptedCharField(_("recipient phone"), max_length=32)
    phone_index = BlindIndexField(_("phone search hash"), source="phone", kind="phone")
    phone_last4 = PhoneLast4Field(_("phone last 4 digits"), source="phone")
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    district = models.CharField(_("district"), max_length=32, blank=True)
    address_detail = EncryptedCharField(pgettext_lazy("street", "address"), max_length=255)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)

    # Indexed by (status, -created_at), which leads with it.
    status = FSMField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_REVIEW,
                      protected=True)
    hold_reasons = models.JSONField(_("hold reasons"), default=list, blank=True,
                                    help_text=_("Machine codes of the checks that put the order on hold."))

    # Funds summary. The finance stage is the only writer of paid/refunded once the order exists.
    payment_method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices, blank=True)
    payment_status = models.CharField(_("payment status"), max_length=20, choices=PaymentStatus.choices,
                                      default=PaymentStatus.UNPAID)
    subtotal = MoneyField(_("goods amount"))
    discount_total = MoneyField(_("discount"))
    shipping_fee = MoneyField(_("shipping fee"))
    total = MoneyField(_("total"))
    paid_amount = MoneyField(_("paid"))
    refunded_amount = MoneyField(_("refunded"))

    note = models.TextField(_("note"), blank=True)
    # Encrypted: an individual's address, phone and bank account can be in it (finance/vat.py reads it).
    invoice_request = EncryptedSparseJSONField(
        _("invoice request"), default=dict, blank=True,
        help_text=_("What the buyer asked for on the channel: type (normal/special), title, tax_id, "
                    "address_phone, bank_account."))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="assigned_orders", verbose_name=_("assigned to"))
    # A team (a back-office role) the order is routed to, e.g. by an automation rule; anyone in it may take it.
    assigned_team = models.CharField(_("assigned team"), max_length=20, blank=True, choices=Role.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=OrderPriority.choices,
                                                default=OrderPriority.NORMAL, db_index=True)
    ordered_at = models.DateTimeField(_("ordered at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    # The audit rows are read by order (`id`) and by time (`history_date`) only; the order's other
    # indexes copied onto them cost a write each on every change of every order.
    history = HistoricalRecords(excluded_fields=["updated_at"],
                                no_db_index=["number", "channel", "customer", "status", "assigned_to", "assigned_team",
                                             "priority", "created_at"])

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_order", _("Can review, approve and reject orders")),
            ("cancel_order", _("Can cancel orders")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="orders_order_channel_external_id_uniq"),
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_gte_0"),
            models.CheckConstraint(condition=Q(shipping_fee__gte=0), name="orders_order_shipping_fee_gte_0"),
            models.CheckConstraint(condition=Q(refunded_amount__lte=F("paid_amount")),
                                   name="orders_order_refunded_lte_paid"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="orders_status_created_idx"),
            models.Index(fields=["channel", "-created_at"], name="orders_channel_created_idx"),
            models.Index(fields=["phone_index"], name="orders_phone_idx"),
            models.Index(fields=["phone_last4"], name="orders_phone_last4_idx"),
            models.Index(fields=["external_id"], name="orders_external_id_idx"),
            # The order search matches the recipient exactly (`orders.selectors.order_search`); without
            # it every search by a non-numeric term (an order number included) read the whole table.
            models.Index(fields=["recipient"], name="orders_recipient_idx"),
            # Plain: `db_index=True` on a CharField adds a second, LIKE-prefix index on PostgreSQL
            # that no query of a team name uses.
            models.Index(fields=["assigned_team"], name="orders_assigned_team_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    # -- guards (pure) --------------------------------------------------------------------------
    def is_settled_for_shipment(self) -> bool:
        """Paid in full, or cash on delivery: the goods may leave."""
        return self.payment_method == PaymentMethod.COD or self.paid_amount >= self.total

    @property
    def outstanding_amount(self) -> Decimal:
        return max(self.total - self.paid_amount, ZERO)

    @property
    def full_address(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.address_detail}"

    # -- transitions: state only ------------------------------------------------------------------
    @transition(field=status, source=[OrderStatus.PENDING_REVIEW, OrderStatus.AWAITING_PAYMENT,
                                      OrderStatus.AWAITING_SHIPMENT, OrderStatus.ON_HOLD],
                target=OrderStatus.ON_HOLD, custom={"label": _("put on hold")})
    def hold(self):
        pass

    @transition(field=status, source=[OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD],
                target=OrderStatus.AWAITING_PAYMENT, permission=_can_review,
                custom={"label": _("approve")})
    def await_payment(self):
        pass

    @transition(field=status, source=[OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT],
                target=OrderStatus.AWAITING_SHIPMENT, conditions=[is_settled_for_shipment],
                permission=_can_review, custom={"label": _("release for shipment")})
    def await_shipment(self):
        pass

    @transition(field=status, source=[OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED],
                target=OrderStatus.PARTIALLY_SHIPPED, custom={"label": _("ship partially")})
    def ship_partially(self):
        pass

    @transition(field=status, source=[OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED],
                target=OrderStatus.SHIPPED, custom={"label": _("ship")})
    def ship(self):
        pass

    @transition(field=status, source=OrderStatus.SHIPPED, target=OrderStatus.COMPLETED,
                custom={"label": _("complete")})
    def complete(self):
        pass

    @transition(field=status, source=list(CANCELLABLE_STATUSES), target=OrderStatus.CANCELLED,
                permission=_can_cancel, custom={"label": _("cancel")})
    def cancel(self):
        pass

    @transition(field=status, source=OrderStatus.ON_HOLD, target=OrderStatus.CANCELLED, permission=_can_review,
                custom={"label": _("reject")})
    def reject(self):
        pass


class OrderTag(models.Model):
    """A label on an order (set by a clerk or an automation rule), e.g. 大客户; lists filter by it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tags", verbose_name=_("order"))
    name = models.CharField(_("tag"), max_length=32, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("order tag")
        verbose_name_plural = _("order tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["order", "name"], name="orders_tag_once_per_order")]

    def __str__(self) -> str:
        return self.name


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_lines",
                                verbose_name=_("product"))
    # Snapshots: a later price or name change in the catalog does not rewrite history.
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = MoneyField(_("unit price"))
    discount = MoneyField(_("discount"))
    amount = MoneyField(_("amount"))
    tax_rate = models.DecimalField(_("tax rate"), max_digits=4, decimal_places=3, default=Decimal("0.130"))
    # Goods-flow summaries kept by the stages that own the movements (inventory reserves, logistics
    # ships, after-sales takes back) through `orders.services.order_line_quantities_set`; their
    # ledgers stay the truth and invariant tests check these agree with them.
    quantity_reserved = models.PositiveIntegerField(_("reserved"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    quantity_returned = models.PositiveIntegerField(_("returned"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        # By the column, not the order: "order" sorts by the order's own ordering, which joined the
        # orders table into every read of an order's lines.
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orders_line_unit_price_gte_0"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="orders_line_discount_gte_0"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="orders_line_amount_gte_0"),
            models.CheckConstraint(condition=Q(quantity_reserved__lte=F("quantity")),
                                   name="orders_line_reserved_lte_qty"),
            models.CheckConstraint(condition=Q(quantity_shipped__lte=F("quantity")),
                                   name="orders_line_shipped_lte_qty"),
            models.CheckConstraint(condition=Q(quantity_returned__lte=F("quantity_shipped")),
                                   name="orders_line_returned_lte_shipped"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class OrderEvent(models.Model):
    """One entry of the order's timeline: information, funds and goods flows alike."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_name = models.CharField(_("actor"), max_length=150)
    message = models.TextField(pgettext_lazy("timeline", "message"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Personal values of the step (an address change's phones, streets and comment), encrypted;
    # `data` holds them masked. Readers merge the two for users allowed to see personal data
    # (orders.events.event_for_viewer).
    private = EncryptedJSONField(_("personal data"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="orders_event_order_at_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"
