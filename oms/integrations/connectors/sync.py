"""Pulling orders from a platform: windows, pages, one order at a time through the API v1 path.

`connector_pull` reads the platform's orders changed in a time window — from where the last
successful pull ended, minus an overlap so orders the platform indexed late are not missed, up to
now — page by page through the adapter (rate-limited, transient errors retried with back-off). Each
order is applied in its own transaction:

- new and paid: its `POST /api/v1/orders` body (the adapter's mapping) goes through the API's
  parser and `oms.workflow.services.submit_order`, the one creation path of every channel order,
  and a `PlatformOrderLink` remembers it; unpaid orders wait until the platform says they are paid,
  and orders cancelled or shipped before we ever saw them are skipped;
- seen before with the same content: skipped, so pulling a window twice creates nothing twice;
- changed: cancelled before shipment → cancelled in OMS; new address → `order_change_address`;
  refund requested or lines/amounts changed → on hold for a person (`platform_refund_requested`,
  `platform_changed`); a change that OMS can no longer apply (the parcel left) is logged as
  needing attention. Never a second order.

The run's counters and every created, changed, held or failed order (with the platform's or OMS's
message) are kept in `SyncRun`/`SyncItem`. A run that lost a page keeps the cursor where it was, so
the next pull (or the retry button, which pulls the same window again) covers the gap.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import SystemActor
from core.errors import DomainError, DuplicateOrder
from oms.integrations.connectors.base import PlatformError, PlatformOrder, adapter_for
from oms.integrations.models import ChannelConnector, PlatformOrderLink, SyncItem, SyncRun, SyncStatus
from orders.lock_objects import lock_order
from orders.models import CANCELLABLE_STATUSES, Order, OrderSource, OrderStatus
from orders.services import HoldReason

logger = logging.getLogger("oms.connectors")

PLATFORM_CHANGED = "platform_changed"
PLATFORM_REFUND = "platform_refund_requested"
ADDRESS_EDITABLE = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
                    OrderStatus.AWAITING_SHIPMENT)
HOLDABLE = ADDRESS_EDITABLE
Outcome = SyncItem.Outcome


def connector_actor(connector: ChannelConnector) -> SystemActor:
    return SystemActor(f"connector:{connector.code}")


def next_window(*, connector: ChannelConnector, now=None):
    """(since, until) of the next pull: from the cursor minus the overlap (or the first start) to now."""
    until = now or timezone.now()
    if connector.cursor:
        since = connector.cursor - timedelta(seconds=connector.overlap_seconds)
    else:
        since = connector.initial_since or until - timedelta(days=1)
    return min(since, until), until


def _chunks(since, until, hours: int):
    step = timedelta(hours=max(hours, 1))
    start = since
    while start < until:
        end = min(start + step, until)
        yield start, end
        start = end


def connector_pull(*, connector: ChannelConnector, since=None, until=None, retry_of: SyncRun | None = None,
                   adapter=None, now=None) -> SyncRun:
    """Pull one window (the next one unless given) and apply every order in it; return the run's log."""
    if since is None or until is None:
        next_since, next_until = next_window(connector=connector, now=now)
        since, until = since or next_since, until or next_until
    adapter = adapter or adapter_for(connector)
    actor = connector_actor(connector)
    run = SyncRun.objects.create(connector=connector, window_from=since, window_to=until, retry_of=retry_of)
    lost_page = None
    seen: set[str] = set()
    for start, end in _chunks(since, until, connector.max_window_hours):
        page_start, offset, read = start, 0, 0
        while True:
            try:
                page = adapter.fetch_page(since=page_start, until=end, page=offset)
            except PlatformError as exc:
                lost_page = _("Page %(page)d of %(start)s–%(end)s could not be read: %(error)s") % {
                    "page": read + 1, "start": timezone.localtime(start).strftime("%Y-%m-%d %H:%M"),
                    "end": timezone.localtime(end).strftime("%Y-%m-%d %H:%M"), "error": exc}
                break
            run.pages += 1
            read += 1
            for raw in page.orders:
                key = adapter.order_key(raw)
                if key in seen:  # the inclusive lower bound of the next page repeats the last second
                    continue
                seen.add(key)
                run.fetched += 1
                _count(run, *order_apply(connector=connector, raw=raw, adapter=adapter, actor=actor))
            if not page.has_more or not page.orders:
                break
            # Keyset paging: the next page starts at the last order's update time, so orders changing on
            # the platform while we read (and so moving in its list) cannot shift an unread order into a
            # page we already read. Only when a whole page shares one second do we page on by offset.
            last = adapter.updated_at(page.orders[-1])
            if last is not None and last > page_start:
                page_start, offset = last, 0
            else:
                offset += 1
        if lost_page:
            break
    run.requests, run.throttled = adapter.stats.requests, adapter.stats.throttled
    run.finished_at = timezone.now()
    if lost_page:
        run.status, run.error = SyncStatus.FAILED, lost_page
    else:
        run.status = SyncStatus.PARTIAL if run.failed else SyncStatus.SUCCEEDED
        ChannelConnector.objects.filter(pk=connector.pk).update(cursor=max(filter(None, [connector.cursor, until])))
        connector.cursor = max(filter(None, [connector.cursor, until]))
    run.save()
    return run


