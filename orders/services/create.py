"""Creating orders: the one path by which an order enters OMS (API, back office, exchanges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.selectors import normalise_sku, products_by_sku
from core.actors import actor_user
from core.bulk import insert_history
from core.errors import DuplicateOrder, ValidationFailed
from core.fieldcrypto import blind_index_lookups
from core.money import ZERO, to_money
from core.numbering import next_order_number
from core.phones import normalise_phone
from orders.events import EventKind, record_event, timeline_message
from orders.models import Channel, Customer, Order, OrderLine, OrderSource, OrderStatus, PaymentMethod, PaymentStatus
from orders.selectors import active_channel

# `Choices.values` rebuilds its list on every access; the rules run once per order in bulk imports.
_PAYMENT_METHODS = frozenset(PaymentMethod.values)


@dataclass
class LineInput:
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO


@dataclass
class OrderInput:
    """An order as a channel, the back office or the importer describes it."""

    channel: str
    external_id: str
    customer_name: str
    customer_phone: str
    recipient: str
    recipient_phone: str
    province: str
    city: str
    address_detail: str
    lines: list[LineInput]
    ordered_at: datetime | None = None
    customer_email: str = ""
    district: str = ""
    postal_code: str = ""
    shipping_fee: Decimal = ZERO
    payment_method: str = ""
    note: str = ""
    company_name: str = ""
    tax_id: str = ""
    extra: dict = field(default_factory=dict)
    invoice_request: dict = field(default_factory=dict)  # the channel's invoice request (发票抬头 …)


def validate_order_input(data: OrderInput) -> tuple[Channel | None, dict]:
    """Every business problem of an order at once, keyed by dotted field path.

    Returns the channel and the products by SKU so that callers do not look them up again.
    """
    channel = active_channel(data.channel) if data.channel else None
    products = products_by_sku(line.sku for line in data.lines)
    errors = order_input_problems(data, channel=channel, products=products)
    if errors:
        raise ValidationFailed(errors=errors)
    return channel, products


def order_input_problems(data: OrderInput, *, channel: Channel | None, products: dict) -> dict[str, list[str]]:
    """The business rules of `validate_order_input` without queries, for callers that validate in bulk.

    `channel` is the active channel named by `data.channel` (None when there is none), `products`
    the catalog products keyed by normalised SKU (`products_by_sku`). Returns messages by field path.
    """
    errors: dict[str, list[str]] = {}

    def add(path: str, message) -> None:
        errors.setdefault(path, []).append(str(message))

    if channel is None:
        add("channel", _("Unknown channel “%(code)s”.") % {"code": data.channel})
    if not (data.external_id or "").strip():
        add("external_id", _("This field is required."))
    if not (data.customer_name or "").strip():
        add("customer.name", _("This field is required."))
    if normalise_phone(data.customer_phone) is None:
        add("customer.phone", _("Not a valid mainland mobile or landline number."))
    if not (data.recipient or "").strip():
        add("shipping_address.recipient", _("This field is required."))
    if normalise_phone(data.recipient_phone) is None:
        add("shipping_address.phone", _("Not a valid mainland mobile or landline number."))
    for name in ("province", "city"):
        if not (getattr(data, name) or "").strip():
            add(f"shipping_address.{name}", _("This field is required."))
    if not (data.address_detail or "").strip():
        add("shipping_address.detail", _("This field is required."))
    if data.payment_method and data.payment_method not in _PAYMENT_METHODS:
        add("payment.method", _("Unknown payment method."))
    if to_money(data.shipping_fee) < 0:
        add("shipping_fee", _("Must not be negative."))
    if not data.lines:
        add("lines", _("An order needs at least one line."))
    for index, line in enumerate(data.lines):
        product = products.get(normalise_sku(line.sku))
        if product is None or not product.active:
            add(f"lines.{index}.sku", _("Unknown SKU “%(sku)s”.") % {"sku": line.sku})
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            add(f"lines.{index}.quantity", _("Must be a positive whole number."))
        if to_money(line.unit_price) < 0:
            add(f"lines.{index}.unit_price", _("Must not be negative."))
        if to_money(line.discount) < 0:
            add(f"lines.{index}.discount", _("Must not be negative."))
        elif isinstance(line.quantity, int) and line.quantity > 0 and to_money(line.discount) > to_money(
            line.unit_price
        ) * line.quantity:
            add(f"lines.{index}.discount", _("Must not exceed quantity × unit price."))
    return errors


def priced_line_values(lines: list[LineInput], products: dict) -> tuple[list[dict], Decimal, Decimal]:
    """Each line's field values (catalog snapshots and amounts), plus the subtotal and discount total.

    The one place where an order's goods amount is computed: `order_create` builds its lines from
    these, the legacy import writes them in bulk.
    """
    rows = []
    subtotal = discount_total = ZERO
    for line in lines:
        product = products[normalise_sku(line.sku)]
        unit_price, discount = to_money(line.unit_price), to_money(line.discount)
        gross = unit_price * line.quantity
        subtotal += gross
        discount_total += discount
        rows.append({
            "product_id": product.pk, "sku": product.sku, "name": product.name, "quantity": line.quantity,
            "unit_price": unit_price, "discount": discount, "amount": gross - discount, "tax_rate": product.tax_rate,
        })
    return rows, subtotal, discount_total


def priced_lines(lines: list[LineInput], products: dict) -> tuple[list[OrderLine], Decimal, Decimal]:
    """Unsaved lines with catalog snapshots and amounts, plus the subtotal and the discount total."""
    rows, subtotal, discount_total = priced_line_values(lines, products)
    return [OrderLine(**values) for values in rows], subtotal, discount_total


def _find_or_create_customer(data: OrderInput) -> Customer:
    phone = normalise_phone(data.customer_phone)
    customer = Customer.objects.filter(phone_index__in=blind_index_lookups("phone", phone),
                                       name=data.customer_name.strip()).order_by("pk").first()
    if customer is None:
        customer = Customer.objects.create(
            name=data.customer_name.strip(), phone=phone, email=data.customer_email or "",
            company_name=data.company_name, tax_id=data.tax_id,
        )
    return customer


@transaction.atomic
def order_create(*, data: OrderInput, actor, source: str = OrderSource.API,
                 initial_status: str = OrderStatus.PENDING_REVIEW, check_duplicate: bool = True,
                 history: bool = True, number: str = "") -> Order:
    """Create an order with its lines, numbered and priced, in `pending_review` (or the imported state).

    Raises ValidationFailed listing every bad field, DuplicateOrder when (channel, external_id) exists.
    The returned instance carries `created_lines`, the lines as written (with their ids).
    `check_duplicate=False` leaves that to the unique constraint (one query less): for callers that
    replay a duplicate themselves and roll back the whole transaction on it (the order intake).
    `history=False`: no audit-history row now, nor when the returned instance is saved again; the
    caller writes the order's one row when its state is final (`order_history_record`), so an
    order that is created, paid and reviewed in one transaction has one history row, not three.
    `number`: one the caller took beforehand (`core.numbering.next_order_number_alone`); by default
    the next one is taken here, under the day's counter lock until this transaction ends.
    """
    channel, products = validate_order_input(data)
    external_id = data.external_id.strip()
    if check_duplicate and Order.objects.filter(channel=channel, external_id=external_id).exists():
        raise DuplicateOrder(data={"channel": channel.code, "external_id": external_id})

    customer = _find_or_create_customer(data)
    line_rows, subtotal, discount_total = priced_lines(data.lines, products)
    shipping_fee = to_money(data.shipping_fee)
    order = Order(
        number=number or next_order_number(), channel=channel, external_id=external_id, customer=customer,
        source=source, recipient=data.recipient.strip(), phone=normalise_phone(data.recipient_phone),
        province=data.province.strip(), city=data.city.strip(), district=(data.district or "").strip(),
        address_detail=data.address_detail.strip(), postal_code=(data.postal_code or "").strip(),
        status=initial_status, payment_method=data.payment_method or "",
        payment_status=PaymentStatus.COD if data.payment_method == PaymentMethod.COD else PaymentStatus.UNPAID,
        subtotal=subtotal, discount_total=discount_total, shipping_fee=shipping_fee,
        total=subtotal - discount_total + shipping_fee, note=data.note or "",
        ordered_at=data.ordered_at or timezone.now(), invoice_request=dict(data.invoice_request or {}),
    )
    if not history:
        order.skip_history_when_saving = True
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as exc:
        # Two requests for the same channel order raced past the exists() check above.
        raise DuplicateOrder(data={"channel": channel.code, "external_id": external_id}) from exc
    for row in line_rows:
        row.order = order
    OrderLine.objects.bulk_create(line_rows)
    order.created_lines = line_rows  # the lines as written, for a caller that goes on in this transaction
    record_event(
        order=order, kind=EventKind.CREATED if source != OrderSource.IMPORT else EventKind.IMPORTED,
        message=timeline_message(
            gettext_lazy("Order created from channel %(channel)s, total ¥%(total)s."),
            {"channel": channel.name, "total": f"{order.total:,.2f}"}),
        actor=actor, data={"channel": channel.code, "external_id": external_id, "total": f"{order.total:.2f}",
                           "source": source},
    )
    return order


def order_history_record(*, order: Order, actor) -> None:
    """The one audit-history row (`+`, as created) of an order made with `order_create(history=False)`,
    with the state it has now; later saves of the instance write history again as usual."""
    if hasattr(order, "skip_history_when_saving"):
        del order.skip_history_when_saving
    user = actor_user(actor)
    insert_history(Order, [order], when=timezone.now(), user_id=user.pk if user else None)
