"""GET /api/v1/orders, /orders/{number}, /orders/{number}/events: masking, channels, pagination, filters."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from oms.api.tests.factories import walk
from oms.workflow.services import submit_order
from orders.models import Channel, Order, OrderStatus
from orders.services import order_change_address
from orders.tests.factories import create_order, order_input

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]


def make_orders(n, **kwargs):
    return [create_order(**kwargs) for _ in range(n)]


# -- detail ---------------------------------------------------------------------------------------


def test_detail_masks_phones_and_emails_without_pii_scope(api):
    order = create_order(customer_email="zhangsan@example.com")
    body = api.get(f"/api/v1/orders/{order.number}").json()
    assert body["number"] == order.number
    assert body["status"] == "pending_review" and body["status_display"] == "待审核"
    assert body["customer"] == {"name": "张三", "phone": "138****1234", "email": "z***@example.com"}
    assert body["shipping_address"]["phone"] == "138****1234"


def test_detail_unmasked_with_pii_scope(pii_api):
    order = create_order(customer_email="zhangsan@example.com")
    body = pii_api.get(f"/api/v1/orders/{order.number}").json()
    assert body["customer"] == {"name": "张三", "phone": "13812341234", "email": "zhangsan@example.com"}
    assert body["shipping_address"]["phone"] == "13812341234"


def test_unknown_order_is_404(api):
    response = api.get("/api/v1/orders/SO20991231999999")
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"
    assert api.get("/api/v1/orders/SO20991231999999/events").status_code == 404
    assert api.post("/api/v1/orders/SO20991231999999/cancel", {"reason": "x"}, format="json").status_code == 404


def test_order_of_another_channel_is_403_for_a_bound_token(client_for):
    jd_order = create_order(channel_code="jd")
    tmall_order = create_order(channel_code="tmall")
    bound = client_for(channel=Channel.objects.get(code="tmall"))
    assert bound.get(f"/api/v1/orders/{tmall_order.number}").status_code == 200
    for response in (bound.get(f"/api/v1/orders/{jd_order.number}"),
                     bound.get(f"/api/v1/orders/{jd_order.number}/events"),
                     bound.post(f"/api/v1/orders/{jd_order.number}/cancel", {"reason": "x"}, format="json")):
        assert response.status_code == 403
        assert response.json()["type"] == "permission_denied"
    jd_order.refresh_from_db()
    assert jd_order.status == OrderStatus.PENDING_REVIEW


def test_reading_needs_orders_read(client_for):
    order = create_order()
    writer = client_for(scopes=["orders:write"])
    for url in (f"/api/v1/orders/{order.number}", f"/api/v1/orders/{order.number}/events", "/api/v1/orders"):
        response = writer.get(url)
        assert response.status_code == 403
        assert response.json()["type"] == "missing_scope"


# -- events ---------------------------------------------------------------------------------------


def test_events_are_the_timeline_oldest_first(api):
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    events = api.get(f"/api/v1/orders/{order.number}/events").json()
    assert [e["kind"] for e in events] == ["created", "stock_reserved", "review_passed"]
    assert set(events[0]) == {"at", "kind", "actor", "message", "data"}
    assert events[0]["actor"] == "system"
    assert events[0]["at"].endswith("+08:00")
    assert events[2]["data"] == {"from": "pending_review", "to": "awaiting_payment", "comment": "",
                                 "cleared_reasons": []}


def test_events_mask_phones_in_data_and_messages_without_pii(api, pii_api, reviewer):
    order = create_order()
    order_change_address(order=order, actor=reviewer, comment="客户来电改为 13900001111", phone="13900001111")
    masked = api.get(f"/api/v1/orders/{order.number}/events").json()[-1]
    assert masked["kind"] == "address_changed"
    assert masked["data"]["after"]["phone"] == "139****1111"
    assert masked["data"]["before"]["phone"] == "138****1234"
    assert "13900001111" not in masked["message"] and "139****1111" in masked["message"]
    plain = pii_api.get(f"/api/v1/orders/{order.number}/events").json()[-1]
    assert plain["data"]["after"]["phone"] == "13900001111"
    assert "13900001111" in plain["message"]


# -- list -----------------------------------------------------------------------------------------


def test_list_is_newest_first_and_masked(api):
    old, new = make_orders(2)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    body = api.get("/api/v1/orders").json()
    assert [o["number"] for o in body["results"]] == [new.number, old.number]
    assert body["next"] is None
    assert body["results"][0]["customer"]["phone"] == "138****1234"


def test_default_page_is_100_with_a_next_link(api):
    make_orders(101)
    body = api.get("/api/v1/orders").json()
    assert len(body["results"]) == 100
    assert body["next"].startswith("http://testserver/api/v1/orders?cursor=")
    rest = api.get(body["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None


def test_cursor_walks_every_order_once_even_with_equal_timestamps(api):
    orders = make_orders(11)
    same = timezone.now()
    Order.objects.filter(pk__in=[o.pk for o in orders[3:9]]).update(created_at=same)
    results, pages = walk(api, "/api/v1/orders?limit=3")
    numbers = [r["number"] for r in results]
    assert pages == 4
    assert len(numbers) == len(set(numbers)) == 11
    expected = list(Order.objects.order_by("-created_at", "-id").values_list("number", flat=True))
    assert numbers == expected


def test_orders_created_while_walking_do_not_repeat_or_shift_pages(api):
    make_orders(4)
    first = api.get("/api/v1/orders?limit=2").json()
    make_orders(3)  # newer than everything already listed
    rest, _pages = walk(api, first["next"])
    numbers = [r["number"] for r in first["results"] + rest]
    assert len(numbers) == len(set(numbers)) == 4


def test_next_link_keeps_the_filters(api):
    make_orders(3, channel_code="jd")
    body = api.get("/api/v1/orders?channel=jd&limit=2").json()
    query = parse_qs(urlparse(body["next"]).query)
    assert query["channel"] == ["jd"] and query["limit"] == ["2"] and "cursor" in query


def test_filters_status_channel_updated_since(api):
    jd = create_order(channel_code="jd")
    tmall = create_order(channel_code="tmall")
    reviewed = submit_order(data=order_input(channel_code="tmall"), payment=None, actor=SYSTEM)
    long_ago = timezone.now() - timedelta(days=3)
    Order.objects.filter(pk__in=[jd.pk, tmall.pk]).update(updated_at=long_ago)

    def numbers(query):
        response = api.get(f"/api/v1/orders?{query}")
        assert response.status_code == 200, response.json()
        return {o["number"] for o in response.json()["results"]}

    assert numbers("channel=jd") == {jd.number}
    assert numbers("status=awaiting_payment") == {reviewed.number}
    assert numbers("status=pending_review&channel=tmall") == {tmall.number}
    since = (timezone.localtime(long_ago) + timedelta(hours=1)).replace(microsecond=0).isoformat()
    assert numbers(f"updated_since={since.replace('+', '%2B')}") == {reviewed.number}
    # An unencoded "+08:00" arrives as " 08:00"; it still means the offset.
    assert numbers(f"updated_since={since}") == {reviewed.number}


@pytest.mark.parametrize("query, param", [
    ("status=lost", "status"),
    ("channel=taobao", "channel"),
    ("updated_since=yesterday", "updated_since"),
    ("updated_since=0001-01-01T00:00:00%2B08:00", "updated_since"),
    ("cursor=WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA4OjAwIiwxXQ", "cursor"),  # ["0001-01-01T00:00:00+08:00",1]
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=WyJ4Il0", "cursor"),  # base64 of ["x"]: decodes but is not a position
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("limit=ten", "limit"),
])
def test_bad_filter_values_are_400(api, query, param):
    create_order()
    response = api.get(f"/api/v1/orders?{query}")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert set(response.json()["errors"]) == {param}


def test_bound_token_lists_its_channel_only_and_cannot_filter_another(client_for):
    tmall = make_orders(2, channel_code="tmall")
    make_orders(2, channel_code="jd")
    bound = client_for(channel=Channel.objects.get(code="tmall"))
    results, _pages = walk(bound, "/api/v1/orders")
    assert {r["number"] for r in results} == {o.number for o in tmall}
    assert bound.get("/api/v1/orders?channel=tmall").status_code == 200
    response = bound.get("/api/v1/orders?channel=jd")
    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"


def test_list_costs_the_same_queries_whatever_the_page_size(api, pii_api, django_assert_num_queries):
    products = [ProductFactory(), ProductFactory()]
    create_order(lines=[(products[0], 1, "10.00")])
    api.get("/api/v1/orders")  # first use records last_used_at; later requests within a minute do not write
    pii_api.get("/api/v1/orders")
    # token, orders (with channel and customer joined), lines, shipments with their warehouse (logistics)
    with django_assert_num_queries(4):
        assert len(api.get("/api/v1/orders").json()["results"]) == 1
    for _ in range(40):
        create_order(lines=[(products[0], 1, "10.00"), (products[1], 2, "20.00")])
    with django_assert_num_queries(4):
        assert len(api.get("/api/v1/orders").json()["results"]) == 41
    with django_assert_num_queries(4):
        assert len(pii_api.get("/api/v1/orders?limit=25").json()["results"]) == 25
    # A channel filter adds one query to check the channel code, whatever the page size.
    with django_assert_num_queries(5):
        assert len(api.get("/api/v1/orders?channel=tmall").json()["results"]) == 41
