"""`GET /api/v1/orders/{number}/documents/{packing-slip,shipping-label}.pdf` and the order's `shipments`."""

import pytest
from django.urls import reverse

from logistics.services import shipment_pack
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from oms.api.scopes import Scope
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def slip(number):
    return reverse("api:order-packing-slip", args=[number])


def label(number):
    return reverse("api:order-shipping-label", args=[number])


def test_documents_appear_as_the_order_moves(api):
    waiting = create_order(actor=ACTOR, lines=[(product(), 1, "10.00")])
    response = api.get(slip(waiting.number), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404 and response.json()["type"] == "document_not_available"
    order = released_order([(product(name="有机绿茶 250g"), 1, "168.00")])
    response = api.get(slip(order.number), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert api.get(label(order.number)).status_code == 404  # no tracking number yet
    shipment_pack(shipment=shipments_of(order)[0], weight_kg="0.5", actor=ACTOR, verify_scan=False)
    response = api.get(label(order.number))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert f'filename="{order.number}-shipping-label.pdf"' in response["Content-Disposition"]


def test_unknown_order_scope_and_channel(api, client_for, client):
    assert api.get(slip("SO00000000000000")).json()["type"] == "not_found"
    order = released_order([(product(), 1, "10.00")])
    assert client.get(slip(order.number)).status_code == 401
    assert client_for(scopes=[Scope.STOCK_READ]).get(slip(order.number)).status_code == 403
    from orders.models import Channel

    jd = client_for(channel=Channel.objects.get(code="jd"))
    response = jd.get(label(order.number))
    assert response.status_code == 403 and response.json()["type"] == "permission_denied"


def test_order_representation_lists_its_shipments(api):
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipments_of(order)
    body = api.get(reverse("api:order-detail", args=[order.number])).json()
    assert body["shipments"] == [{"number": shipment.number, "warehouse": "SH01", "carrier": "sf",
                                  "tracking_number": "", "status": "created"}]


def test_order_list_with_shipments_keeps_a_constant_query_count(api, django_assert_max_num_queries):
    p = product()
    for _ in range(2):
        released_order([(p, 1, "10.00")])
    with django_assert_max_num_queries(20) as few:
        api.get(reverse("api:order-list"))
    for _ in range(6):
        released_order([(p, 1, "10.00")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api.get(reverse("api:order-list")).json()
    assert len(body["results"]) == 8 and all(len(o["shipments"]) == 1 for o in body["results"])
