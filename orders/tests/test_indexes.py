"""Every column the order search and the list filters match on leads an index, and no more is
written than that: an index is paid for on every insert and update of an order (bench/README.md,
"2026-12-05"). Structural, so it holds on SQLite and PostgreSQL alike, whatever the planner does
with a test-sized table."""

import pytest
from django.db import connection

from logistics.models import Shipment
from orders.models import Order

pytestmark = pytest.mark.django_db


def leading_columns(model) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {c["columns"][0] for c in constraints.values() if (c["index"] or c["unique"]) and c["columns"]}


def test_the_order_search_and_filters_have_an_index_each():
    searched = {"number", "external_id", "recipient", "phone_index", "phone_last4", "customer_id"}
    filtered = {"status", "channel_id", "created_at", "updated_at", "assigned_team", "assigned_to_id", "priority"}
    assert searched | filtered <= leading_columns(Order)


def test_shipments_are_found_by_order_number_waybill_warehouse_and_status():
    assert {"order_id", "number", "tracking_number", "warehouse_id", "status"} <= leading_columns(Shipment)


def test_the_order_audit_rows_are_indexed_by_order_and_time_only():
    # (the primary key aside: SQLite does not list its rowid alias as an index)
    assert leading_columns(Order.history.model) - {"history_id"} == {"id", "history_date", "history_user_id"}
