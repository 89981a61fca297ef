"""Ids set aside for rows built before their transaction (`reserve_ids`, `prepare_rows`)."""

import pytest

from core.bulk import complete_rows, insert_prepared, prepare_rows, reserve_ids
from orders.models import Order
from orders.tests.factories import channel, create_order

pytestmark = pytest.mark.django_db


def test_reserved_ids_are_never_taken_by_other_inserts_and_take_their_rows():
    before = create_order()
    block = reserve_ids(Order, 3)
    assert block == sorted(block) and len(set(block)) == 3 and min(block) > before.pk
    after = create_order()  # an API order meanwhile: above the block, never inside it
    assert after.pk not in block and after.pk > max(block)
    rows = complete_rows(Order, [{"id": pk, "number": f"SOTEST{pk:08d}", "channel_id": channel().pk,
                                  "external_id": f"R{pk}", "customer_id": before.customer_id,
                                  "ordered_at": before.ordered_at} for pk in block])
    prepared = prepare_rows(Order, rows, with_pk=True)
    prepared.set_column("external_id", [f"X{pk}" for pk in block])  # filled in after adapting the rest
    insert_prepared(prepared)
    assert sorted(Order.objects.filter(pk__in=block).values_list("pk", "external_id")) == [
        (pk, f"X{pk}") for pk in block]
    assert reserve_ids(Order, 0) == [] and min(reserve_ids(Order, 1)) > max(block)


def test_an_empty_table_sets_its_first_ids_aside():
    Order.objects.all().delete()
    block = reserve_ids(Order, 2)
    assert len(block) == 2 and create_order().pk > max(block)


def test_many_rows_updated_at_once_keep_every_kind_of_value(django_user_model):
    """From UPDATE_FROM_VALUES rows PostgreSQL gets one UPDATE from arrays: text with quotes,
    braces and commas, JSON lists, timestamps and NULLs must arrive as they were."""
    from datetime import UTC, datetime, timedelta

    from core.bulk import UPDATE_FROM_VALUES, update_rows

    clerk = django_user_model.objects.create_user("bulk-clerk")
    orders = [create_order() for _ in range(UPDATE_FROM_VALUES + 5)]
    start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    for n, order in enumerate(orders):
        order.note = f'备注 {n}, "quoted" {{braces}} \\ back' if n % 3 else ""
        order.hold_reasons = ["stock_shortage", f'理由 "{n}"'] if n % 2 else []
        order.updated_at = start + timedelta(minutes=n)
        order.assigned_to_id = clerk.pk if n % 4 else None
    update_rows(Order, ["note", "hold_reasons", "updated_at", "assigned_to"], orders)
    stored = {o.pk: o for o in Order.objects.filter(pk__in=[o.pk for o in orders])}
    for order in orders:
        again = stored[order.pk]
        assert (again.note, again.hold_reasons, again.updated_at, again.assigned_to_id) == (
            order.note, order.hold_reasons, order.updated_at, order.assigned_to_id)
    for order in orders:
        order.assigned_to_id = None  # a column of NULLs only: an array psycopg cannot type by its values
    update_rows(Order, ["assigned_to"], orders)
    assert not Order.objects.filter(pk__in=[o.pk for o in orders], assigned_to__isnull=False).exists()
