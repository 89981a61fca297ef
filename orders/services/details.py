"""Changes to an order that do not move its state: the shipping address, the assignee."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import hooks
from core.errors import InvalidTransition, ValidationFailed
from core.phones import normalise_phone
from orders.events import EventKind, record_event, timeline_message
from orders.lock_objects import lock_order
from orders.models import Order, OrderStatus

ADDRESS_FIELDS = ("recipient", "phone", "province", "city", "district", "address_detail", "postal_code")


@transaction.atomic
def order_change_address(*, order: Order, actor, comment: str, **changes) -> Order:
    if not (comment or "").strip():
        raise ValidationFailed(errors={"comment": [_("A comment is required.")]})
    unknown = set(changes) - set(ADDRESS_FIELDS)
    if unknown:
        raise ValidationFailed(errors={name: [_("Not an address field.")] for name in sorted(unknown)})
    order = lock_order(order)
    if order.status not in (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
                            OrderStatus.AWAITING_SHIPMENT):
        raise InvalidTransition(_("The address cannot be changed after the order has shipped."))
    errors: dict[str, list[str]] = {}
    cleaned = {name: (str(value).strip() if value is not None else "") for name, value in changes.items()}
    if "phone" in cleaned:
        phone = normalise_phone(cleaned["phone"])
        if phone is None:
            errors["phone"] = [_("Not a valid mainland mobile or landline number.")]
        cleaned["phone"] = phone
    for required in ("recipient", "province", "city", "address_detail"):
        if required in cleaned and not cleaned[required]:
            errors[required] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(errors=errors)
    before = {name: getattr(order, name) for name in cleaned}
    for name, value in cleaned.items():
        setattr(order, name, value)
    order.save()
    record_event(order=order, kind=EventKind.ADDRESS_CHANGED,
                 message=timeline_message(
                     gettext_lazy("Address changed: %(comment)s"),
                     {"comment": comment}), actor=actor,
                 data={"before": before, "after": cleaned, "comment": comment})
    hooks.order_address_changed.fire(hooks.OrderAddressChanged(order=order, actor=actor, before=before, after=cleaned))
    return order


@transaction.atomic
def order_assign(*, order: Order, assignee, actor) -> Order:
    order = lock_order(order)
    order.assigned_to = assignee
    order.save(update_fields=["assigned_to", "updated_at"])
    record_event(order=order, kind=EventKind.ASSIGNED,
                 message=timeline_message(
                     gettext_lazy("Assigned to %(user)s."),
                     {"user": assignee.get_username() if assignee else "-"}),
                 actor=actor, data={"assignee": assignee.get_username() if assignee else None})
    return order
