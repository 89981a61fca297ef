"""The order page: information, funds and goods side by side, one timeline, the audit history,
every number a link, and a cost in queries that does not grow with what the order holds."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.tests.factories import (
    ACTOR,
    approve,
    delivered_order,
    invoiced_order,
    receive_all,
    request_for,
)
from catalog.tests.factories import ProductFactory
from core.enums import Role
from finance.models import Invoice, JournalEntry, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user("manager", Role.MANAGER, Role.FINANCE, is_staff=True)


def page_of(client, order):
    response = client.get(reverse("backoffice:order", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def section(html, element_id):
    match = re.search(rf'id="{element_id}"(.*?)</(ul|table|ol|section)>', html, re.S)
    assert match, element_id
    return match.group(1)


def test_every_flow_shows_its_rows_with_links(client, manager):
    order = delivered_order(lines=[(ProductFactory(sku="TEE-1"), 2, "100.00"),
                                   (ProductFactory(sku="MUG-1"), 1, "50.00")])
    rma = approve(request_for(order, lines=[("TEE-1", 1)], return_tracking_number="SF-BACK-1"), ACTOR)
    client.force_login(manager)
    html = page_of(client, order)

    # header: status and the actions this user may take
    assert order.get_status_display() in html
    assert 'data-action="funds"' in html and 'data-action="aftersales"' in html
    # information: lines with links to stock
    lines = section(html, "order-lines")
    assert "TEE-1" in lines and "MUG-1" in lines and "/inventory/?q=TEE-1" in lines
    # funds: payments, invoices, journal entries, each a link
    funds_url = reverse("finance:order-funds", args=[order.number])
    payment = Payment.objects.get(order=order)
    assert f'{funds_url}#payment-{payment.pk}' in section(html, "payments")
    invoice = Invoice.objects.get(order=order)
    assert reverse("finance:invoice-pdf", args=[invoice.pk]) in section(html, "invoices")
    entries = section(html, "entries")
    for entry in JournalEntry.objects.filter(order=order):
        assert entry.number in entries and f"#entry-{entry.pk}" in entries
    # goods: shipments with tracking history, the return with its page
    shipment = order.shipments.get()
    shipments = section(html, "shipments")
    assert shipment.number in shipments and shipment.tracking_number in shipments
    assert reverse("logistics:shipment-label", args=[shipment.number]) in shipments
    assert "已签收" in shipments  # tracking history
    assert reverse("aftersales:detail", args=[rma.number]) in section(html, "returns")
    # one timeline of all three flows, and the audit history
    flows = set(re.findall(r'data-flow="(\w+)"', html))
    assert flows == {"info", "funds", "goods"}
    assert 'id="audit-history"' in html


def test_refund_shows_in_funds_and_reservations_by_warehouse_in_lines(client, manager):
    order = invoiced_order(lines=[(ProductFactory(sku="CUP-1"), 1, "30.00")])
    client.force_login(manager)
    html = page_of(client, order)
    assert 'data-reservation="SH01"' in section(html, "order-lines")


def test_the_page_costs_the_same_number_of_queries_whatever_the_order_holds(client, manager):
    small = delivered_order(lines=[(ProductFactory(sku="ONE-0"), 1, "10.00")])
    request_for(small)
    big = delivered_order(lines=[(ProductFactory(sku=f"BIG-{i}"), 2, "20.00") for i in range(4)])
    rma = approve(request_for(big, lines=[("BIG-0", 1), ("BIG-1", 1)], return_tracking_number="YT-1"), ACTOR)
    receive_all(rma, ACTOR)
    request_for(big, lines=[("BIG-2", 1)])
    client.force_login(manager)
    page_of(client, small)  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        page_of(client, small)
    with CaptureQueriesContext(connection) as many:
        page_of(client, big)
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"][:120] for q in many.captured_queries]


def test_unknown_order_is_a_404_page_not_a_500(client, manager):
    client.force_login(manager)
    response = client.get(reverse("backoffice:order", args=["SO404"]))
    assert response.status_code == 404


def test_order_numbers_elsewhere_link_to_the_order_page(client, manager, make_user):
    order = delivered_order(lines=[(ProductFactory(sku="LNK-1"), 1, "10.00")])
    rma = request_for(order)
    target = reverse("backoffice:order", args=[order.number])
    client.force_login(manager)
    for url in (reverse("finance:order-funds", args=[order.number]), reverse("logistics:shipments"),
                reverse("aftersales:detail", args=[rma.number]), reverse("aftersales:queue"),
                reverse("admin:orders_order_changelist")):
        assert f'href="{target}"' in client.get(url).content.decode(), url


def test_warehouse_user_sees_pack_action_for_a_parcel_in_the_warehouse(client, make_user):
    order = invoiced_order(lines=[(ProductFactory(), 1, "10.00")])
    client.force_login(make_user("wh", Role.WAREHOUSE))
    html = page_of(client, order)
    shipment = order.shipments.get()
    assert reverse("logistics:packing-shipment", args=[shipment.number]) in html
    assert 'data-action="funds"' not in html


def test_a_parcel_leaving_or_arriving_is_tagged_goods_on_the_timeline(client, manager):
    """Shipping and the last delivery change the order's status (kind status_changed), but they are
    news of the goods: the timeline tags them 物流; the order's own news stays 信息."""
    order = delivered_order(lines=[(ProductFactory(sku="BOX-1"), 1, "80.00")])
    shipment = order.shipments.get()
    client.force_login(manager)
    html = page_of(client, order)
    entries = re.findall(r'<li class="tl-\w+" data-flow="(\w+)" data-kind="(\w+)">(.*?)</li>', html, re.S)
    def about_the_parcel(text):
        return shipment.number in text or shipment.tracking_number in text

    parcel = [(flow, text) for flow, kind, text in entries if kind == "status_changed" and about_the_parcel(text)]
    assert len(parcel) == 2  # left the warehouse; delivered, so the order completed
    assert {flow for flow, _text in parcel} == {"goods"}
    assert {re.search(r'class="flowtag">([^<]+)<', text).group(1) for _flow, text in parcel} == {"物流"}
    assert {flow for flow, kind, _text in entries if kind == "created"} == {"info"}


def test_the_orders_behind_a_report_figure_link_to_the_order_page(client, manager):
    from django.utils import timezone

    from oms.reports.rollups import rollups_rebuild

    order = delivered_order(lines=[(ProductFactory(sku="DRILL-1"), 1, "60.00")])
    rollups_rebuild()
    day = timezone.localdate(order.ordered_at).isoformat()
    client.force_login(manager)
    html = client.get(reverse("reports:orders"), {"measure": "orders", "start": day, "end": day}).content.decode()
    drill = section(html, "drill-orders")
    assert f'href="{reverse("backoffice:order", args=[order.number])}"' in drill
    assert "/admin/orders/order/" not in drill  # not the admin's read-only form
