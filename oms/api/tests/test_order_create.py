"""POST /api/v1/orders: 201, replays, conflicts, and 400s that name every field and store nothing."""

import json

import pytest

from catalog.tests.factories import ProductFactory
from oms.api.models import OrderSubmission
from oms.api.tests.factories import order_payload
from oms.workflow import follow_ups
from orders.models import Customer, Order, OrderEvent, OrderLine

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

URL = "/api/v1/orders"


def post(client, body, **headers):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def assert_nothing_stored():
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert OrderEvent.objects.count() == 0
    assert Customer.objects.count() == 0
    assert OrderSubmission.objects.count() == 0


def test_created_with_location_and_contract_representation(api):
    product = ProductFactory(sku="SKU-001", name="纯棉T恤", price="199.00")
    response = post(api, order_payload(products=[product], external_id="TM20261124000001"))

    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/orders/{order.number}"
    assert "Idempotent-Replayed" not in response
    assert body["number"] == order.number
    assert body["channel"] == "tmall" and body["external_id"] == "TM20261124000001"
    # Paid in full and clean: automatic review reserved its stock and moved it on at once.
    assert body["status"] == "awaiting_shipment" and body["status_display"] == "待发货"
    assert body["payment_status"] == "paid" and body["hold_reasons"] == []
    assert body["customer"] == {"name": "张三", "phone": "138****1234", "email": "z***@example.com"}
    assert body["shipping_address"] == {"recipient": "张三", "phone": "138****1234", "province": "浙江省",
                                        "city": "杭州市", "district": "西湖区", "detail": "文三路100号",
                                        "postal_code": "310000"}
    assert body["lines"] == [{"sku": "SKU-001", "name": "纯棉T恤", "quantity": 2, "unit_price": "199.00",
                              "discount": "0.00", "amount": "398.00", "reserved": 2, "shipped": 0}]
    assert (body["shipping_fee"], body["total"], body["paid"], body["refunded"]) == ("10.00", "408.00", "408.00",
                                                                                     "0.00")
    assert body["ordered_at"] == "2026-11-24T10:15:00+08:00"
    assert body["created_at"].endswith("+08:00") and body["updated_at"].endswith("+08:00")
    # Released for shipment: invoice and shipments follow after commit (follow-ups, run by a job).
    assert body["shipments"] == []
    assert order_follow_ups(order) == [("issue_invoice", "pending"), ("plan_shipments", "pending")]
    follow_ups.run(order.pk)
    assert order_follow_ups(order) == [("issue_invoice", "done"), ("plan_shipments", "done")]
    # The logistics stage planned one shipment from the reserving warehouse; finance issued the invoice.
    [shipment] = api.get(response["Location"]).json()["shipments"]
    assert shipment["warehouse"] == "SH01" and shipment["status"] == "created" and shipment["tracking_number"] == ""
    assert order.invoices.count() == 1
    # The token is the actor on the timeline.
    assert set(order.events.values_list("actor_name", flat=True)) == {f"api:{api.token.name}"}


def order_follow_ups(order):
    return [(f.kind, f.status) for f in order.follow_ups.order_by("kind")]


def test_payment_mismatch_goes_on_hold(api):
    body = order_payload()
    body["payment"]["paid_amount"] = "400.00"
    response = post(api, body)
    assert response.status_code == 201
    assert response.json()["status"] == "on_hold"
    assert response.json()["hold_reasons"] == ["payment_mismatch"]


def test_optional_fields_may_be_left_out_or_null(api):
    body = order_payload(paid=False, note=None)
    del body["customer"]["email"]
    body["shipping_address"]["district"] = None
    del body["shipping_address"]["postal_code"]
    del body["lines"][0]["discount"]
    response = post(api, body)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "awaiting_payment"


def test_same_body_again_replays_the_order(api):
    body = order_payload()
    first = post(api, body)
    again = post(api, dict(reversed(list(body.items()))))  # key order does not make a new request
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert again["Location"] == first["Location"]
    assert Order.objects.count() == 1


