"""The order admin: fast list, exact search, masked phones, transition buttons calling services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.actors import SYSTEM
from core.enums import Role
from oms.workflow.tests.factories import held_for_address, held_for_large_amount
from orders.models import Customer, Order, OrderStatus
from orders.tests.factories import create_order

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

CHANGELIST = reverse("admin:orders_order_changelist")


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def action_url(order, name):
    return reverse("admin:orders_order_action", args=[order.pk, name])


@pytest.fixture
def staff(client, make_user):
    def login(role, username=None):
        user = make_user(username or f"staff-{role}", role, is_staff=True)
        client.force_login(user)
        return user

    return login


def listed(response):
    return [o.pk for o in response.context["cl"].result_list]


# -- list ------------------------------------------------------------------------------------------

def test_changelist_query_count_is_constant(client, staff, make_user, django_assert_num_queries):
    staff(Role.MANAGER)
    for _ in range(2):
        create_order()
    client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as small:
        assert len(listed(client.get(CHANGELIST))) == 2
    assignee = make_user("other", Role.REVIEWER)
    from orders.services import order_assign

    for i in range(30):
        order = create_order(channel_code=["jd", "douyin", "web", "tmall"][i % 4], customer_name=f"客户{i}",
                             customer_phone=f"1370000{i:04d}")
        if i % 3 == 0:
            order_assign(order=order, assignee=assignee, actor=None)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(listed(client.get(CHANGELIST))) == 32
    for params in ({"status__exact": "pending_review"}, {"q": "13700000001"}, {"channel__id__exact": "1"}):
        with CaptureQueriesContext(connection) as filtered:
            client.get(CHANGELIST, params)
        # A search by phone adds one query (the customer ids behind that phone), whatever the result size.
        assert len(filtered.captured_queries) <= len(small.captured_queries) + 1


def test_changelist_never_counts_the_whole_table(client, staff):
    staff(Role.MANAGER)
    create_order()
    with CaptureQueriesContext(connection) as queries:
        client.get(CHANGELIST, {"status__exact": "pending_review"})
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "WHERE" in counts[0].upper()


@pytest.mark.parametrize("term_of", [
    lambda o: o.number, lambda o: o.number.lower(), lambda o: o.external_id,
    lambda o: "+86 138-1234-1234", lambda o: "13812341234",
])
def test_search_exact(client, staff, term_of):
    staff(Role.MANAGER)
    order = create_order()
    other = create_order(customer_phone="13900009999", recipient_phone="13900009999")
    found = listed(client.get(CHANGELIST, {"q": term_of(order)}))
    assert order.pk in found and other.pk not in found


def test_search_by_customer_phone_finds_orders_shipped_elsewhere(client, staff):
    staff(Role.MANAGER)
    order = create_order(customer_phone="13600001111", recipient_phone="13900002222")
    assert listed(client.get(CHANGELIST, {"q": "13600001111"})) == [order.pk]
    assert listed(client.get(CHANGELIST, {"q": "SO2026"})) == []  # no substring scans


def test_list_filters(client, staff):
    staff(Role.MANAGER)
    held = held_for_large_amount()
    pending = create_order()
    assert listed(client.get(CHANGELIST, {"status__exact": "on_hold"})) == [held.pk]
    assert listed(client.get(CHANGELIST, {"hold_reason": "large_amount"})) == [held.pk]
    assert listed(client.get(CHANGELIST, {"payment_status__exact": "unpaid"})) == [pending.pk]
    assert set(listed(client.get(CHANGELIST, {"source__exact": "api"}))) == {held.pk, pending.pk}


# -- PII -------------------------------------------------------------------------------------------

def test_customer_service_sees_masked_phones_everywhere(client, staff):
    staff(Role.CUSTOMER_SERVICE)
    order = create_order()
    pages = [client.get(CHANGELIST), client.get(change_url(order)),
             client.get(reverse("admin:orders_order_history", args=[order.pk])),
             client.get(reverse("admin:orders_customer_changelist")),
             client.get(reverse("admin:orders_customer_change", args=[order.customer_id]))]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "13812341234" not in html
    assert "138****1234" in pages[0].content.decode()


def test_customer_history_masks_changed_phones(client, staff):
    staff(Role.REVIEWER)
    customer = create_order().customer
    customer.phone = "13999998888"
    customer.save()
    html = client.get(reverse("admin:orders_customer_history", args=[customer.pk])).content.decode()
    assert "139****8888" in html and "13999998888" not in html and "13812341234" not in html


def test_manager_sees_full_phones(client, staff):
    staff(Role.MANAGER)
    order = create_order()
    assert "13812341234" in client.get(CHANGELIST).content.decode()
    assert "13812341234" in client.get(change_url(order)).content.decode()


def test_customer_phone_is_normalised_on_save(client, staff):
    staff(Role.ADMIN)  # changing customers and seeing their phones
    customer = create_order().customer
    response = client.post(reverse("admin:orders_customer_change", args=[customer.pk]),
                           {"name": "张三", "phone": "+86 139 0000 1234", "email": "", "company_name": "",
                            "tax_id": ""})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "13900001234"


def test_without_pii_permission_the_customer_phone_is_not_editable(client, staff):
    staff(Role.CUSTOMER_SERVICE)
    customer = create_order().customer
    client.post(reverse("admin:orders_customer_change", args=[customer.pk]),
                {"name": "张三丰", "phone": "13900001234", "email": "", "company_name": "", "tax_id": ""})
    customer.refresh_from_db()
    assert (customer.name, customer.phone) == ("张三丰", "13812341234")


# -- transition buttons ----------------------------------------------------------------------------

def buttons(client, order):
    return [b["url"].rstrip("/").rsplit("/", 1)[-1] for b in client.get(change_url(order)).context["order_actions"]]


def test_buttons_follow_permissions_and_state(client, staff):
    held = held_for_address()
    staff(Role.REVIEWER)
    assert buttons(client, held) == ["approve", "reject", "cancel", "change_address"]
    staff(Role.CUSTOMER_SERVICE)
    assert buttons(client, held) == ["cancel", "change_address"]
    staff(Role.WAREHOUSE)
    assert buttons(client, held) == []
    staff(Role.MANAGER)
    shipped_like = create_order()
    Order.objects.filter(pk=shipped_like.pk).update(status=OrderStatus.COMPLETED)
    assert buttons(client, shipped_like) == []


def test_fsm_field_is_read_only_and_the_form_cannot_be_saved(client, staff):
    staff(Role.MANAGER)
    order = held_for_address()
    page = client.get(change_url(order))
    assert 'name="status"' not in page.content.decode()
    assert client.post(change_url(order), {"status": "shipped"}).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_approve_button_calls_the_service(client, staff):
    reviewer = staff(Role.REVIEWER)
    order = held_for_address()
    assert client.get(action_url(order, "approve")).status_code == 200
    response = client.post(action_url(order, "approve"), {"comment": "确认无误"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.events.get(kind="approved").actor == reviewer


def test_comment_required(client, staff):
    staff(Role.REVIEWER)
    order = held_for_address()
    response = client.post(action_url(order, "reject"), {"comment": ""})
    assert response.status_code == 200 and response.context["form"].errors
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_domain_error_is_a_message(client, staff):
    staff(Role.REVIEWER)
    order = held_for_large_amount()
    response = client.post(action_url(order, "approve"), {"comment": "ok"}, follow=True)
    assert response.status_code == 200
    assert any(str(Role.FINANCE_DIRECTOR.label) in str(m) for m in response.context["messages"])
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_action_not_available_to_the_user_is_refused(client, staff):
    staff(Role.WAREHOUSE)
    order = held_for_address()
    response = client.post(action_url(order, "approve"), {"comment": "ok"}, follow=True)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_cancel_and_change_address(client, staff):
    clerk = staff(Role.CUSTOMER_SERVICE)
    order = held_for_address()
    data = {"recipient": "李四", "phone": "", "province": "浙江省", "city": "杭州市", "district": "西湖区",
            "address_detail": "文三路100号", "postal_code": "310000", "comment": "客户更正收件人"}
    client.post(action_url(order, "change_address"), data)
    order.refresh_from_db()
    assert order.recipient == "李四" and order.phone == "13812341234"
    client.post(action_url(order, "cancel"), {"comment": "客户取消"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.events.get(kind="cancelled").actor == clerk


def test_history_cannot_be_reverted(client, staff):
    staff(Role.MANAGER)
    order = held_for_address()
    version = Order.history.filter(id=order.pk).order_by("history_date").first()
    url = reverse("admin:orders_order_simple_history", args=[order.pk, version.history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_nobody_adds_or_deletes_orders(client, staff):
    staff(Role.ADMIN)
    order = create_order()
    assert client.get(reverse("admin:orders_order_add")).status_code == 403
    assert client.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403


# -- other models ----------------------------------------------------------------------------------

def test_timeline_admin_is_read_only(client, staff):
    staff(Role.MANAGER)
    order = create_order()
    event = order.events.get()
    assert client.get(reverse("admin:orders_orderevent_changelist"), {"q": order.number}).status_code == 200
    assert client.post(reverse("admin:orders_orderevent_change", args=[event.pk]), {"message": "x"}).status_code == 403
    assert client.get(reverse("admin:orders_orderevent_add")).status_code == 403


def test_timeline_admin_filters_by_the_kinds_names(client, staff, stock_everything):
    from oms.workflow.services import submit_order
    from orders.tests.factories import order_input

    staff(Role.MANAGER)
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)  # reviewed: stock reserved
    response = client.get(reverse("admin:orders_orderevent_changelist"), {"kind": "stock_reserved"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "库存预留" in page and "开具发票" in page  # the filter lists kinds by name
    assert list(response.context["cl"].result_list) == list(order.events.filter(kind="stock_reserved"))


def test_every_clerk_model_has_an_admin():
    from django.contrib import admin

    from catalog.models import Product
    from oms.workflow.models import ReviewRule
    from orders.models import Channel, OrderEvent

    for model in (Order, Customer, Channel, OrderEvent, ReviewRule, Product):
        assert admin.site.is_registered(model), model
