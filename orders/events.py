"""Writing the order timeline. Every service writes exactly one event per business step.

`kind` is a short machine code; stages add their own kinds (stock_reserved, payment_received, …)
through `record_event` with their own constants. The message is stored in the project's default
language (zh-hans) whatever the language of the request that caused it, so the timeline reads the
same for everyone; `data` keeps the machine-readable facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from core.actors import actor_name, actor_user
from core.bulk import complete_rows, insert_objects, insert_rows
from orders.models import Order, OrderEvent


class EventKind:
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    HELD = "held"
    REVIEW_PASSED = "review_passed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ADDRESS_CHANGED = "address_changed"
    ASSIGNED = "assigned"
    PRIORITY_SET = "priority_set"
    TAGGED = "tagged"
    PAYMENT_RECORDED = "payment_recorded"
    NOTE = "note"
    IMPORTED = "imported"


class TimelineMessage:
    """`template % params`, formatted when `record_event` stores it, in the timeline's language.

    `gettext_lazy(...) % params` is translated at once, in the language of the request (an English
    clerk would write English entries into a Chinese timeline); this waits until `build_event`
    renders it under zh-hans. Lazy values among the params (a carrier's name) are translated then
    too. A plain class rather than `django.utils.functional.lazy`, which builds a proxy class per
    call: reservations write thousands of these per import batch.
    """

    __slots__ = ("template", "params")

    def __init__(self, template, params: dict):
        self.template, self.params = template, params

    def __str__(self) -> str:
        return str(self.template) % {key: str(value) for key, value in self.params.items()}


def timeline_message(template, params: dict) -> TimelineMessage:
    return TimelineMessage(template, params)


class TimelineJoin:
    """Pieces of a timeline message (each possibly lazy) joined when the message is stored."""

    __slots__ = ("separator", "pieces")

    def __init__(self, separator: str, pieces):
        self.separator, self.pieces = separator, list(pieces)

    def __str__(self) -> str:
        return self.separator.join(str(piece) for piece in self.pieces)


def record_event(*, order: Order, kind: str, message, actor=None, data: dict | None = None,
                 private: dict | None = None) -> OrderEvent:
    """Write one timeline event (queued instead inside `events_written_together`). Personal values
    go masked into `message`/`data` and whole into `private` (encrypted; see `event_for_viewer`)."""
    event = build_event(order=order, kind=kind, message=message, actor=actor, data=data, private=private)
    queued = _queued_events.get()
    if queued is not None:
        queued.append(event)
    else:
        event.save()
    return event


_queued_events: ContextVar[list[OrderEvent] | None] = ContextVar("queued_order_events", default=None)


@contextmanager
def events_written_together() -> Iterator[list[OrderEvent]]:
    """Inside this block `record_event` queues its events (and bulk writers add theirs through
    `queued_events()`); when the block ends without an error they are written in one INSERT, in the
    order they were recorded. For one transaction that takes an order through several steps (the
    order intake: created, paid, stock reserved, review passed), each of which writes its event."""
    if _queued_events.get() is not None:  # nested: the outer block writes them
        yield _queued_events.get()
        return
    events: list[OrderEvent] = []
    token = _queued_events.set(events)
    try:
        yield events
    finally:
        _queued_events.reset(token)
    insert_objects(OrderEvent, events)


def write_queued_events() -> None:
    """Write the enclosing `events_written_together` block's events now (e.g. inside a
    `core.bulk.write_pipeline` with other final writes); later ones are written at the block's end."""
    queued = _queued_events.get()
    if queued:
        insert_objects(OrderEvent, list(queued))
        queued.clear()


def queued_events() -> list[OrderEvent] | None:
    """The queue of the enclosing `events_written_together` block, None outside one."""
    return _queued_events.get()


def build_event(*, order: Order | None, kind: str, message, actor=None, data: dict | None = None,
                private: dict | None = None) -> OrderEvent:
    """The unsaved event `record_event` writes; bulk writers (the legacy import) insert these in bulk,
    passing `order=None` and setting `order_id` when they hold order rows rather than instances."""
    return OrderEvent(
        order=order, kind=kind, message=timeline_text(message), actor=actor_user(actor), actor_name=actor_name(actor),
        data=data or {}, private=private or None,
    )


def timeline_text(message) -> str:
    """A (lazy) message as the timeline stores it: rendered in zh-hans, the timeline's language."""
    if isinstance(message, str):
        return message  # already text (a bulk writer rendered it in zh-hans once for the batch)
    if translation.get_language() == "zh-hans":
        return str(message)  # already the timeline's language (switching costs more than the event)
    with translation.override("zh-hans"):
        return str(message)


