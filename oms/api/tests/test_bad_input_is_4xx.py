"""Issue 17, medium: inputs that gave a 500 where the contract promises a 4xx with its JSON shape."""

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings

from oms.api.tests.factories import order_payload
from oms.integrations.tests.helpers import development_signature
from orders.models import Order

pytestmark = pytest.mark.django_db

SECRET = "test-webhook-secret"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.OMS_WEBHOOK_SECRET = SECRET
    settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = True  # past the signature check, to the body


def sign_for(url: str, body: bytes) -> str:
    """Signed with the development secret of the URL's sender (…/webhooks/<kind>/<sender>)."""
    kind, sender = url.rstrip("/").split("/")[-2:]
    return development_signature(kind, sender, body)


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["type"], str) and isinstance(body["detail"], str)
    return body


def deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


def test_updated_since_with_a_large_offset_is_read_in_utc(api):
    # +16:00 is valid ISO 8601 but beyond PostgreSQL's ±15:59: it was a 500; now compared in UTC.
    response = api.get("/api/v1/orders", {"updated_since": "2026-11-24T10:00:00+16:00"})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("value", ["2026-11-24T10:00:00-25:00", "9999-12-31T23:59:59-23:59",
                                   "0001-01-01T00:00:00+23:59"])
def test_updated_since_with_an_impossible_offset_is_400(api, value):
    assert_json_error(api.get("/api/v1/orders", {"updated_since": value}), 400)


def test_ordered_at_with_a_large_offset_is_stored_in_utc(api):
    body = order_payload(ordered_at="2026-11-24T10:15:00+23:59")
    response = api.post("/api/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k-offset-1")
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    assert order.ordered_at == datetime(2026, 11, 23, 10, 16, tzinfo=UTC)
    assert order.ordered_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+23:59", "2026-11-24T10:15:00+24:00"])
def test_ordered_at_out_of_range_is_400(api, value):
    body = order_payload(ordered_at=value)
    assert_json_error(api.post("/api/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k-offset-2"), 400)


def test_json_nested_50000_deep_is_400_on_the_api(api):
    response = api.post("/api/v1/orders", data=deep(50_000), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k-deep")
    assert_json_error(response, 400)


def test_json_nested_50000_deep_is_400_on_webhooks(client):
    body = deep(50_000)
    for url in ("/api/v1/webhooks/payments/alipay", "/api/v1/webhooks/wms/GZ01", "/api/v1/webhooks/carriers/sf"):
        response = client.post(url, data=body, content_type="application/json",
                               HTTP_X_OMS_SIGNATURE=sign_for(url, body))
        assert_json_error(response, 400 if "payments" in url else response.status_code)
        assert response.status_code in (400, 404)


@pytest.mark.parametrize("path", ["/api/v1/orders/SO%00X", "/api/v1/orders/%00/documents/invoice.pdf",
                                  "/api/v1/orders/A%00B/events"])
def test_nul_in_a_path_segment_is_4xx(api, path):
    response = api.get(path)
    assert response.status_code in (400, 404)
    assert_json_error(response, response.status_code)


def test_nul_in_a_query_parameter_is_400(api):
    assert_json_error(api.get("/api/v1/orders", {"channel": "tm\x00all"}), 400)


def test_nul_in_a_webhook_event_id_is_400(client):
    body = json.dumps({"event_id": "evt\x00", "order_number": "SO1", "status": "succeeded", "amount": "1.00",
                       "transaction_id": "T1"}).encode()
    response = client.post("/api/v1/webhooks/payments/alipay", data=body, content_type="application/json",
                           HTTP_X_OMS_SIGNATURE=sign_for("/api/v1/webhooks/payments/alipay", body))
    assert_json_error(response, 400)


@pytest.mark.parametrize("kind", ["payments", "wms", "carriers"])
def test_sender_slug_over_32_characters_is_404(client, kind):
    body = b'{"event_id": "e1"}'
    url = f"/api/v1/webhooks/{kind}/{'x' * 40}"
    response = client.post(url, data=body, content_type="application/json", HTTP_X_OMS_SIGNATURE=sign_for(url, body))
    assert_json_error(response, 404)


def test_amount_that_overflows_when_processed_is_400(client):
    from finance.tests.factories import make_order

    order = make_order()
    body = json.dumps({"event_id": "evt_big", "order_number": order.number, "status": "succeeded",
                       "amount": "999999999999.99", "transaction_id": "T-big"}).encode()
    response = client.post("/api/v1/webhooks/payments/alipay", data=body, content_type="application/json",
                           HTTP_X_OMS_SIGNATURE=sign_for("/api/v1/webhooks/payments/alipay", body))
    assert "amount" in assert_json_error(response, 400)["errors"]


def test_body_over_the_upload_limit_is_a_json_error(api):
    big = b'{"x": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    response = api.post("/api/v1/orders", data=big, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-big")
    body = assert_json_error(response, 413)
    assert body["type"] == "request_too_large"


def test_webhook_body_over_the_upload_limit_is_a_json_error(client):
    big = b'{"x": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    response = client.post("/api/v1/webhooks/payments/alipay", data=big, content_type="application/json",
                           HTTP_X_OMS_SIGNATURE=sign_for("/api/v1/webhooks/payments/alipay", big))
    assert_json_error(response, 413)
