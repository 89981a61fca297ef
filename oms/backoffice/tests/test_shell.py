"""The shell: `/` is each role's home with its queues, navigation from permissions, the Chinese 403
page, and the global search that understands what clerks type."""

import re

import pytest
from django.urls import reverse

from aftersales.tests.factories import delivered_order, invoiced_order
from catalog.tests.factories import ProductFactory
from core.enums import Role
from orders.models import Customer

pytestmark = pytest.mark.django_db


def nav_keys(html: str) -> set[str]:
    return set(re.findall(r'data-nav="([^"]+)"', html))


def queue_keys(html: str) -> set[str]:
    return set(re.findall(r'data-queue="([^"]+)"', html))


def test_root_asks_for_login_then_is_the_home_page(client, make_user):
    response = client.get("/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(make_user("wh", Role.WAREHOUSE))
    response = client.get("/")
    assert response.status_code == 200
    assert "admin" not in response.request["PATH_INFO"]


@pytest.mark.parametrize("role, present, absent", [
    (Role.WAREHOUSE, {"packing", "waves", "shipments", "receiving"}, {"admin", "review", "print-centre", "imports"}),
    (Role.REVIEWER, {"review"}, {"packing", "admin", "print-centre"}),
    (Role.FINANCE, {"print-centre", "receivables"}, {"packing", "review", "admin"}),
    (Role.AFTERSALES, {"aftersales", "aftersales-new", "receiving"}, {"packing", "admin", "print-centre"}),
    (Role.MANAGER, {"imports", "review", "packing", "aftersales"}, {"admin"}),
    (Role.ADMIN, {"admin", "imports", "print-centre"}, set()),
])
def test_navigation_is_built_from_the_roles_permissions(client, make_user, role, present, absent):
    client.force_login(make_user("u", role, is_staff=True))
    keys = nav_keys(client.get("/").content.decode())
    assert present <= keys
    assert not (absent & keys)


@pytest.mark.parametrize("role, queues", [
    (Role.WAREHOUSE, {"to-pick", "to-pack", "to-ship", "exceptions", "returns-to-receive"}),
    (Role.REVIEWER, {"held-mine", "held-unassigned"}),
    (Role.FINANCE, {"refunds-to-confirm", "invoices-to-print"}),
    (Role.FINANCE_DIRECTOR, {"approvals-mine", "refunds-to-confirm"}),
    (Role.AFTERSALES, {"returns-to-decide", "returns-to-receive"}),
    (Role.MANAGER, {"imports-running", "held-mine", "returns-to-decide"}),
])
def test_home_shows_the_roles_work_queues_with_links(client, make_user, role, queues):
    from oms.workflow.models import ReviewRule

    ReviewRule.objects.filter(code="amount_threshold").update(approval_role=Role.FINANCE_DIRECTOR)
    client.force_login(make_user("u", role))
    html = client.get("/").content.decode()
    assert queues <= queue_keys(html)


def test_queue_counts_what_waits_and_links_to_the_screen(client, make_user):
    invoiced_order(lines=[(ProductFactory(), 1, "10.00")])
    user = make_user("wh", Role.WAREHOUSE)
    client.force_login(user)
    html = client.get("/").content.decode()
    tile = re.search(r'<a class="queue-tile[^"]*" href="([^"]+)" data-queue="to-pick">\s*'
                     r'<span class="queue-count">(\d+)', html)
    assert tile and tile.group(1) == reverse("logistics:waves") and tile.group(2) == "1"


def test_widgets_slot_renders_registered_widgets_for_allowed_users(client, make_user, tmp_path, settings):
    from oms.backoffice import widgets

    widgets.register(widgets.Widget(key="t", title="测试组件", template="backoffice/_test_widget.html",
                                    context=lambda request: {"n": 42},
                                    allowed=lambda u: u.has_perm("orders.review_order")))
    try:
        client.force_login(make_user("r", Role.REVIEWER))
        assert "测试组件" in client.get("/").content.decode()
        client.force_login(make_user("w", Role.WAREHOUSE))
        assert "测试组件" not in client.get("/").content.decode()
    finally:
        widgets.unregister("t")


def test_forbidden_page_is_chinese_with_a_way_home(client, make_user):
    client.force_login(make_user("wh", Role.WAREHOUSE))
    response = client.get(reverse("finance:print-centre"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "403 Forbidden" not in html
    assert "无权" in html or "不能" in html
    assert 'href="/"' in html


# -- search -----------------------------------------------------------------------------------------------
@pytest.fixture
def shipped():
    order = delivered_order(lines=[(ProductFactory(), 1, "10.00")], customer_name="欧阳娜娜",
                            customer_phone="13955551234", recipient_phone="13955551234")
    return order


def found(client, term) -> list[str]:
    response = client.get(reverse("backoffice:search"), {"q": term})
    if response.status_code == 302:
        return [response["Location"].rstrip("/").rsplit("/", 1)[-1]]
    return re.findall(r'class="order-link mono" href="[^"]+">([^<]+)<', response.content.decode())


@pytest.mark.parametrize("term", [
    lambda o: o.number, lambda o: o.number[2:], lambda o: o.number.lower(), lambda o: o.external_id,
    lambda o: o.shipments.first().tracking_number, lambda o: "欧阳娜娜", lambda o: "欧阳", lambda o: "1234",
    lambda o: "13955551234", lambda o: "+86 139-5555-1234",
])
def test_search_finds_the_order_by_what_a_clerk_types(client, make_user, shipped, term):
    client.force_login(make_user("cs", Role.CUSTOMER_SERVICE))
    assert shipped.number in found(client, term(shipped))


def test_search_without_a_match_says_so(client, make_user, shipped):
    client.force_login(make_user("cs", Role.CUSTOMER_SERVICE))
    response = client.get(reverse("backoffice:search"), {"q": "没有这个人"})
    assert response.status_code == 200 and "没有这个人" in response.content.decode()
    assert Customer.objects.count() >= 1


def test_logging_in_lands_on_the_home_page_not_the_admin_index(client, make_user):
    make_user("wh", Role.WAREHOUSE, is_staff=True)
    page = client.get("/admin/login/")
    assert page.status_code == 302 and page["Location"].endswith("?next=/")
    response = client.post("/admin/login/?next=/", {"username": "wh", "password": "pass-Word-123", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("term", [lambda o: o.number[2:], lambda o: o.shipments.first().tracking_number,
                                  lambda o: "5678", lambda o: "+86 139 5555 5678", lambda o: "欧阳娜娜"])
def test_new_aftersales_request_accepts_what_the_search_accepts(client, make_user, term):
    order = delivered_order(lines=[(ProductFactory(), 1, "10.00")], customer_name="欧阳娜娜",
                            customer_phone="13955555678", recipient_phone="13955555678")
    client.force_login(make_user("as", Role.AFTERSALES))
    html = client.get(reverse("aftersales:create"), {"order": term(order)}).content.decode()
    assert 'id="create-form"' in html and order.number in html


def test_new_aftersales_request_lists_the_candidates_when_several_match(client, make_user):
    orders = [delivered_order(lines=[(ProductFactory(), 1, "10.00")], customer_name=f"客户{i}",
                              customer_phone=f"139000{i}4321", recipient_phone=f"139000{i}4321") for i in (1, 2)]
    client.force_login(make_user("as", Role.AFTERSALES))
    html = client.get(reverse("aftersales:create"), {"order": "4321"}).content.decode()
    assert 'id="candidates"' in html and all(o.number in html for o in orders)
    assert 'id="create-form"' not in html


def test_home_shows_todays_numbers_from_the_reports_to_roles_that_see_dashboards(client, make_user):
    """The reports app's panel sits in the home page's widget slot (registered by the shell)."""
    manager = make_user("m", Role.MANAGER)
    client.force_login(manager)
    html = client.get("/").content.decode()
    assert 'data-widget="reports"' in html and 'id="today-panel"' in html
    assert "echarts.min.js" in html  # the chart library comes with the panel, from our own static files
    client.force_login(make_user("nobody"))  # no role: no dashboards
    assert 'data-widget="reports"' not in client.get("/").content.decode()