def _count(run: SyncRun, outcome: str | None, external_id: str, order_number: str, message: str) -> None:
    if outcome is None:
        run.skipped += 1
        return
    if outcome == Outcome.CREATED:
        run.created += 1
    elif outcome == Outcome.FAILED:
        run.failed += 1
    elif outcome == Outcome.ATTENTION:
        run.skipped += 1
    else:
        run.updated += 1
    SyncItem.objects.create(run=run, external_id=external_id, order_number=order_number, outcome=outcome,
                            message=message[:2000])


def connector_retry_run(*, run: SyncRun, adapter=None) -> SyncRun:
    """The retry button: pull the failed run's window again (what was done is skipped this time)."""
    return connector_pull(connector=run.connector, since=run.window_from, until=run.window_to, retry_of=run,
                          adapter=adapter)


def order_apply(*, connector: ChannelConnector, raw: dict, adapter, actor) -> tuple[str | None, str, str, str]:
    """Apply one platform order; (outcome or None for skipped, external id, order number, message)."""
    external_id = str(raw.get("order_id") or raw.get("id") or "?")
    try:
        platform_order = adapter.normalise(raw, channel_code=connector.channel.code)
        external_id = platform_order.external_id
        with transaction.atomic(), translation.override("zh-hans"):
            link = (PlatformOrderLink.objects.select_for_update()
                    .filter(connector=connector, external_id=external_id).first())
            if link is None:
                outcome, number, message = _first_sight(connector, platform_order, actor)
            else:
                outcome, number, message = _changed(link, platform_order, actor)
        return outcome, external_id, number, message
    except DomainError as exc:
        return Outcome.FAILED, external_id, "", _describe(exc)
    except Exception as exc:  # a malformed platform order must not stop the run: it is logged and retried later
        logger.exception("connector %s: order %s failed", connector.code, external_id)
        return Outcome.FAILED, external_id, "", f"{type(exc).__name__}: {exc}"


def _describe(exc: DomainError) -> str:
    with translation.override("zh-hans"):
        text = str(exc)
        if exc.errors:
            text += " " + "；".join(f"{path}: {'，'.join(str(m) for m in messages)}"
                                   for path, messages in exc.errors.items())
    return text


def _link(connector, platform_order: PlatformOrder, order: Order) -> PlatformOrderLink:
    return PlatformOrderLink.objects.create(
        connector=connector, external_id=platform_order.external_id, order=order,
        platform_status=platform_order.status, platform_updated_at=platform_order.updated_at,
        content_hash=platform_order.content_hash, snapshot=_snapshot(platform_order))


def _snapshot(platform_order: PlatformOrder) -> dict:
    return {"status": platform_order.status, "order": platform_order.api_order,
            "refund": platform_order.refund_requested}


