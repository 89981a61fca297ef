"""Ids set aside for rows built before their transaction (`reserve_ids`, `prepare_rows`)."""

import pytest

from oms.core.bulk import complete_rows, insert_prepared, prepare_rows, reserve_ids
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
