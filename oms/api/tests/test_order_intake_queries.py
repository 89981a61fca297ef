"""POST /api/v1/orders costs a small, constant number of SQL queries, whatever the number of lines.

The request path is the intake: order, lines, customer, channel payment and journal entry, review
decision, stock reservation, and the follow-ups recorded for after commit. What follows (invoice,
shipment planning) runs in background jobs and is not counted here.
"""

import json
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import ProductFactory
from oms.api.tests.factories import order_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

URL = "/api/v1/orders"


def _post_counting(api, n_lines: int, *, customer_phone: str):
    products = [ProductFactory(price="199.00") for _ in range(n_lines)]
    body = order_payload(products=products)
    body["customer"]["phone"] = body["shipping_address"]["phone"] = customer_phone
    with CaptureQueriesContext(connection) as captured:
        response = api.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "awaiting_shipment"
    return captured.captured_queries


def _summary(queries) -> str:
    kinds = Counter(q["sql"].split()[0] for q in queries)
    return ", ".join(f"{k}={v}" for k, v in sorted(kinds.items()))


def test_measure_queries_for_1_3_10_lines(api, capsys):
    # Warm-up: the first order of a process fills caches (review rules, channels, content types).
    _post_counting(api, 3, customer_phone="13900000000")
    counts = {}
    for n, phone in ((1, "13900000001"), (3, "13900000003"), (10, "13900000010")):
        queries = _post_counting(api, n, customer_phone=phone)
        counts[n] = len(queries)
        with capsys.disabled():
            print(f"\n{n} line(s): {len(queries)} queries ({_summary(queries)})")
            if n == 3 and pytest.__dict__.get("_h15_dump"):
                for q in queries:
                    print("   ", q["sql"][:200])
    assert counts[3] <= 45 and counts[1] == counts[3] == counts[10], counts