def event_row(*, order_id: int, kind: str, message: str, actor_id: int | None, actor_label: str, data: dict,
              at) -> dict:
    """`build_event` as a row (attname → value) for `core.bulk`, with the message already rendered
    in the timeline's language and the actor resolved once (`actor_user`, `actor_name`): the legacy
    import builds tens of thousands, and a model instance each cost more than writing it."""
    return {"order_id": order_id, "at": at, "kind": kind, "message": message, "actor_id": actor_id,
            "actor_name": actor_label, "data": data}


def record_event_rows(rows: list[dict]) -> None:
    """Write many `event_row`s at once (a batch reservation's `stock_reserved` events): the bulk
    `record_event`, so that no other stage writes the timeline's table itself."""
    if not rows:
        return
    rows = complete_rows(OrderEvent, rows)
    queued = queued_events()
    if queued is not None:  # written with the transaction's other events (the order intake)
        queued.extend(OrderEvent(**row) for row in rows)
    else:
        insert_rows(OrderEvent, rows)


def _merged(data, private):
    if isinstance(data, dict) and isinstance(private, dict):
        return {key: _merged(data.get(key), value) for key, value in private.items()} | {
            key: value for key, value in data.items() if key not in private}
    return private


def event_for_viewer(event: OrderEvent, *, pii: bool) -> tuple[str, dict]:
    """(message, data) of a timeline event as a viewer may see them: with personal values masked
    (phones, e-mails and streets in `data`, phones and e-mails in the message text) unless `pii`, in
    which case the encrypted `private` part (the whole values, `message` included) is laid over them."""
    from core.pii import mask_data, mask_text

    data = event.data or {}
    if not pii:
        return mask_text(event.message or ""), mask_data(data)
    private = dict(event.private or {})
    message = private.pop("message", None) or event.message
    return message, _merged(data, private) if private else data


def status_data(source: str, target: str, **extra) -> dict:
    return {"from": source, "to": target, **extra}


# How the timeline names each kind (context "timeline": these short words mean something else elsewhere).
# Every stage registers its own kinds with `register_timeline_kinds` in its AppConfig.ready(); read
# them with `kind_label` / `timeline_kind_labels`.
KIND_LABELS: dict[str, Promise] = {}


def register_timeline_kinds(kinds: type, labels: dict[str, Promise]) -> None:
    """Name a stage's timeline kinds: `kinds` is the stage's `…EventKind` class, `labels` kind → label.

    Every kind the class declares must then have a label (here or registered before, as the funds
    flow's `payment_recorded`, which the orders stage writes), and no kind may be named twice
    differently: a stage that forgets one, or two stages that claim the same code, fail at start-up.
    """
    declared = {value for name, value in vars(kinds).items() if name.isupper()}
    unknown = set(labels) - declared
    clashes = {kind for kind, label in labels.items() if kind in KIND_LABELS and KIND_LABELS[kind] != label}
    missing = declared - set(labels) - set(KIND_LABELS)
    if unknown or clashes or missing:
        raise ImproperlyConfigured(f"timeline kinds of {kinds.__name__}: not declared {sorted(unknown)}, "
                                   f"named twice {sorted(clashes)}, without a label {sorted(missing)}")
    KIND_LABELS.update(labels)


def timeline_kind_labels() -> dict[str, str]:
    """Every registered kind → its label in the active language (filters, admin)."""
    return {kind: str(label) for kind, label in KIND_LABELS.items()}


register_timeline_kinds(EventKind, {
    EventKind.CREATED: pgettext_lazy("timeline", "Order created"),
    EventKind.STATUS_CHANGED: pgettext_lazy("timeline", "Status changed"),
    EventKind.HELD: pgettext_lazy("timeline", "Put on hold"),
    EventKind.REVIEW_PASSED: pgettext_lazy("timeline", "Review passed"),
    EventKind.APPROVED: pgettext_lazy("timeline", "Approved"),
    EventKind.REJECTED: pgettext_lazy("timeline", "Rejected"),
    EventKind.CANCELLED: pgettext_lazy("timeline", "Cancelled"),
    EventKind.ADDRESS_CHANGED: pgettext_lazy("timeline", "Address changed"),
    EventKind.ASSIGNED: pgettext_lazy("timeline", "Assigned"),
    EventKind.PRIORITY_SET: pgettext_lazy("timeline", "Priority"),
    EventKind.TAGGED: pgettext_lazy("timeline", "Tag"),
    EventKind.PAYMENT_RECORDED: pgettext_lazy("timeline", "Payment"),
    EventKind.NOTE: pgettext_lazy("timeline", "Note"),
    EventKind.IMPORTED: pgettext_lazy("timeline", "Imported"),
})


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, ""))


def actor_label(name: str) -> str:
    """How the timeline names who did it: users by name, machine callers by what they are."""
    kind, _sep, rest = (name or "").partition(":")
    if not rest:
        return str(pgettext_lazy("actor", "system")) if name in ("", "system") else name
    labels = {"api": pgettext_lazy("actor", "API"), "webhook": pgettext_lazy("actor", "Webhook")}
    return f"{labels[kind]}：{rest}" if kind in labels else name
