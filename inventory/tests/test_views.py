import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.tests.factories import ProductFactory
from core.enums import Role
from inventory.models import Stock, StockMovement, Stocktake
from inventory.services import order_stock_reserve, stock_settings_update
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, stock_up
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client, warehouse_clerk):
    client.force_login(warehouse_clerk)
    return client


@pytest.fixture
def stocked():
    sh = WarehouseFactory(code="SH01", name="上海仓")
    bj = WarehouseFactory(code="BJ01", name="北京仓", province="北京市")
    a = stock_up(ProductFactory(sku="SKU-A", name="纯棉T恤"), 10, sh)
    b = stock_up(ProductFactory(sku="SKU-B", name="保温杯"), 2, bj)
    return sh, bj, a, b


def test_overview_lists_stock_and_flags_low_stock(clerk_client, stocked, manager):
    sh, bj, a, b = stocked
    stock_settings_update(stock=Stock.objects.get(product=b), safety_stock=0, low_stock_threshold=5, actor=manager)
    order_stock_reserve(order=create_order(lines=[(a, 3)], province="上海市"), actor=TEST_ACTOR)
    response = clerk_client.get(reverse("inventory:stock-overview"))
    assert response.status_code == 200
    rows = {s.product.sku: s for s in response.context["page"]}
    assert (rows["SKU-A"].on_hand, rows["SKU-A"].reserved, rows["SKU-A"].available_qty) == (10, 3, 7)
    assert rows["SKU-B"].low and not rows["SKU-A"].low
    assert response.context["low_count"] == 1
    low_only = clerk_client.get(reverse("inventory:stock-overview"), {"low": "on"})
    assert [s.product.sku for s in low_only.context["page"]] == ["SKU-B"]
    by_wh = clerk_client.get(reverse("inventory:stock-overview"), {"warehouse": "SH01", "q": "t恤"})
    assert [s.product.sku for s in by_wh.context["page"]] == ["SKU-A"]


