"""Explicit, typed hooks from lower stages to upper ones.

A lower app (say `orders`) must not import an upper one (`inventory`), yet cancelling an order has
to release its stock. The lower app fires a named hook; the upper app registers a handler in its
`AppConfig.ready()`. Handlers run synchronously, inside the caller's transaction, in registration
order, so a failing handler rolls the whole business step back. Unlike signals, every hook is
declared here with its payload type, and `grep -r order_cancelled.register` finds every effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # names for the payloads' types only: at run time core imports no stage
    from django.contrib.auth.models import AbstractBaseUser

    from core.actors import SystemActor
    from logistics.models import Shipment
    from orders.models import Order

    Actor = AbstractBaseUser | SystemActor | None

P = TypeVar("P")


class Hook(Generic[P]):
    def __init__(self, name: str, doc: str = ""):
        self.name = name
        self.__doc__ = doc
        self._handlers: list[Callable[[P], None]] = []
        self._batch_handlers: dict[Callable[[P], None], Callable[[list[P]], None]] = {}

    def register(self, handler: Callable[[P], None], *,
                 many: Callable[[list[P]], None] | None = None) -> Callable[[P], None]:
        """`many`, if given, does what `handler` does for a whole list of payloads at once (`fire_many`)."""
        # ready() can run twice in some test set-ups; registering twice must not double effects.
        if handler not in self._handlers:
            self._handlers.append(handler)
        if many is not None:
            self._batch_handlers[handler] = many
        return handler

    def unregister(self, handler: Callable[[P], None]) -> None:
        if handler in self._handlers:
            self._handlers.remove(handler)
        self._batch_handlers.pop(handler, None)

    @property
    def handlers(self) -> tuple[Callable[[P], None], ...]:
        return tuple(self._handlers)

    def fire(self, payload: P) -> None:
        for handler in self._handlers:
            handler(payload)

    def fire_many(self, payloads: list[P]) -> None:
        """The hook for many payloads of one bulk step (the legacy import's holds): each handler in
        registration order over all of them, through its `many` variant when it has one (one query
        for a thousand orders instead of one per order)."""
        if not payloads:
            return
        for handler in self._handlers:
            many = self._batch_handlers.get(handler)
            if many is not None:
                many(payloads)
            else:
                for payload in payloads:
                    handler(payload)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._handlers)} handler(s)>"


@dataclass(frozen=True)
class OrderCancelled:
    order: Order  # locked by the caller
    actor: Actor  # a User, a SystemActor, or None for the system
    reason: str


@dataclass(frozen=True)
class OrderStatusChanged:
    order: Order  # locked by the caller, saved in its new state
    actor: Actor
    source: str  # OrderStatus before
    target: str  # OrderStatus after


order_cancelled: Hook[OrderCancelled] = Hook(
    "order_cancelled",
    "After an order moved to `cancelled`, inside the transaction: release stock, refund payments.",
)
order_status_changed: Hook[OrderStatusChanged] = Hook(
    "order_status_changed",
    "After any order state change, inside the transaction: outbound webhooks, notifications.",
)


@dataclass(frozen=True)
class OrderSubmitted:
    order: Order  # just created from a channel, not reviewed yet
    actor: Actor


order_submitted: Hook[OrderSubmitted] = Hook(
    "order_submitted",
    "After `oms.workflow.services.submit_order` created a channel order, before its review, inside the "
    "transaction: outbound webhooks (`order.created`).",
)


@dataclass(frozen=True)
class CustomerNotificationRequested:
    """A stage wants the customer told something (e.g. `logistics` when a parcel left)."""

    order_id: int
    key: str  # sent once per order and key (e.g. "shipment_shipped:SH…")
    data: dict[str, str]  # `logistics.notifications.Notification` as a dict, what `deliver` takes
    actor: Actor


customer_notification_requested: Hook[CustomerNotificationRequested] = Hook(
    "customer_notification_requested",
    "Inside the transaction that decided to tell the customer: `oms.workflow` records a follow-up that "
    "sends it after commit, retried until it went out, never twice.",
)


@dataclass(frozen=True)
class OrderAddressChanged:
    order: Order  # locked by the caller, already saved with the new address
    actor: Actor
    before: dict[str, str]  # field → old value, for the fields that changed hands
    after: dict[str, str]  # field → new value


order_address_changed: Hook[OrderAddressChanged] = Hook(
    "order_address_changed",
    "After a clerk changed an order's shipping address, inside the transaction: tell a WMS that already "
    "holds the parcel.",
)


@dataclass(frozen=True)
class StockReplenished:
    """Sellable stock went up: a receipt, an adjustment up, a transfer in, a restocked return."""

    product_ids: tuple[int, ...]
    warehouse_id: int
    kind: str  # the ledger movement kind that added the stock ("receipt", "adjustment", …)


stock_replenished: Hook[StockReplenished] = Hook(
    "stock_replenished",
    "After sellable stock increased, inside the transaction: re-allocate backordered orders (after commit).",
)


@dataclass(frozen=True)
class ShippingInstruction:
    shipment: Shipment  # locked by the caller
    action: str  # "ship": pick, pack and ship these lines; "cancel": stop, the order was cancelled;
    # "hold" / "release": the order went on hold and came back; "update": the recipient changed
    payload: dict[str, object]  # the JSON document the warehouse management system receives


shipping_instruction: Hook[ShippingInstruction] = Hook(
    "shipping_instruction",
    "A shipment of a warehouse run by an external WMS was released or withdrawn, inside the transaction: "
    "write the instruction to the outbox so it is delivered after commit, with retries.",
)


# -- issue 19: the milestones automation rules fire on (the stages fire them, the workflow listens) --------
@dataclass(frozen=True)
class ShipmentDelivered:
    shipment: Shipment  # locked by the caller, already `delivered`
    order: Order  # locked by the caller; not completed yet (the hook fires before the completion)
    actor: Actor
    by_hand: bool  # confirmed by a clerk, not reported by the carrier


shipment_delivered: Hook[ShipmentDelivered] = Hook(
    "shipment_delivered",
    "A parcel was delivered (carrier report or confirmed by hand), inside the transaction, before the order "
    "may complete: outbound `order.delivered`, automation rules.",
)


@dataclass(frozen=True)
class ShipmentsPlanned:
    order: Order  # locked by the caller
    actor: Actor
    shipments: tuple[Shipment, ...]  # the shipments just created


shipments_planned: Hook[ShipmentsPlanned] = Hook(
    "shipments_planned",
    "New shipments were planned for an order, inside the transaction: automation rules (e.g. QC first).",
)


@dataclass(frozen=True)
class ReturnRequested:
    order: Order
    actor: Actor
    return_number: str  # the RMA's number
    kind: str  # return / exchange / …


return_requested: Hook[ReturnRequested] = Hook(
    "return_requested",
    "A return or exchange was requested for an order, inside the transaction: automation rules.",
)


@dataclass(frozen=True)
class RefundCompleted:
    order: Order
    actor: Actor
    amount: Decimal  # yuan


refund_completed: Hook[RefundCompleted] = Hook(
    "refund_completed",
    "A refund was paid out for an order, inside the transaction: automation rules.",
)
