"""Issue 15: the API intake does not hold the day's order-number counter locked while it works.

Before, the number was taken inside the intake's transaction, so the counter row stayed locked
until that order committed and every other order of the day waited for it (the main lock wait
under load). Now it is taken in a transaction of its own before the intake's.
"""

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from catalog.tests.factories import ProductFactory
from core import hooks
from core.models import Sequence
from core.numbering import local_today
from oms.api.tests.factories import bearer, make_token, order_payload
from orders.models import Order
from tests.row_locks import locked_rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_order_being_taken_in_does_not_lock_the_day_s_order_counter():
    _token, raw = make_token()
    body = order_payload(products=[ProductFactory()])
    inside, go = threading.Event(), threading.Event()
    result, errors = {}, []

    def hold_inside_the_intake(payload):  # runs in the intake's transaction, after the order's insert
        inside.set()
        go.wait(timeout=30)

    def post():
        try:
            client = APIClient()
            client.credentials(**bearer(raw))
            response = client.post("/api/v1/orders", data=json.dumps(body), content_type="application/json")
            result["status"], result["number"] = response.status_code, response.json().get("number")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    counter = Sequence.objects.create(key=f"SO{local_today():%Y%m%d}", value=0)  # the day's counter row
    hooks.order_submitted.register(hold_inside_the_intake)
    try:
        thread = threading.Thread(target=post)
        thread.start()
        assert inside.wait(timeout=30), errors
        assert locked_rows(Sequence._meta.db_table, [counter.pk]) == set()  # another order may number now
        go.set()
        thread.join(timeout=60)
    finally:
        hooks.order_submitted.unregister(hold_inside_the_intake)
        go.set()
    assert not errors, errors
    assert result["status"] == 201
    counter.refresh_from_db()
    assert Order.objects.get().number == result["number"] == f"{counter.key}{counter.value:06d}"


def test_a_number_taken_alone_commits_without_waiting_for_the_disk_and_only_itself():
    """Its one statement commits with synchronous_commit off (SET LOCAL: that statement's transaction
    only); the connection's later transactions, the order's among them, still wait for the disk."""
    from django.test.utils import CaptureQueriesContext

    from core.numbering import next_order_number_alone

    with CaptureQueriesContext(connection) as captured:
        first = next_order_number_alone()  # the day's first: the counter row is created on the way
        second = next_order_number_alone()
    assert second[:10] == first[:10] and int(second[10:]) == int(first[10:]) + 1
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert updates and all("set_config('synchronous_commit', 'off', true)" in sql for sql in updates)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_inside_a_transaction_the_number_is_taken_as_usual():
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from core.numbering import next_order_number_alone

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        next_order_number_alone()
    assert not any("set_config" in q["sql"] for q in captured.captured_queries)
