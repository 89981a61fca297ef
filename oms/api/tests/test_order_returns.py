"""`POST/GET /api/v1/orders/{number}/returns`: after-sales requests from channels."""

import pytest

from aftersales.models import ReturnRequest
from aftersales.tests.factories import approve, delivered_order, inspect_all, invoiced_order, receive_all
from catalog.tests.factories import ProductFactory
from oms.api.scopes import Scope
from orders.models import OrderEvent
from orders.tests.factories import channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return delivered_order(lines=[(ProductFactory(sku="SKU-001", name="纯棉T恤"), 2, "199.00")])


def url(order, rma=None, suffix=""):
    base = f"/api/v1/orders/{order.number}/returns"
    return f"{base}/{rma}{suffix}" if rma else base


BODY = {"kind": "return", "reason": "quality", "description": "洗后褪色", "external_id": "TMRF001",
        "lines": [{"sku": "SKU-001", "quantity": 1}]}


def test_create_answers_201_with_the_request_and_its_location(api, order):
    response = api.post(url(order), BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    rma = ReturnRequest.objects.get()
    assert body["number"] == rma.number and body["order_number"] == order.number
    assert body["status"] == "requested" and body["status_display"] == "待审核"
    assert body["kind_display"] == "退货退款" and body["reason"] == {"code": "quality", "name": "商品质量问题"}
    assert body["external_id"] == "TMRF001" and body["needs_approval"] is False
    assert body["lines"] == [{"sku": "SKU-001", "name": "纯棉T恤", "quantity": 1, "exchange_sku": None,
                              "received": 0, "passed": 0, "damaged": 0, "wrong_item": 0, "qc_result": "pending",
                              "refund_amount": "0.00"}]
    assert body["refund_amount"] == "0.00" and body["created_at"].endswith("+08:00")
    assert body["awaiting_manual_refund"] is False and body["credit_note"] == ""
    assert response["Location"].endswith(f"/api/v1/orders/{order.number}/returns/{rma.number}")
    assert rma.source == "api"
    event = OrderEvent.objects.filter(order=order).last()
    assert event.kind == "return_requested" and event.actor_name == f"api:{api.token.name}"


def test_same_external_id_replays_and_other_contents_conflict(api, order):
    first = api.post(url(order), BODY, format="json").json()
    again = api.post(url(order), BODY, format="json")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first["number"]
    other = api.post(url(order), {**BODY, "lines": [{"sku": "SKU-001", "quantity": 2}]}, format="json")
    assert other.status_code == 409 and other.json()["type"] == "idempotency_conflict"
    assert ReturnRequest.objects.count() == 1


def test_rules_refusals_are_400_naming_each_field(api, order):
    response = api.post(url(order), {**BODY, "reason": "nope", "lines": [{"sku": "SKU-001", "quantity": 3},
                                                                         {"sku": "SKU-404", "quantity": 1}]},
                        format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert {"reason", "lines.0.quantity", "lines.1.sku"} <= set(body["errors"])
    assert not ReturnRequest.objects.exists()


@pytest.mark.parametrize("payload, field", [
    ({**BODY, "kind": "swap"}, "kind"),
    ({**BODY, "lines": [{"sku": "SKU-001", "quantity": "1"}]}, "lines.0.quantity"),
    ({**BODY, "lines": [{"sku": "SKU-001", "quantity": 0}]}, "lines.0.quantity"),
    ({**BODY, "lines": "SKU-001"}, "lines"),
    ({**BODY, "colour": "red"}, "colour"),
    ({k: v for k, v in BODY.items() if k != "reason"}, "reason"),
])
def test_bad_types_are_400_with_the_path(api, order, payload, field):
    response = api.post(url(order), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_late_requests_are_stored_for_approval(api):
    order = delivered_order(days_ago=9, lines=[(ProductFactory(sku="SKU-002"), 1, "99.00")])
    body = api.post(url(order), {"kind": "return", "reason": "no_reason",
                                 "lines": [{"sku": "SKU-002", "quantity": 1}]}, format="json").json()
    assert body["needs_approval"] is True
    assert body["approval_reasons"][0]["code"] == "outside_window"


def test_refund_before_shipment_with_no_lines(api):
    order = invoiced_order(lines=[(ProductFactory(sku="SKU-003"), 1, "99.00")])
    response = api.post(url(order), {"kind": "refund_only", "reason": "changed_mind", "lines": []}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["before_shipment"] is True
    assert response.json()["lines"][0]["quantity"] == 1


def test_get_lists_and_reads_the_status_as_it_moves(api, order, make_user):
    from core.enums import Role

    rma_number = api.post(url(order), BODY, format="json").json()["number"]
    assert [r["number"] for r in api.get(url(order)).json()] == [rma_number]
    clerk, wh = make_user("as1", Role.AFTERSALES), make_user("wh1", Role.WAREHOUSE)
    rma = ReturnRequest.objects.get(number=rma_number)
    parcel = api.post(url(order, rma_number, "/parcel"), {"carrier": "sf", "tracking_number": "SF999"},
                      format="json")
    assert parcel.status_code == 409 and parcel.json()["type"] == "invalid_transition"
    approve(rma, clerk)
    parcel = api.post(url(order, rma_number, "/parcel"), {"carrier": "sf", "tracking_number": "SF999"},
                      format="json")
    assert parcel.status_code == 200 and parcel.json()["status"] == "awaiting_return"
    assert parcel.json()["return_tracking_number"] == "SF999"
    inspect_all(receive_all(rma, wh), wh)
    body = api.get(url(order, rma_number)).json()
    assert body["status"] == "inspected" and body["status_display"] == "已质检" and body["warehouse"] == "SH01"
    assert body["lines"][0]["passed"] == 1 and body["lines"][0]["qc_result"] == "passed"
    assert body["received_at"] and body["inspected_at"]


def test_auth_scope_channel_and_not_found(client_for, order):
    from rest_framework.test import APIClient

    assert APIClient().post(url(order), BODY, format="json").status_code == 401
    reader = client_for(scopes=[Scope.ORDERS_READ])
    response = reader.post(url(order), BODY, format="json")
    assert response.status_code == 403 and response.json()["type"] == "missing_scope"
    assert reader.get(url(order)).status_code == 200
    jd = client_for(channel=channel("jd"))
    assert jd.post(url(order), BODY, format="json").status_code == 403
    assert jd.get(url(order)).status_code == 403
    tmall = client_for(channel=channel("tmall"))
    assert tmall.post(url(order), BODY, format="json").status_code == 201
    assert tmall.get("/api/v1/orders/SO404/returns").status_code == 404
    assert tmall.get(url(order, "RMA404")).status_code == 404


def test_schema_documents_the_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    create = paths["/api/v1/orders/{number}/returns"]["post"]
    assert create["x-required-scopes"] == ["orders:write"]
    assert set(create["responses"]) >= {"200", "201", "400", "401", "403", "404", "409"}
    assert paths["/api/v1/orders/{number}/returns/{rma}"]["get"]["x-required-scopes"] == ["orders:read"]


def test_list_costs_a_constant_number_of_queries(api, order, django_assert_max_num_queries, make_user):
    api.post(url(order), {**BODY, "external_id": "A"}, format="json")
    with django_assert_max_num_queries(30) as captured:
        api.get(url(order))
    few = len(captured)
    order2 = delivered_order(lines=[(ProductFactory(sku="SKU-009"), 5, "10.00")])
    for n in range(4):
        api.post(url(order2), {"kind": "return", "reason": "quality", "external_id": f"B{n}",
                               "lines": [{"sku": "SKU-009", "quantity": 1}]}, format="json")
    with django_assert_max_num_queries(few):
        api.get(url(order2))

