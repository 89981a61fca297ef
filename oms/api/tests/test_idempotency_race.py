"""Identical order requests racing on PostgreSQL: one order, the loser replays it (or gets 409).

Each thread has its own database connection. A barrier before the intake makes sure both requests
start creating their order together, so the unique constraints, not timing, decide (a repeat is
detected by them; the replay look-up runs after the loser's transaction rolled back).
"""

import json
import threading
from unittest import mock

import pytest
from django.db import connection
from rest_framework.test import APIClient

from catalog.tests.factories import ProductFactory
from oms.api import services
from oms.api.models import OrderSubmission
from oms.api.tests.factories import bearer, make_token, order_payload
from orders.models import Order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(raw, bodies, key=None):
    barrier = threading.Barrier(len(bodies))
    waited = threading.local()
    real_intake = services.intake_order
    results, errors = [None] * len(bodies), []

    def wait_then_intake(**kwargs):
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=30)
        return real_intake(**kwargs)

    def worker(index, body):
        try:
            client = APIClient()
            client.credentials(**bearer(raw))
            headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
            response = client.post("/api/v1/orders", data=json.dumps(body), content_type="application/json",
                                   **headers)
            results[index] = (response.status_code, response.json(), response.headers.get("Idempotent-Replayed"))
        except Exception as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch.object(services, "intake_order", wait_then_intake):
        threads = [threading.Thread(target=worker, args=(i, b)) for i, b in enumerate(bodies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    return sorted(results, key=lambda r: r[0])


def test_identical_requests_create_one_order_and_the_loser_replays():
    _token, raw = make_token()
    body = order_payload(products=[ProductFactory()])
    (replay_status, replayed, replay_header), (created_status, created, created_header) = race(raw, [body, body])
    assert (replay_status, created_status) == (200, 201)
    assert replay_header == "true" and created_header is None
    assert replayed["number"] == created["number"]
    assert Order.objects.count() == 1 and OrderSubmission.objects.count() == 1


def test_identical_requests_with_one_key_create_one_order():
    _token, raw = make_token()
    body = order_payload(products=[ProductFactory()])
    statuses = [r[0] for r in race(raw, [body, body, body], key="same-key")]
    assert statuses == [200, 200, 201]
    assert Order.objects.count() == 1


def test_one_key_two_bodies_racing_one_wins_the_other_conflicts():
    _token, raw = make_token()
    product = ProductFactory()
    first, second = order_payload(products=[product]), order_payload(products=[product])
    (created_status, _created, _h1), (conflict_status, conflict, _h2) = race(raw, [first, second], key="k")
    assert (created_status, conflict_status) == (201, 409)
    assert conflict["type"] == "idempotency_conflict"
    assert Order.objects.count() == 1 and OrderSubmission.objects.count() == 1
