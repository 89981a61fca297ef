"""The review workbench through HTTP: access per role, queue, order page, decisions, query counts."""

import re

import pytest
from django.urls import reverse

from core.enums import Role
from oms.workflow.tests.factories import held_for_address, held_for_large_amount, held_for_payment_mismatch
from orders.models import Order, OrderStatus
from orders.tests.factories import create_order

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

QUEUE = reverse("workflow:review-queue")


def detail_url(order):
    return reverse("workflow:review-detail", args=[order.number])


def action_url(order, name):
    return reverse(f"workflow:review-{name}", args=[order.number])


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# -- who may use it --------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.CUSTOMER_SERVICE, Role.FINANCE, Role.AFTERSALES])
def test_roles_without_review_permission_get_403(client, make_user, role):
    order = held_for_address()
    client.force_login(make_user("someone", role))
    assert client.get(QUEUE).status_code == 403
    assert client.get(detail_url(order)).status_code == 403
    assert client.post(action_url(order, "approve"), {"comment": "ok"}).status_code == 403
    bulk = client.post(reverse("workflow:review-bulk-approve"), {"orders": [order.pk], "comment": "x"})
    assert bulk.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.FINANCE_DIRECTOR, Role.MANAGER])
def test_review_roles_open_the_workbench(client, make_user, role):
    client.force_login(make_user("someone", role))
    assert client.get(QUEUE).status_code == 200


def test_nav_link_only_for_reviewers(client, make_user):
    client.force_login(make_user("wh", Role.WAREHOUSE, is_staff=True))
    page = client.get(reverse("admin:index")).content.decode()
    assert QUEUE not in page
    client.force_login(make_user("rv", Role.REVIEWER, is_staff=True))
    assert QUEUE in client.get(reverse("admin:index")).content.decode()
    assert f'href="{QUEUE}"' in client.get(QUEUE).content.decode()


# -- the queue -------------------------------------------------------------------------------------

def test_queue_lists_only_on_hold_orders_with_labels_and_money(reviewer_client):
    held = held_for_large_amount()
    create_order()  # pending review: not in the queue
    response = reviewer_client.get(QUEUE)
    assert [o.pk for o in response.context["page"]] == [held.pk]
    html = response.content.decode()
    assert "¥60,000.00" in html
    assert "large_amount" not in re.sub(r'value="[^"]*"', "", html)  # codes only in form values
    assert "138****1234" in html and "13812341234" not in html  # reviewers see masked phones


def test_manager_sees_full_phone(client, make_user):
    held_for_address()
    client.force_login(make_user("boss", Role.MANAGER))
    assert "13812341234" in client.get(QUEUE).content.decode()


def test_filters(reviewer_client, reviewer):
    address = held_for_address(channel_code="jd")
    large = held_for_large_amount(channel_code="tmall")
    mismatch = held_for_payment_mismatch(channel_code="tmall")
    from orders.services import order_assign

    order_assign(order=mismatch, assignee=reviewer, actor=reviewer)

    def numbers(**params):
        return {o.number for o in reviewer_client.get(QUEUE, params).context["page"]}

    from orders.models import Channel

    assert numbers(channel=Channel.objects.get(code="jd").pk) == {address.number}
    assert numbers(reason="large_amount") == {large.number}
    assert numbers(reason="payment_mismatch") == {mismatch.number}
    assert numbers(total_min="1000") == {large.number}
    assert numbers(total_max="1000") == {address.number, mismatch.number}
    assert numbers(assigned="me") == {mismatch.number}
    assert numbers(assigned="unassigned") == {address.number, large.number}
    assert numbers(ordered_after="2026-11-24", ordered_before="2026-11-24") == {
        address.number, large.number, mismatch.number}
    assert numbers(ordered_after="2026-11-25") == set()
    assert numbers(ordered_before="2026-11-23") == set()