def test_same_idempotency_key_replays_and_conflicts_on_other_body(api):
    body = order_payload()
    first = post(api, body, HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == 201
    replay = post(api, body, HTTP_IDEMPOTENCY_KEY="key-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["number"] == first.json()["number"]

    other = order_payload()  # another channel order under the same key
    conflict = post(api, other, HTTP_IDEMPOTENCY_KEY="key-1")
    assert conflict.status_code == 409
    assert conflict.json()["type"] == "idempotency_conflict"
    assert Order.objects.count() == 1


def test_idempotency_keys_are_scoped_per_token(api, client_for):
    first = post(api, order_payload(), HTTP_IDEMPOTENCY_KEY="shared")
    second = post(client_for(), order_payload(), HTTP_IDEMPOTENCY_KEY="shared")
    assert (first.status_code, second.status_code) == (201, 201)
    assert Order.objects.count() == 2


def test_same_channel_order_with_other_body_is_a_conflict(api):
    body = order_payload()
    first = post(api, body)
    changed = {**body, "note": "改了备注"}
    response = post(api, changed)
    assert response.status_code == 409
    assert response.json()["type"] == "duplicate_order"
    assert first.json()["number"] in response.json()["detail"]
    assert Order.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "含中文", "with space"])
def test_malformed_idempotency_key_is_400(api, key):
    response = post(api, order_payload(), HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"Idempotency-Key"}
    assert_nothing_stored()


def _drop(path):
    def change(body):
        *parents, last = path.split(".")
        target = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[int(last) if last.isdigit() else last]
    return change


def _set(path, value):
    def change(body):
        *parents, last = path.split(".")
        target = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return change


BAD_INPUT = [
    # missing required fields
    ("missing channel", _drop("channel"), {"channel"}),
    ("missing external_id", _drop("external_id"), {"external_id"}),
    ("missing ordered_at", _drop("ordered_at"), {"ordered_at"}),
    ("missing customer name", _drop("customer.name"), {"customer.name"}),
    ("missing customer", _drop("customer"), {"customer"}),
    ("missing address detail", _drop("shipping_address.detail"), {"shipping_address.detail"}),
    ("missing lines", _drop("lines"), {"lines"}),
    ("empty lines", _set("lines", []), {"lines"}),
    ("missing sku", _drop("lines.1.sku"), {"lines.1.sku"}),
    ("missing quantity", _drop("lines.1.quantity"), {"lines.1.quantity"}),
    ("missing unit price", _drop("lines.0.unit_price"), {"lines.0.unit_price"}),
    ("missing shipping fee", _drop("shipping_fee"), {"shipping_fee"}),
    ("missing payment method", _drop("payment.method"), {"payment.method"}),
    ("missing transaction id", _drop("payment.transaction_id"), {"payment.transaction_id"}),
    ("blank customer name", _set("customer.name", "  "), {"customer.name"}),
    ("null required field", _set("customer.phone", None), {"customer.phone"}),
    # wrong types
    ("quantity as string", _set("lines.1.quantity", "2"), {"lines.1.quantity"}),
    ("quantity as decimal", _set("lines.1.quantity", 2.5), {"lines.1.quantity"}),
    ("quantity as float", _set("lines.1.quantity", 2.0), {"lines.1.quantity"}),
    ("quantity as boolean", _set("lines.1.quantity", True), {"lines.1.quantity"}),
    ("price as number", _set("lines.0.unit_price", 199.0), {"lines.0.unit_price"}),
    ("price with three decimals", _set("lines.0.unit_price", "199.001"), {"lines.0.unit_price"}),
    ("price not a number", _set("lines.0.unit_price", "abc"), {"lines.0.unit_price"}),
    ("fee in exponent form", _set("shipping_fee", "1e3"), {"shipping_fee"}),
    ("phone as number", _set("customer.phone", 13812341234), {"customer.phone"}),
    ("name as list", _set("customer.name", ["张三"]), {"customer.name"}),
    ("customer as string", _set("customer", "张三"), {"customer"}),
    ("lines as object", _set("lines", {"sku": "SKU"}), {"lines"}),
    ("line as string", _set("lines.0", "SKU-001"), {"lines.0"}),
    ("time without offset", _set("ordered_at", "2026-11-24T10:15:00"), {"ordered_at"}),
    ("time not a time", _set("ordered_at", "yesterday"), {"ordered_at"}),
    ("time not in UTC's range", _set("ordered_at", "0001-01-01T00:00:00+08:00"), {"ordered_at"}),
    ("month 13", _set("ordered_at", "2026-13-01T00:00:00+08:00"), {"ordered_at"}),
    ("bad e-mail", _set("customer.email", "not-an-email"), {"customer.email"}),
    ("unknown payment method", _set("payment.method", "paypal"), {"payment.method"}),
    ("negative paid amount", _set("payment.paid_amount", "-1.00"), {"payment.paid_amount"}),
    ("unknown key", _set("coupon", "X"), {"coupon"}),
    ("unknown nested key", _set("lines.0.colour", "red"), {"lines.0.colour"}),
    ("too long", _set("external_id", "X" * 65), {"external_id"}),
    # business rules
    ("unknown channel", _set("channel", "taobao"), {"channel"}),
    ("unknown sku", _set("lines.1.sku", "SKU-404"), {"lines.1.sku"}),
    ("zero quantity", _set("lines.1.quantity", 0), {"lines.1.quantity"}),
    ("negative quantity", _set("lines.0.quantity", -1), {"lines.0.quantity"}),
    # (a zero discount then also exceeds the negative line value: both are named)
    ("negative price", _set("lines.0.unit_price", "-1.00"), {"lines.0.unit_price", "lines.0.discount"}),
    ("negative discount", _set("lines.1.discount", "-0.01"), {"lines.1.discount"}),
    ("negative shipping fee", _set("shipping_fee", "-10.00"), {"shipping_fee"}),
    ("malformed customer phone", _set("customer.phone", "12345"), {"customer.phone"}),
    ("malformed recipient phone", _set("shipping_address.phone", "138-1234"), {"shipping_address.phone"}),
]


