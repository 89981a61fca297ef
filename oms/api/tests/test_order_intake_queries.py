"""POST /api/v1/orders costs at most 27 SQL queries, the same whatever the number of lines (30 before
the channel came from a cache and the answer was rendered from the intake's instance).

The request path is the intake (`oms.workflow.intake`): token, order, lines, customer, channel
payment and journal entry, review decision, stock reservation, the follow-ups recorded for after
commit, the idempotency record and the answer. What follows (invoice, shipment planning) runs in
background jobs after commit and is not counted here. The count includes the SAVEPOINT/RELEASE
pair the test's own transaction adds around the request's transaction (BEGIN/COMMIT in production).
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
BUDGET = 27


def _post_counting(api, n_lines: int, *, phone: str, **changes):
    products = [ProductFactory(price="199.00") for _ in range(n_lines)]
    body = order_payload(products=products)
    body["customer"]["phone"] = body["shipping_address"]["phone"] = phone
    for key, value in changes.items():
        body["payment"][key] = value
    with CaptureQueriesContext(connection) as captured:
        response = api.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    return response.json(), captured.captured_queries


def _summary(queries) -> str:
    kinds = Counter(q["sql"].split()[0].upper() for q in queries)
    return ", ".join(f"{k}={v}" for k, v in sorted(kinds.items()))


def test_paid_order_costs_at_most_27_queries_whatever_its_lines(api, capsys):
    _post_counting(api, 3, phone="13900000000")  # the first order of a process fills caches (review rules)
    counts = {}
    for n in (1, 3, 10):
        body, queries = _post_counting(api, n, phone=f"139000000{n:02d}")
        assert body["status"] == "awaiting_shipment" and body["payment_status"] == "paid"
        assert all(line["reserved"] == 2 for line in body["lines"])
        counts[n] = len(queries)
        with capsys.disabled():
            print(f"\nPOST /api/v1/orders, {n} line(s), paid: {len(queries)} queries ({_summary(queries)})")
    assert counts[1] == counts[3] == counts[10] <= BUDGET, counts


def test_held_order_costs_no_more(api):
    _post_counting(api, 3, phone="13900000000")
    body, queries = _post_counting(api, 3, phone="13900000099", paid_amount="1.00")
    assert body["status"] == "on_hold" and body["hold_reasons"] == ["payment_mismatch"]
    assert len(queries) <= BUDGET
