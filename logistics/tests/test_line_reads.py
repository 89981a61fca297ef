"""Reading an order's lines or a shipment's lines is one table read: the lines sort by their
parent's id, not by the parent's own ordering (which joined the orders or shipments table into
every such read — three times in the job after every order)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logistics.tests.factories import product, released_order, shipments_of

pytestmark = pytest.mark.django_db


def test_lines_are_read_without_joining_their_parent():
    order = released_order([(product(), 1, "10.00"), (product(), 2, "20.00")])
    [shipment] = shipments_of(order)
    with CaptureQueriesContext(connection) as captured:
        order_lines = list(order.lines.all())
        shipment_lines = list(shipment.lines.all())
    assert [line.pk for line in order_lines] == sorted(line.pk for line in order_lines)
    assert [line.order_line_id for line in shipment_lines] == [line.pk for line in order_lines]
    read_lines, read_shipment_lines = (query["sql"] for query in captured.captured_queries)
    assert "JOIN" not in read_lines and "JOIN" not in read_shipment_lines