def test_overview_costs_the_same_queries_for_more_rows(clerk_client, stocked, django_assert_num_queries):
    sh, bj, a, b = stocked
    url = reverse("inventory:stock-overview")
    clerk_client.get(url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        clerk_client.get(url)
    for _ in range(15):
        stock_up(ProductFactory(), 3, sh)
    with django_assert_num_queries(len(few)):
        response = clerk_client.get(url)
    assert len(response.context["page"]) == 17


def test_overview_needs_the_view_permission(client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("inventory:stock-overview")).status_code == 403


def test_receipt_form_books_lines(clerk_client, stocked):
    data = {"warehouse": "SH01", "reference": "PO-1", "note": "", "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "50",
            "lines-0-sku": "sku-a", "lines-0-quantity": "5", "lines-0-batch_number": "B-9",
            "lines-0-expiry_date": "2027-01-31", "lines-1-sku": "", "lines-1-quantity": ""}
    response = clerk_client.post(reverse("inventory:receipt-create"), data)
    assert response.status_code == 302
    assert Stock.objects.get(product__sku="SKU-A", warehouse__code="SH01").on_hand == 15


def test_receipt_form_shows_service_errors_on_the_line(clerk_client, stocked):
    data = {"warehouse": "SH01", "reference": "", "note": "", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "50", "lines-0-sku": "NOPE", "lines-0-quantity": "5"}
    before = StockMovement.objects.count()
    response = clerk_client.post(reverse("inventory:receipt-create"), data)
    assert response.status_code == 200
    assert "NOPE" in str(response.context["formset"].forms[0].errors["sku"])
    assert StockMovement.objects.count() == before


def test_adjustment_requires_a_reason(clerk_client, stocked):
    url = reverse("inventory:adjustment-create")
    response = clerk_client.post(url, {"warehouse": "SH01", "sku": "SKU-A", "quantity_change": "-2", "reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = clerk_client.post(url, {"warehouse": "SH01", "sku": "SKU-A", "quantity_change": "-2",
                                       "reason": "破损"})
    assert response.status_code == 302
    assert Stock.objects.get(product__sku="SKU-A").on_hand == 8


def test_transfer_beyond_available_shows_the_error(clerk_client, stocked):
    response = clerk_client.post(reverse("inventory:transfer-create"), {
        "source": "BJ01", "destination": "SH01", "sku": "SKU-B", "quantity": "3", "reason": "补货"})
    assert response.status_code == 200
    assert response.context["form"].errors["quantity"]
    ok = clerk_client.post(reverse("inventory:transfer-create"), {
        "source": "BJ01", "destination": "SH01", "sku": "SKU-B", "quantity": "2", "reason": "补货"})
    assert ok.status_code == 302
    assert Stock.objects.get(product__sku="SKU-B", warehouse__code="SH01").on_hand == 2


def test_reviewer_cannot_use_clerk_tools(client, reviewer, stocked):
    client.force_login(reviewer)
    assert client.get(reverse("inventory:stock-overview")).status_code == 200  # may look
    for name in ("receipt-create", "adjustment-create", "transfer-create", "stocktake-import"):
        assert client.get(reverse(f"inventory:{name}")).status_code == 403


def test_stocktake_upload_dry_run_then_confirm(clerk_client, stocked):
    url = reverse("inventory:stocktake-import")
    sheet = SimpleUploadedFile("count.csv", "商品编码,盘点数量\nSKU-A,7\n".encode("utf-8-sig"), "text/csv")
    preview = clerk_client.post(url, {"warehouse": "SH01", "file": sheet, "note": "周盘"})
    assert preview.status_code == 200
    rows = preview.context["preview"].rows
    assert [(r.sku, r.system, r.counted, r.difference) for r in rows] == [("SKU-A", 10, 7, -3)]
    assert Stock.objects.get(product__sku="SKU-A", warehouse__code="SH01").on_hand == 10  # dry run only
    assert Stocktake.objects.count() == 0
    done = clerk_client.post(url, {"step": "confirm", "token": preview.context["token"]})
    assert done.status_code == 302
    assert Stock.objects.get(product__sku="SKU-A", warehouse__code="SH01").on_hand == 7
    assert Stocktake.objects.get().note == "周盘"
    again = clerk_client.post(url, {"step": "confirm", "token": preview.context["token"]})
    assert again.status_code == 302 and Stocktake.objects.count() == 1  # a second confirm does nothing


def test_stocktake_upload_rejects_unreadable_files(clerk_client, stocked):
    bad = SimpleUploadedFile("count.xlsx", b"not a spreadsheet", "application/vnd.ms-excel")
    response = clerk_client.post(reverse("inventory:stocktake-import"), {"warehouse": "SH01", "file": bad})
    assert response.status_code == 200 and response.context["form"].errors["file"]


def test_count_sheet_template_lists_the_warehouse_skus(clerk_client, stocked):
    response = clerk_client.get(reverse("inventory:stocktake-template"), {"warehouse": "SH01"})
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "sku,counted,name"
    assert "SKU-A,,纯棉T恤" in text and "SKU-B" not in text


@pytest.fixture
def staff_manager(make_user):
    return make_user("boss", Role.MANAGER, is_staff=True)


def test_stock_admin_change_goes_through_the_service(client, staff_manager, stocked):
    client.force_login(staff_manager)
    stock = Stock.objects.get(product__sku="SKU-A")
    url = reverse("admin:inventory_stock_change", args=[stock.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"safety_stock": "2", "low_stock_threshold": "4"})
    assert response.status_code == 302
    stock.refresh_from_db()
    assert (stock.safety_stock, stock.low_stock_threshold, stock.on_hand) == (2, 4, 10)


def test_ledger_admin_is_read_only(client, staff_manager, stocked):
    client.force_login(staff_manager)
    assert client.get(reverse("admin:inventory_stockmovement_changelist")).status_code == 200
    movement = StockMovement.objects.first()
    assert client.post(reverse("admin:inventory_stockmovement_delete", args=[movement.pk]),
                       {"post": "yes"}).status_code == 403
    with pytest.raises(TypeError):
        movement.delete()
    with pytest.raises(TypeError):
        StockMovement.objects.filter(pk=movement.pk).update(on_hand_delta=0)


@pytest.mark.parametrize("role, allowed", [(Role.WAREHOUSE, True), (Role.MANAGER, True), (Role.REVIEWER, False),
                                           (Role.CUSTOMER_SERVICE, False), (Role.FINANCE, False)])
def test_role_permissions(make_user, role, allowed):
    user = make_user(f"u-{role}", role)
    assert user.has_perm("inventory.receive_stock") is allowed
    assert user.has_perm("inventory.adjust_stock") is allowed
    assert user.has_perm("inventory.view_stock") is True
