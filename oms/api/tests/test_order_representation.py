"""The API's order representation: the orders stage's fields plus logistics' shipments, composed
explicitly in `oms.api.representation`, at a constant number of queries per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logistics.tests.factories import product, released_order, shipments_of
from oms.api.representation import OrderOutSerializer, order_for_api, order_list_for_api, order_prefetched_for_api

pytestmark = pytest.mark.django_db


def test_an_order_lists_its_shipments():
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipments_of(order)
    data = OrderOutSerializer(order_for_api(number=order.number)).data
    assert data["shipments"] == [{"number": shipment.number, "warehouse": shipment.warehouse.code,
                                  "carrier": shipment.carrier, "tracking_number": "", "status": "created"}]
    assert list(data)[-4:] == ["shipments", "ordered_at", "created_at", "updated_at"]  # the contract's order


def test_a_page_costs_the_same_queries_whatever_its_size():
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            OrderOutSerializer(list(order_list_for_api()), many=True).data  # noqa: B018
        return len(captured)

    released_order([(product(), 1, "10.00")])
    one = queries_for_page()
    for _ in range(3):
        released_order([(product(), 2, "10.00")])
    assert queries_for_page() == one


def test_an_order_in_hand_is_prefetched_in_place(django_assert_num_queries):
    order = released_order([(product(), 1, "10.00")])
    held = type(order).objects.select_related("channel", "customer").get(pk=order.pk)
    with django_assert_num_queries(2):  # lines, shipments (with their warehouse)
        order_prefetched_for_api(held)
    with django_assert_num_queries(0):
        data = OrderOutSerializer(held).data
    assert data["shipments"][0]["number"] == shipments_of(order)[0].number
