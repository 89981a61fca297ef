"""The lookup of an order's issued invoice, run in the job after every paid order, goes by order.

With `ORDER BY issued_at DESC` PostgreSQL chose the (kind, status, issued_at) index and read every
issued invoice for a new order's (none): 2,402 rows for one lookup in a 2,400-invoice benchmark
database, every issued invoice at a few million. The plan is read on the test database, whose tables
have no statistics: the stale-statistics case where it went wrong.
"""

import json

import pytest
from django.db import connection

from finance.selectors import active_invoice

pytestmark = pytest.mark.django_db


def lookup_sql() -> str:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert active_invoice(order_id=987654) is None
    [query] = captured.captured_queries
    return query["sql"]


def test_the_lookup_does_not_sort_there_is_at_most_one():
    assert "ORDER BY" not in lookup_sql()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…): "
                    "the plan is PostgreSQL's")
def test_postgresql_finds_it_by_the_order():
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {lookup_sql()}")  # the statement as sent, values inlined
        plan = cursor.fetchone()[0][0]["Plan"]
    scan = plan["Plans"][0] if plan["Node Type"] == "Limit" else plan
    assert "order_id" in scan.get("Index Cond", ""), json.dumps(plan)
