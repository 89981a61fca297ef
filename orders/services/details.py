"""Changes to an order that do not move its state: the shipping address, the assignee, team, priority, tags."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import hooks
from core.enums import Role
from core.errors import InvalidTransition, ValidationFailed
from core.phones import normalise_phone
from core.pii import mask_data, mask_text
from orders.events import EventKind, record_event, timeline_message, timeline_text
from orders.lock_objects import lock_order
from orders.models import Order, OrderPriority, OrderStatus, OrderTag

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
    # The timeline keeps phones, streets and the comment (a clerk types the new number into it)
    # masked in clear and whole only in the encrypted `private` part.
    template = gettext_lazy("Address changed: %(comment)s")
    whole = {"before": before, "after": cleaned, "comment": comment}
    record_event(order=order, kind=EventKind.ADDRESS_CHANGED, actor=actor,
                 message=timeline_message(template, {"comment": mask_text(comment)}), data=mask_data(whole),
                 private={"before": _personal(before), "after": _personal(cleaned), "comment": comment,
                          "message": timeline_text(timeline_message(template, {"comment": comment}))})
    hooks.order_address_changed.fire(hooks.OrderAddressChanged(order=order, actor=actor, before=before, after=cleaned))
    return order


def _personal(values: dict) -> dict:
    return {name: value for name, value in values.items() if name in ("phone", "address_detail")}


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


@transaction.atomic
def order_assign_team(*, order: Order, team: str, actor) -> Order:
    """Route the order to a team (a back-office role); anyone in it may then take it."""
    if team and team not in Role.values:
        raise ValidationFailed(errors={"team": [_("Unknown team “%(team)s”.") % {"team": team}]})
    order = lock_order(order)
    if order.assigned_team == team:
        return order
    order.assigned_team = team
    order.save(update_fields=["assigned_team", "updated_at"])
    record_event(order=order, kind=EventKind.ASSIGNED, actor=actor, data={"team": team},
                 message=timeline_message(gettext_lazy("Assigned to the team %(team)s."),
                                          {"team": Role(team).label if team else "-"}))
    return order


@transaction.atomic
def order_set_priority(*, order: Order, priority: int, actor, reason: str = "") -> Order:
    if priority not in OrderPriority.values:
        raise ValidationFailed(errors={"priority": [_("Unknown priority.")]})
    order = lock_order(order)
    if order.priority == priority:
        return order
    before = order.priority
    order.priority = priority
    order.save(update_fields=["priority", "updated_at"])
    record_event(order=order, kind=EventKind.PRIORITY_SET, actor=actor,
                 data={"before": before, "after": priority, "reason": reason},
                 message=timeline_message(gettext_lazy("Priority set to %(priority)s. %(reason)s"),
                                          {"priority": OrderPriority(priority).label, "reason": reason}))
    return order


def clean_tag(name) -> str:
    name = str(name or "").strip()
    if not name or len(name) > 32:
        raise ValidationFailed(errors={"tag": [_("A tag is 1 to 32 characters.")]})
    return name


@transaction.atomic
def order_tag_add(*, order: Order, tag: str, actor, reason: str = "") -> Order:
    """Label the order (once: a tag it already has is not added again)."""
    tag = clean_tag(tag)
    order = lock_order(order)
    _tag, created = OrderTag.objects.get_or_create(order=order, name=tag)
    if created:
        record_event(order=order, kind=EventKind.TAGGED, actor=actor, data={"tag": tag, "reason": reason},
                     message=timeline_message(gettext_lazy("Tagged “%(tag)s”. %(reason)s"),
                                              {"tag": tag, "reason": reason}))
    return order
