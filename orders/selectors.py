"""Reads of the orders stage: querysets with their joins done, so list pages cost a constant number
of queries whatever their length. Admin, workbench and reports build on these."""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Count, DecimalField, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from core.fieldcrypto import blind_index_lookups
from core.phones import normalise_phone
from core.shared_values import SharedValue
from orders.models import Customer, Order, OrderEvent, OrderLine

# What a list row shows besides the order itself.
LIST_RELATED = ("channel", "customer", "assigned_to")
# Encrypted columns no list row shows (a row shows the recipient's masked phone and the customer's
# name): not loaded, as each would cost a decryption per row (issue 17, bench/README.md).
LIST_DEFERRED = ("address_detail", "customer__phone", "customer__email")


def order_list() -> QuerySet[Order]:
    """Every order with channel, customer and assignee joined (one query per page)."""
    return Order.objects.select_related(*LIST_RELATED)


def order_list_rows() -> QuerySet[Order]:
    """`order_list` for pages of rows (admin list, review queue, search results): without the
    encrypted columns no row shows. Reading one of them costs a query per order: pages that show
    them use `order_list`."""
    return order_list().defer(*LIST_DEFERRED)


def order_search(qs: QuerySet[Order], term: str) -> QuerySet[Order]:
    """What a clerk types into a search box, matched with indexed lookups.

    - an order number, with or without its `SO` prefix, or a channel order ID: exact;
    - a phone, any way people write it (`+86 138-1234-1234`): the recipient's or the customer's;
    - the last four digits of a phone (all a masked list shows): their own indexed column;
    - a customer's e-mail: exact;
    - a customer's or recipient's name: exact, or the customer's name by its beginning.
    All alternatives are ORed, so `20261204000037` finds `SO20261204000037` and an 11-digit
    channel ID still finds its order. No `LIKE '%…%'`: at 100k
    orders a substring scan is what makes a list page slow.
    """
    term = unicodedata.normalize("NFKC", term or "").strip()
    if not term:
        return qs
    upper = term.upper()
    match = Q(number=upper) | Q(external_id=term)
    if not upper.startswith("SO") and upper.isalnum():
        match |= Q(number=f"SO{upper}")
    phone = normalise_phone(term)
    if phone is not None:
        # Phones are encrypted: exact search by their blind index (core/fieldcrypto.py). Customer ids
        # first (a handful), so both halves of the OR are index scans.
        hashes = blind_index_lookups("phone", phone)
        customer_ids = list(Customer.objects.filter(phone_index__in=hashes).values_list("pk", flat=True)[:500])
        match |= Q(phone_index__in=hashes) | Q(customer_id__in=customer_ids)
    elif re.fullmatch(r"\d{4}", term):
        customer_ids = list(Customer.objects.filter(phone_last4=term).values_list("pk", flat=True)[:500])
        match |= Q(phone_last4=term) | Q(customer_id__in=customer_ids)
    elif "@" in term:  # a customer's e-mail, exact (by its blind index)
        customer_ids = list(Customer.objects.filter(email_index__in=blind_index_lookups("email", term))
                            .values_list("pk", flat=True)[:500])
        match |= Q(customer_id__in=customer_ids)
    elif not term.isdigit():
        customer_ids = list(Customer.objects.filter(Q(name=term) | Q(name__startswith=term))
                            .values_list("pk", flat=True)[:500])
        match |= Q(recipient=term) | Q(customer_id__in=customer_ids)
    return qs.filter(match)


def order_detail_qs() -> QuerySet[Order]:
    """One order with everything its page shows: lines, timeline (with actors) and audit history."""
    return order_list().prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("at", "id")),
        "tags",
    )


def customer_list_with_totals() -> QuerySet[Customer]:
    """Customers with their order count, spend (totals less refunds) and last order, cancelled orders left out.

    Correlated subqueries rather than a GROUP BY over the join: a page of 50 customers costs 50 index
    look-ups on `orders_order.customer_id`, however many orders there are in all."""
    mine = Order.objects.filter(customer=OuterRef("pk")).exclude(status="cancelled").order_by().values("customer")
    money = DecimalField(max_digits=14, decimal_places=2)
    return Customer.objects.annotate(
        order_count=Coalesce(Subquery(mine.annotate(n=Count("id")).values("n")), 0),
        spend=Coalesce(Subquery(mine.annotate(s=Sum(F("total") - F("refunded_amount"))).values("s"),
                                output_field=money), 0, output_field=money),
        last_order_at=Subquery(mine.annotate(m=Max("ordered_at")).values("m")),
    )


# A safety net of a minute; the channel admin forgets the value on every change.
_active_channels = SharedValue("orders:active_channels", shared_seconds=60)


def active_channel(code: str):
    """The active channel with this code, or None — from the shared cache and this process's copy of
    it (`core.shared_values`), read from the database on a miss. The order intake looks its channel up
    this way: one query less per order. `channels_changed` forgets the cache."""
    from orders.models import Channel

    channels = _active_channels.get(dict)
    if code in channels:
        return channels[code]
    channel = Channel.objects.filter(code=code, active=True).first()
    if channel is not None:  # an unknown or inactive code is not cached: the next request reads again
        _active_channels.put({**channels, code: channel})
    return channel


def channels_changed() -> None:
    """Forget the cached channels: call after changing a `Channel` (the admin does); other processes
    see the change within `core.shared_values.LOCAL_SECONDS`."""
    _active_channels.forget()