def _first_sight(connector, platform_order: PlatformOrder, actor):
    from oms.api.parsing import parse_order_payload
    from oms.workflow.services import submit_order

    existing = Order.objects.filter(channel=connector.channel, external_id=platform_order.external_id).first()
    if existing is not None:  # it came in through the push API or an import: remember it, do not create it again
        _link(connector, platform_order, existing)
        return None, existing.number, ""
    if platform_order.status != "paid":
        return None, "", ""  # unpaid: pulled again when paid; cancelled or shipped elsewhere: not ours to do
    parsed = parse_order_payload(platform_order.api_order)
    try:
        with transaction.atomic():
            order = submit_order(data=parsed.data, payment=parsed.payment, actor=actor, source=OrderSource.API)
    except DuplicateOrder:  # the push API (or a concurrent pull) created it a moment ago: link it instead
        existing = Order.objects.get(channel=connector.channel, external_id=platform_order.external_id)
        _link(connector, platform_order, existing)
        return None, existing.number, ""
    _link(connector, platform_order, order)
    message = ""
    if platform_order.refund_requested:
        order = _hold(order, PLATFORM_REFUND, _("The buyer asked the platform for a refund."), actor)
        message = _("The buyer asked the platform for a refund.")
    return Outcome.CREATED, order.number, message


def _hold(order: Order, code: str, message: str, actor) -> Order:
    from orders.services import order_put_on_hold

    return order_put_on_hold(order=order, reasons=[HoldReason(code, message)], actor=actor)


def _address(api_order: dict) -> dict:
    address = api_order.get("shipping_address") or {}
    return {"recipient": address.get("recipient") or "", "phone": address.get("phone") or "",
            "province": address.get("province") or "", "city": address.get("city") or "",
            "district": address.get("district") or "", "address_detail": address.get("detail") or ""}


def _goods(api_order: dict) -> dict:
    return {"lines": api_order.get("lines"), "shipping_fee": api_order.get("shipping_fee"),
            "payment": (api_order.get("payment") or {}).get("paid_amount")}


def _changed(link: PlatformOrderLink, platform_order: PlatformOrder, actor):
    from orders.services import order_cancel, order_change_address

    if link.content_hash == platform_order.content_hash:
        return None, link.order.number, ""
    if platform_order.updated_at and link.platform_updated_at and platform_order.updated_at < link.platform_updated_at:
        return None, link.order.number, ""  # an older view of the order than the one we applied
    before = link.snapshot
    order = lock_order(link.order_id)
    done, attention, outcome = [], [], Outcome.UPDATED
    if platform_order.status == "cancelled" and before.get("status") != "cancelled":
        if order.status in CANCELLABLE_STATUSES:
            order = order_cancel(order=order, actor=actor, reason=_("Cancelled on the platform."))
            done.append(_("Cancelled on the platform."))
        elif order.status != OrderStatus.CANCELLED:
            attention.append(_("Cancelled on the platform after it shipped: intercept the parcel or open a return."))
    else:
        new_address = _address(platform_order.api_order)
        old_address = _address(before.get("order") or {})
        if new_address != old_address:
            if order.status in ADDRESS_EDITABLE:
                changes = {k: v for k, v in new_address.items() if v != old_address.get(k)}
                order = order_change_address(order=order, actor=actor, comment=_("Address changed on the platform."),
                                             **changes)
                done.append(_("Address changed on the platform."))
            else:
                attention.append(_("The address changed on the platform after the order shipped."))
        if _goods(platform_order.api_order) != _goods(before.get("order") or {}):
            if order.status in HOLDABLE:
                order = _hold(order, PLATFORM_CHANGED, _("Goods or amounts changed on the platform."), actor)
                outcome = Outcome.HELD
                done.append(_("Goods or amounts changed on the platform."))
            else:
                attention.append(_("Goods or amounts changed on the platform after the order shipped."))
        if platform_order.refund_requested and not before.get("refund"):
            if order.status in HOLDABLE:
                order = _hold(order, PLATFORM_REFUND, _("The buyer asked the platform for a refund."), actor)
                outcome = Outcome.HELD
                done.append(_("The buyer asked the platform for a refund."))
            elif order.status != OrderStatus.CANCELLED:
                attention.append(_("The buyer asked the platform for a refund: handle it in after-sales."))
    link.platform_status = platform_order.status
    link.platform_updated_at = platform_order.updated_at or link.platform_updated_at
    link.content_hash = platform_order.content_hash
    link.snapshot = _snapshot(platform_order)
    link.pulled_at = timezone.now()
    link.save()
    if attention:
        return Outcome.ATTENTION, order.number, "；".join(str(t) for t in [*done, *attention])
    if not done:
        return None, order.number, ""  # a change OMS does not care about (the platform's own status moved)
    return outcome, order.number, "；".join(str(t) for t in done)