@pytest.mark.parametrize("change, paths", [pytest.param(c, p, id=i) for i, c, p in BAD_INPUT])
def test_bad_input_is_400_naming_the_field_and_stores_nothing(api, change, paths):
    body = order_payload(products=[ProductFactory(), ProductFactory()])
    change(body)
    response = post(api, body)
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "validation_error"
    assert set(response.json()["errors"]) == paths
    assert_nothing_stored()


def test_every_bad_field_is_reported_at_once(api):
    body = order_payload(products=[ProductFactory(), ProductFactory()], channel="taobao")
    body["customer"]["name"] = ""
    body["customer"]["phone"] = "123"
    body["lines"][0]["sku"] = "SKU-404"
    body["lines"][1]["quantity"] = "2"
    body["shipping_address"]["province"] = 310000
    response = post(api, body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"channel", "customer.name", "customer.phone", "lines.0.sku",
                                              "lines.1.quantity", "shipping_address.province"}
    assert_nothing_stored()


def test_body_that_is_not_an_object_is_400(api):
    response = api.post(URL, data="[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_malformed_json_is_400(api):
    response = api.post(URL, data='{"channel": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"


def test_other_content_type_is_415(api):
    response = api.post(URL, data="channel=tmall", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["type"] == "unsupported_media_type"


def test_channel_bound_token_creates_for_its_channel_only(client_for):
    from orders.models import Channel

    tmall = client_for(channel=Channel.objects.get(code="tmall"))
    assert post(tmall, order_payload(channel="tmall")).status_code == 201
    response = post(tmall, order_payload(channel="jd"))
    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"
    assert Order.objects.count() == 1


def test_token_without_write_scope_is_403(client_for):
    reader = client_for(scopes=["orders:read"])
    response = post(reader, order_payload())
    assert response.status_code == 403
    assert response.json()["type"] == "missing_scope"
    assert "orders:write" in response.json()["detail"]
    assert Order.objects.count() == 0
