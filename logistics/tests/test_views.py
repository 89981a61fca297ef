import pytest
from django.urls import reverse

from core.enums import Role
from logistics.models import ShipmentStatus
from logistics.services import shipment_pack, shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of, warehouse

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def clerk_client(client, make_user):
    client.force_login(make_user("packer", Role.WAREHOUSE))
    return client


@pytest.fixture
def parcel():
    tee = product("SKU-TEE", barcode="6901234567892", name="纯棉T恤")
    order = released_order([(tee, 2, "79.00")])
    return shipments_of(order)[0], tee


def test_customer_service_sees_shipments_but_cannot_pack(client, make_user, parcel):
    client.force_login(make_user("cs", Role.CUSTOMER_SERVICE))
    assert client.get(reverse("logistics:shipments")).status_code == 200
    assert client.get(reverse("logistics:packing")).status_code == 403
    assert client.get(reverse("logistics:waves")).status_code == 403
    shipment, _ = parcel
    assert client.post(reverse("logistics:packing-scan", args=[shipment.number]), {"code": "x"}).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("logistics:packing"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_scanning_an_order_number_opens_its_parcel(clerk_client, parcel):
    shipment, _ = parcel
    response = clerk_client.get(reverse("logistics:packing"), {"code": shipment.order.number.lower()})
    assert response.status_code == 302 and response.url == reverse("logistics:packing-shipment",
                                                                   args=[shipment.number])
    page = clerk_client.get(response.url)
    assert page.status_code == 200 and "纯棉T恤" in page.content.decode()
    missing = clerk_client.get(reverse("logistics:packing"), {"code": "SO00000000000000"}, follow=True)
    assert "SO00000000000000" in missing.content.decode()


def test_scan_refusals_come_back_as_json(clerk_client, parcel):
    shipment, tee = parcel
    url = reverse("logistics:packing-scan", args=[shipment.number])
    wrong = clerk_client.post(url, {"code": "6909999999999"}, **JSON)
    assert wrong.status_code == 400 and wrong.json()["reason"] == "wrong_item" and not wrong.json()["ok"]
    for expected in (1, 2):
        ok = clerk_client.post(url, {"code": tee.barcode}, **JSON).json()
        assert ok["ok"] and ok["lines"][0]["packed"] == expected
    assert ok["complete"]
    extra = clerk_client.post(url, {"code": tee.barcode}, **JSON)
    assert extra.status_code == 400 and extra.json()["reason"] == "extra_quantity"
    assert "数量超出" in extra.json()["message"]


def test_pack_returns_the_label(clerk_client, parcel):
    shipment, tee = parcel
    pack_url = reverse("logistics:packing-pack", args=[shipment.number])
    early = clerk_client.post(pack_url, {"weight_kg": "0.6", "packages": "1"}, **JSON)
    assert early.status_code == 400 and "已扫描 0 / 2 件" in early.json()["message"]
    for _ in range(2):
        clerk_client.post(reverse("logistics:packing-scan", args=[shipment.number]), {"code": tee.sku})
    result = clerk_client.post(pack_url, {"weight_kg": "0.6", "packages": "1"}, **JSON).json()
    assert result["ok"] and result["tracking_number"].startswith("SF")
    label = clerk_client.get(result["label_url"])
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PACKED and shipment.label_printed_at is not None


def test_wave_picking_starts_a_wave_and_prints_the_picking_list(clerk_client):
    p = product()
    orders = [released_order([(p, 1, "10.00")]) for _ in range(2)]
    sh = warehouse()
    listing = clerk_client.get(reverse("logistics:waves"), {"warehouse": sh.pk, "carrier": "sf"})
    assert listing.status_code == 200 and all(o.number in listing.content.decode() for o in orders)
    ids = [str(shipments_of(o)[0].pk) for o in orders]
    response = clerk_client.post(reverse("logistics:waves"), {"warehouse": sh.pk, "carrier": "sf", "shipment": ids})
    assert response.status_code == 302
    number = response.url.rstrip("/").rsplit("/", 1)[-1]
    assert {shipments_of(o)[0].status for o in orders} == {ShipmentStatus.PICKING}
    pdf = clerk_client.get(reverse("logistics:picking-list", args=[number]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_batch_labels_and_handover(clerk_client):
    p = product()
    orders = [released_order([(p, 1, "10.00")]) for _ in range(3)]
    shipments = [shipments_of(o)[0] for o in orders]
    for shipment in shipments[:2]:
        shipment_pack(shipment=shipment, weight_kg="1", actor=ACTOR, verify_scan=False)
    ids = [str(s.pk) for s in shipments]
    pdf = clerk_client.post(reverse("logistics:labels-batch"), {"shipment": ids})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    response = clerk_client.post(reverse("logistics:handover"), {"shipment": ids}, follow=True)
    text = response.content.decode()
    assert shipments[0].number in text and "运单号" in text  # the third has no waybill number: refused
    statuses = [shipments_of(o)[0].status for o in orders]
    assert statuses == [ShipmentStatus.SHIPPED, ShipmentStatus.SHIPPED, ShipmentStatus.CREATED]


def test_shipment_list_query_count_does_not_grow(clerk_client, django_assert_max_num_queries):
    p = product()
    for _ in range(3):
        released_order([(p, 1, "10.00")])
    with django_assert_max_num_queries(12) as small:
        clerk_client.get(reverse("logistics:shipments"))
    for _ in range(12):
        released_order([(p, 1, "10.00")])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = clerk_client.get(reverse("logistics:shipments"))
    assert response.status_code == 200 and response.content.decode().count('name="shipment"') == 15


def test_exceptions_page_lists_problems_and_returns_to_sender(clerk_client):
    from django.utils import timezone

    from logistics.services import shipment_track

    order = released_order([(product(), 1, "10.00")])
    shipment = shipment_ship(shipment=shipments_of(order)[0], tracking_number="SF9", actor=ACTOR).shipment
    shipment_track(shipment=shipment, status="exception", occurred_at=timezone.now(), description="收件人拒收",
                   actor=ACTOR)
    page = clerk_client.get(reverse("logistics:exceptions")).content.decode()
    assert "收件人拒收" in page and shipment.number in page
    clerk_client.post(reverse("logistics:return-to-sender", args=[shipment.number]), {"reason": "拒收"})
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RETURNED_TO_SENDER