def test_sorting(reviewer_client):
    small, big = held_for_address(), held_for_large_amount()
    first = [o.number for o in reviewer_client.get(QUEUE, {"sort": "amount_desc"}).context["page"]]
    assert first == [big.number, small.number]
    assert [o.number for o in reviewer_client.get(QUEUE, {"sort": "oldest"}).context["page"]] == [
        small.number, big.number]


def test_bad_filter_values_never_500(reviewer_client):
    held_for_address()
    response = reviewer_client.get(QUEUE, {"total_min": "abc", "channel": "999999", "reason": "nope", "sort": "bogus",
                                           "page": "x", "per_page": "7", "ordered_after": "2026-13-45"})
    assert response.status_code == 200


def test_pagination(reviewer_client):
    for _ in range(23):
        held_for_address()
    page_1 = reviewer_client.get(QUEUE).context["page"]
    assert len(page_1) == 20 and page_1.paginator.count == 23
    assert len(reviewer_client.get(QUEUE, {"page": 2}).context["page"]) == 3
    assert len(reviewer_client.get(QUEUE, {"per_page": 50}).context["page"]) == 23


def test_queue_query_count_is_constant(reviewer_client, reviewer, make_user, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services import order_assign

    for _ in range(3):
        held_for_address()
    reviewer_client.get(QUEUE)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert len(reviewer_client.get(QUEUE, {"per_page": 100}).context["page"]) == 3
    # Many more rows, from other channels and customers, some assigned to different people.
    others = [make_user(f"r{i}", Role.REVIEWER) for i in range(3)]
    for i in range(22):
        order = held_for_address(channel_code=["jd", "douyin", "web"][i % 3], customer_name=f"客户{i}",
                                 customer_phone=f"1390000{i:04d}")
        if i % 2:
            order_assign(order=order, assignee=others[i % 3], actor=reviewer)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(reviewer_client.get(QUEUE, {"per_page": 100}).context["page"]) == 25
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(reviewer_client.get(QUEUE, {"per_page": 20}).context["page"]) == 20


# -- the order page --------------------------------------------------------------------------------

def test_detail_shows_reasons_lines_timeline_history(reviewer_client):
    order = held_for_large_amount()
    response = reviewer_client.get(detail_url(order))
    html = response.content.decode()
    reasons = response.context["hold_reasons"]
    assert [r.code for r in reasons] == ["large_amount"]
    assert "¥50,000.00" in reasons[0].details[0]
    assert [str(r) for r in response.context["approval_roles"]] == [str(Role.FINANCE_DIRECTOR.label)]
    assert "¥60,000.00" in html and "138****1234" in html and "13812341234" not in html
    kinds = [e.kind for e in response.context["events"]]
    assert kinds == ["created", "payment_recorded", "held"]
    changes = {c.field for entry in response.context["history"] for c in entry.changes}
    assert {"status", "hold_reasons", "paid_amount"} <= changes


def test_detail_unknown_number_is_404(reviewer_client):
    assert reviewer_client.get(reverse("workflow:review-detail", args=["SO00000000000000"])).status_code == 404


def test_detail_query_count_does_not_grow_with_the_timeline(reviewer_client, reviewer, django_assert_max_num_queries):
    from orders.services import order_assign

    order = held_for_address()
    reviewer_client.get(detail_url(order))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        reviewer_client.get(detail_url(order))
    for _ in range(10):
        order_assign(order=order, assignee=reviewer, actor=reviewer)
    with django_assert_max_num_queries(len(before.captured_queries) + 1):  # +1: the assignee's user row
        reviewer_client.get(detail_url(order))


# -- decisions -------------------------------------------------------------------------------------

def test_approve_with_comment(reviewer_client, reviewer):
    order = held_for_address()
    response = reviewer_client.post(action_url(order, "approve"), {"comment": "已确认"}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.events.filter(kind="approved", actor=reviewer).exists()
    assert response.context["order"].status == OrderStatus.AWAITING_PAYMENT
    assert any(order.number in m for m in messages_of(response))


def test_approve_without_comment_is_a_message(reviewer_client):
    order = held_for_address()
    response = reviewer_client.post(action_url(order, "approve"), {"comment": ""}, follow=True)
    assert response.status_code == 200 and messages_of(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_large_amount_by_plain_reviewer_is_a_message_not_a_500(reviewer_client):
    order = held_for_large_amount()
    response = reviewer_client.post(action_url(order, "approve"), {"comment": "ok"}, follow=True)
    assert response.status_code == 200
    assert any(str(Role.FINANCE_DIRECTOR.label) in m for m in messages_of(response))
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_director_approves_large_amount(client, finance_director):
    client.force_login(finance_director)
    order = held_for_large_amount()
    client.post(action_url(order, "approve"), {"comment": "核实无误"})
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_already_moved_by_someone_else_is_a_message(reviewer_client, finance_director):
    from oms.workflow.services import approve_order

    order = held_for_address()
    approve_order(order=order, actor=finance_director, comment="抢先一步")
    response = reviewer_client.post(action_url(order, "approve"), {"comment": "ok"}, follow=True)
    assert response.status_code == 200 and messages_of(response)
    assert Order.objects.get(pk=order.pk).events.filter(kind="approved").count() == 1


def test_reject(reviewer_client):
    order = held_for_address()
    reviewer_client.post(action_url(order, "reject"), {"comment": "地址无效"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert "地址无效" in order.events.get(kind="rejected").message


def test_change_address(reviewer_client):
    order = held_for_address()
    data = {"recipient": order.recipient, "phone": "", "province": "浙江省", "city": "宁波市", "district": "",
            "address_detail": "中山东路1号", "postal_code": "", "comment": "客户来电"}
    reviewer_client.post(action_url(order, "change-address"), data)
    order.refresh_from_db()
    assert (order.city, order.address_detail, order.phone) == ("宁波市", "中山东路1号", "13812341234")
    event = order.events.get(kind="address_changed")
    assert set(event.data["after"]) == {"city", "district", "address_detail", "postal_code"}


def test_change_address_errors_are_messages(reviewer_client):
    order = held_for_address()
    data = {"recipient": "x", "phone": "12", "province": "浙江省", "city": "杭州市", "address_detail": "文三路",
            "comment": "c"}
    response = reviewer_client.post(action_url(order, "change-address"), data, follow=True)
    assert response.status_code == 200 and messages_of(response)
    order.refresh_from_db()
    assert order.recipient == "张三"


def test_address_form_does_not_leak_the_phone(reviewer_client):
    order = held_for_address()
    html = reviewer_client.get(detail_url(order)).content.decode()
    assert "13812341234" not in html


def test_assign_to_me(reviewer_client, reviewer):
    order = held_for_address()
    reviewer_client.post(action_url(order, "assign-to-me"), {})
    order.refresh_from_db()
    assert order.assigned_to == reviewer


def test_bulk_approve_reports_each_order(reviewer_client):
    ok, big = held_for_address(), held_for_large_amount()
    response = reviewer_client.post(reverse("workflow:review-bulk-approve"),
                                    {"orders": [ok.pk, big.pk], "comment": "批量"}, follow=True)
    found = messages_of(response)
    assert any(ok.number in m for m in found) and any(big.number in m for m in found)
    ok.refresh_from_db(), big.refresh_from_db()
    assert (ok.status, big.status) == (OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD)


def test_bulk_approve_needs_comment_and_selection(reviewer_client):
    order = held_for_address()
    response = reviewer_client.post(reverse("workflow:review-bulk-approve"), {"orders": [order.pk]}, follow=True)
    assert messages_of(response)
    response = reviewer_client.post(reverse("workflow:review-bulk-approve"), {"comment": "x"}, follow=True)
    assert messages_of(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_get_on_an_action_is_refused(reviewer_client):
    order = held_for_address()
    assert reviewer_client.get(action_url(order, "approve")).status_code == 405
