"""Row-lock querysets for orders, in one place so every writer locks the same way."""

from django.db import connection
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError

from orders.models import Order


def order_qs_for_update() -> QuerySet[Order]:
    # `of=("self",)` keeps PostgreSQL from locking joined rows (channel, customer).
    return Order.objects.select_for_update(of=("self",))


def lock_order(order_or_pk) -> Order:
    """The order row, locked until the transaction ends (every writer of an order starts here).

    Plain SQL rather than `order_qs_for_update().get()`: it runs first in every order service, and the
    ORM compiled the same 40-column SELECT each time (a share of a stock reservation's CPU:
    bench/README.md). It loads and locks what the ORM would (`orders/tests/test_lock_order_matches_orm.py`).
    """
    if connection.get_autocommit():  # what select_for_update() refuses too: a lock that ends at once
        raise TransactionManagementError("lock_order() needs a transaction (transaction.atomic).")
    pk = getattr(order_or_pk, "pk", order_or_pk)
    table = connection.ops.quote_name(Order._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    found = list(Order.objects.raw(f"SELECT * FROM {table} WHERE {connection.ops.quote_name('id')} = %s{lock}", [pk]))
    if not found:
        raise Order.DoesNotExist(f"Order matching pk={pk!r} does not exist.")
    return found[0]


def lock_orders(pks) -> list[Order]:
    """Several orders, locked in primary-key order so that two bulk actions cannot deadlock."""
    return list(order_qs_for_update().filter(pk__in=list(pks)).order_by("pk"))


def lock_order_versions(pks) -> dict[int, tuple[str, object]]:
    """Lock these orders (primary-key order) and read only `(status, updated_at)` per id.

    For bulk writers that already hold the instances (the legacy import's reservations): a version
    that differs from the instance's means the instance is stale and must be read again.
    """
    rows = (Order.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk")
            .values_list("pk", "status", "updated_at"))
    return {pk: (status, updated_at) for pk, status, updated_at in rows}
