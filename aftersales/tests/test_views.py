from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.models import QcPhoto, ReturnRequest, ReturnStatus
from aftersales.tests.factories import (
    approve,
    delivered_order,
    inspect_all,
    png_upload,
    receive_all,
    request_for,
)
from catalog.tests.factories import ProductFactory
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return delivered_order(lines=[(ProductFactory(sku="A-1", name="纯棉T恤"), 2, "100.00"),
                                  (ProductFactory(sku="B-1", name="保温杯"), 1, "50.00")])


def login(client, user):
    client.force_login(user)
    return client


def test_queue_lists_open_requests_oldest_first_with_sla_badges(client, aftersales_clerk, order):
    old = request_for(order, lines=[("A-1", 1)])
    ReturnRequest.objects.filter(pk=old.pk).update(status_changed_at=timezone.now() - timedelta(hours=30))
    new = request_for(order, lines=[("B-1", 1)])
    response = login(client, aftersales_clerk).get(reverse("aftersales:queue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(old.number) < body.index(new.number)
    rows = list(response.context["page"])
    assert [r.sla.level for r in rows] == ["overdue", "ok"]
    assert "badge-bad" in body


def test_queue_filters_by_status_kind_search_and_sla(client, aftersales_clerk, order):
    first = request_for(order, lines=[("A-1", 1)])
    ReturnRequest.objects.filter(pk=first.pk).update(status_changed_at=timezone.now() - timedelta(hours=20))
    second = approve(request_for(order, lines=[("B-1", 1)], kind="exchange", reason_code="wrong_size"),
                     aftersales_clerk)
    c = login(client, aftersales_clerk)
    url = reverse("aftersales:queue")

    def numbers(**params):
        return [r.number for r in c.get(url, params).context["page"]]

    assert numbers(status="approved") == [second.number]
    assert numbers(kind="return") == [first.number]
    assert numbers(search=order.number) == [first.number, second.number]
    assert numbers(search=second.number.lower()) == [second.number]
    assert numbers(sla="due_soon") == [first.number]  # 20 of 24 hours
    assert numbers(sla="overdue") == []


def test_queue_costs_a_constant_number_of_queries(client, aftersales_clerk, django_assert_max_num_queries):
    orders = [delivered_order() for _ in range(3)]
    for o in orders:
        request_for(o)
    c = login(client, aftersales_clerk)
    url = reverse("aftersales:queue")
    with django_assert_max_num_queries(20) as captured:
        c.get(url)
    few = len(captured)
    for o in [delivered_order() for _ in range(4)]:
        request_for(o)
    with django_assert_max_num_queries(few):
        c.get(url)


def test_screens_need_the_right_permission(client, make_user, order):
    from core.enums import Role

    rma = request_for(order)
    finance = make_user("fin", Role.FINANCE)
    c = login(client, finance)
    assert c.get(reverse("aftersales:queue")).status_code == 200  # may look
    assert c.get(reverse("aftersales:receiving")).status_code == 403
    assert c.get(reverse("aftersales:create")).status_code == 403
    assert c.post(reverse("aftersales:approve", args=[rma.number]), {"comment": "x"}).status_code == 403
    client.logout()
    assert client.get(reverse("aftersales:queue")).status_code == 302  # to the login page


def test_detail_shows_the_actions_the_user_may_take(client, aftersales_clerk, warehouse_clerk, order):
    rma = request_for(order)
    body = login(client, aftersales_clerk).get(reverse("aftersales:detail", args=[rma.number])).content.decode()
    assert reverse("aftersales:approve", args=[rma.number]) in body
    client.force_login(warehouse_clerk)
    body = client.get(reverse("aftersales:detail", args=[rma.number])).content.decode()
    assert reverse("aftersales:approve", args=[rma.number]) not in body
    assert client.get(reverse("aftersales:detail", args=["RMA-NOPE"])).status_code == 404


def test_approve_needs_a_comment_and_then_works(client, aftersales_clerk, order):
    rma = request_for(order)
    c = login(client, aftersales_clerk)
    url = reverse("aftersales:approve", args=[rma.number])
    response = c.post(url, {"comment": ""}, follow=True)
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REQUESTED
    assert any("comment" in str(m).lower() or "备注" in str(m) or "意见" in str(m)
               for m in response.context["messages"])
    c.post(url, {"comment": "同意"})
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.APPROVED


def test_outside_the_rules_the_clerk_only_sees_reject(client, aftersales_clerk, manager):
    rma = request_for(delivered_order(days_ago=10))
    body = login(client, aftersales_clerk).get(reverse("aftersales:detail", args=[rma.number])).content.decode()
    assert reverse("aftersales:approve", args=[rma.number]) not in body
    assert reverse("aftersales:reject", args=[rma.number]) in body
    response = client.post(reverse("aftersales:approve", args=[rma.number]), {"comment": "批"}, follow=True)
    assert response.status_code == 200
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REQUESTED
    client.force_login(manager)
    client.post(reverse("aftersales:approve", args=[rma.number]), {"comment": "特批"})
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.APPROVED


def test_receiving_finds_by_tracking_or_order_number_and_counts(client, aftersales_clerk, warehouse_clerk, order):
    from aftersales.services import return_request_register_parcel

    rma = approve(request_for(order), aftersales_clerk)
    return_request_register_parcel(request=rma, carrier="sf", tracking_number="SF7788", actor=aftersales_clerk)
    c = login(client, warehouse_clerk)
    response = c.get(reverse("aftersales:receiving"), {"q": "sf7788"})
    assert response.status_code == 302 and response.url == reverse("aftersales:receive", args=[rma.number])
    response = c.get(reverse("aftersales:receiving"), {"q": order.number})
    assert response.status_code == 302
    response = c.get(reverse("aftersales:receiving"), {"q": "NOTHING"})
    assert response.status_code == 200 and response.context["rows"] == []
    page = c.get(reverse("aftersales:receive", args=[rma.number]))
    assert page.context["form"].fields["warehouse"].initial == "SH01"
    a, b = rma.lines.order_by("pk")
    response = c.post(reverse("aftersales:receive", args=[rma.number]),
                      {"warehouse": "SH01", f"count_{a.pk}": 2, f"count_{b.pk}": 0, "note": "少一件保温杯"})
    assert response.status_code == 302 and response.url == reverse("aftersales:inspect", args=[rma.number])
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.RECEIVED
    assert [line.quantity_received for line in rma.lines.order_by("pk")] == [2, 0]


def test_receiving_more_than_asked_shows_an_error_and_keeps_the_state(client, aftersales_clerk, warehouse_clerk,
                                                                      order):
    rma = approve(request_for(order), aftersales_clerk)
    a, b = rma.lines.order_by("pk")
    c = login(client, warehouse_clerk)
    response = c.post(reverse("aftersales:receive", args=[rma.number]),
                      {"warehouse": "SH01", f"count_{a.pk}": 5, f"count_{b.pk}": 1})
    assert response.status_code == 200 and response.context["form"].errors
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.APPROVED


def test_qc_in_the_browser_form_with_photos(client, aftersales_clerk, warehouse_clerk, order):
    rma = receive_all(approve(request_for(order), aftersales_clerk), warehouse_clerk)
    a, b = rma.lines.order_by("pk")
    c = login(client, warehouse_clerk)
    assert c.get(reverse("aftersales:inspect", args=[rma.number])).status_code == 200
    response = c.post(reverse("aftersales:inspect", args=[rma.number]), {
        f"passed_{a.pk}": 1, f"damaged_{a.pk}": 1, f"wrong_{a.pk}": 0, f"note_{a.pk}": "领口开线",
        f"photos_{a.pk}": [png_upload("1.png"), png_upload("2.png")],
        f"passed_{b.pk}": 1, f"damaged_{b.pk}": 0, f"wrong_{b.pk}": 0, f"note_{b.pk}": "",
    })
    assert response.status_code == 302
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.INSPECTED
    assert QcPhoto.objects.filter(line=a).count() == 2
    detail = c.get(reverse("aftersales:detail", args=[rma.number])).content.decode()
    photo = QcPhoto.objects.filter(line=a).first()
    assert "领口开线" in detail and reverse("aftersales:photo", args=[photo.pk]) in detail
    response = c.get(reverse("aftersales:photo", args=[photo.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.logout()
    assert c.get(reverse("aftersales:photo", args=[photo.pk])).status_code == 302


def test_qc_errors_come_back_as_messages(client, aftersales_clerk, warehouse_clerk, order):
    rma = receive_all(approve(request_for(order), aftersales_clerk), warehouse_clerk)
    a, b = rma.lines.order_by("pk")
    c = login(client, warehouse_clerk)
    response = c.post(reverse("aftersales:inspect", args=[rma.number]), {
        f"passed_{a.pk}": 1, f"damaged_{a.pk}": 1, f"wrong_{a.pk}": 0, f"note_{a.pk}": "",
        f"passed_{b.pk}": 1, f"damaged_{b.pk}": 0, f"wrong_{b.pk}": 0,
    })
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.RECEIVED


def test_refund_from_the_page_partial_and_full(client, aftersales_clerk, warehouse_clerk, order):
    rma = inspect_all(receive_all(approve(request_for(order, lines=[("A-1", 2)]), aftersales_clerk),
                                  warehouse_clerk), warehouse_clerk)
    c = login(client, aftersales_clerk)
    page = c.get(reverse("aftersales:detail", args=[rma.number]))
    assert page.context["quote"].total == Decimal("200.00")
    assert "¥200.00" in page.content.decode()
    c.post(reverse("aftersales:refund", args=[rma.number]), {"amount": "150.00", "comment": "扣除包装费"})
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REFUNDED and rma.refund_amount == Decimal("150.00")
    c.post(reverse("aftersales:close", args=[rma.number]), {"comment": "完结"})
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.CLOSED


def test_customer_service_raises_a_request_in_the_browser(client, cs_clerk, order):
    c = login(client, cs_clerk)
    page = c.get(reverse("aftersales:create"), {"order": order.number})
    assert page.status_code == 200
    a, b = order.lines.order_by("pk")
    assert [row[3] for row in page.context["rows"]] == [2, 1]
    response = c.post(reverse("aftersales:create"), {
        "order": order.number, "kind": "return", "reason": "quality", "description": "洗后褪色",
        f"qty_{a.pk}": 1, f"qty_{b.pk}": 0})
    rma = ReturnRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("aftersales:detail", args=[rma.number])
    assert rma.source == "back_office" and rma.created_by == cs_clerk
    assert OrderEvent.objects.filter(order=order, kind="return_requested").get().actor == cs_clerk


def test_create_refused_by_the_rules_stays_on_the_form(client, cs_clerk, order):
    c = login(client, cs_clerk)
    a, b = order.lines.order_by("pk")
    response = c.post(reverse("aftersales:create"), {
        "order": order.number, "kind": "return", "reason": "quality", f"qty_{a.pk}": 5, f"qty_{b.pk}": 0})
    assert response.status_code == 200 and not ReturnRequest.objects.exists()
    assert list(response.context["messages"])
    assert c.get(reverse("aftersales:create"), {"order": "SO404"}).status_code == 200


def test_finance_confirms_a_bank_transfer_refund_from_the_queue(client, make_user, aftersales_clerk, warehouse_clerk):
    from aftersales.services import return_request_refund
    from core.enums import Role

    order = delivered_order(lines=[(ProductFactory(sku="BT-1"), 1, "500.00")], shipping_fee="0",
                            method="bank_transfer")
    rma = inspect_all(receive_all(approve(request_for(order), aftersales_clerk), warehouse_clerk), warehouse_clerk)
    return_request_refund(request=rma, actor=aftersales_clerk, comment="对公退款")
    body = login(client, aftersales_clerk).get(reverse("aftersales:detail", args=[rma.number])).content.decode()
    assert reverse("aftersales:confirm-refund", args=[rma.number]) not in body  # after-sales cannot confirm
    finance = make_user("caiwu", Role.FINANCE)
    client.force_login(finance)
    queue = client.get(reverse("aftersales:queue"), {"awaiting_refund": "on"})
    assert [r.number for r in queue.context["page"]] == [rma.number] and queue.context["awaiting_refund_count"] == 1
    assert reverse("aftersales:confirm-refund", args=[rma.number]) in client.get(
        reverse("aftersales:detail", args=[rma.number])).content.decode()
    client.post(reverse("aftersales:confirm-refund", args=[rma.number]), {"reference": "ICBC-20261126-01"})
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.CLOSED and rma.refund_reference == "ICBC-20261126-01"


def test_close_settled_returns_command(aftersales_clerk, warehouse_clerk, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    from aftersales.services import return_request_refund

    order = delivered_order()
    rma = inspect_all(receive_all(approve(request_for(order), aftersales_clerk), warehouse_clerk), warehouse_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        return_request_refund(request=rma, actor=aftersales_clerk, comment="退款")
    out = StringIO()
    call_command("close_settled_returns", stdout=out)
    assert out.getvalue().strip() == "1"
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.CLOSED
