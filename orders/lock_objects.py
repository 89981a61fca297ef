"""Row-lock querysets for orders, in one place so every writer locks the same way."""

from django.db.models import QuerySet

from orders.models import Order


def order_qs_for_update() -> QuerySet[Order]:
    # `of=("self",)` keeps PostgreSQL from locking joined rows (channel, customer).
    return Order.objects.select_for_update(of=("self",))


def lock_order(order_or_pk) -> Order:
    pk = getattr(order_or_pk, "pk", order_or_pk)
    return order_qs_for_update().get(pk=pk)


def lock_orders(pks) -> list[Order]:
    """Several orders, locked in primary-key order so that two bulk actions cannot deadlock."""
    return list(order_qs_for_update().filter(pk__in=list(pks)).order_by("pk"))
