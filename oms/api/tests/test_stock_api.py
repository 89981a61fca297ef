"""GET /api/v1/stock per contracts/api-v1.md, with real bearer tokens."""

import pytest
from django.db.models import Sum

from catalog.tests.factories import ProductFactory
from inventory.models import ChannelStockRule, Stock
from inventory.services import order_stock_reserve, stock_settings_update
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, stock_up
from oms.api.stock_views import StockView
from orders.models import Channel
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked():
    sh, bj = WarehouseFactory(code="SH01"), WarehouseFactory(code="BJ01", province="北京市")
    a = stock_up(ProductFactory(sku="SKU-001"), 10, sh)
    stock_up(a, 4, bj)
    order_stock_reserve(order=create_order(lines=[(a, 2)], province="上海市"), actor=TEST_ACTOR)
    b = stock_up(ProductFactory(sku="SKU-002"), 3, bj)
    stock_settings_update(stock=Stock.objects.get(product=b), safety_stock=5, low_stock_threshold=0,
                          actor=TEST_ACTOR)
    return sh, bj


def test_view_declares_the_stock_read_scope():
    assert StockView.required_scopes == ("stock:read",)


def test_stock_per_sku_and_warehouse(api, stocked, django_assert_num_queries):
    api.get("/api/v1/stock?sku=SKU-001")  # the token's first use also records last_used_at
    with django_assert_num_queries(3):  # token, products, stock rows
        response = api.get("/api/v1/stock?sku=sku-001&sku=SKU-002")
    assert response.status_code == 200
    assert response.json() == {"results": [
        {"sku": "SKU-001", "warehouse": "BJ01", "on_hand": 4, "reserved": 0, "available": 4},
        {"sku": "SKU-001", "warehouse": "SH01", "on_hand": 10, "reserved": 2, "available": 8},
        # safety stock 5 > on hand 3: available is 0, never negative
        {"sku": "SKU-002", "warehouse": "BJ01", "on_hand": 3, "reserved": 0, "available": 0},
    ]}


def test_reserved_never_exceeds_on_hand_in_the_answer(api, stocked):
    rows = api.get("/api/v1/stock?sku=SKU-001").json()["results"]
    assert sum(r["reserved"] for r in rows) == Stock.objects.aggregate(r=Sum("reserved"))["r"]
    assert all(0 <= r["available"] <= r["on_hand"] - r["reserved"] for r in rows)


def test_channel_bound_token_sees_its_share_or_cap(client_for, stocked):
    sh, bj = stocked
    tmall, jd = Channel.objects.get(code="tmall"), Channel.objects.get(code="jd")
    ChannelStockRule.objects.create(channel=tmall, share_percent=50)                        # every warehouse: half
    ChannelStockRule.objects.create(channel=tmall, warehouse=sh, share_percent=100, cap=3)  # SH01: at most 3
    rows = {r["warehouse"]: r for r in client_for(channel=tmall).get("/api/v1/stock?sku=SKU-001").json()["results"]}
    assert rows["SH01"]["available"] == 3 and rows["BJ01"]["available"] == 2
    assert rows["SH01"]["on_hand"] == 10  # only availability is shared out
    jd_rows = client_for(channel=jd).get("/api/v1/stock?sku=SKU-001").json()["results"]
    assert {r["warehouse"]: r["available"] for r in jd_rows} == {"SH01": 8, "BJ01": 4}  # no rule: everything


def test_token_without_stock_read_is_refused(client_for, stocked):
    response = client_for(scopes=["orders:read"]).get("/api/v1/stock?sku=SKU-001")
    assert response.status_code == 403 and response.json()["type"] == "missing_scope"


def test_no_token_is_401(client, stocked):
    response = client.get("/api/v1/stock?sku=SKU-001")
    assert response.status_code == 401 and response.json()["type"] == "not_authenticated"


@pytest.mark.parametrize("query, path", [("", "sku"), ("?sku=SKU-001&sku=NOPE", "sku.1"),
                                         ("?" + "&".join(f"sku=S{i}" for i in range(101)), "sku")])
def test_bad_queries_are_400_naming_the_parameter(api, stocked, query, path):
    response = api.get(f"/api/v1/stock{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error" and path in body["errors"]


def test_schema_documents_the_endpoint(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    operation = paths["/api/v1/stock"]["get"]
    assert operation["x-required-scopes"] == ["stock:read"]


def test_expired_lots_are_not_available(api, stocked):
    """Allocation never takes expired units, so the API does not promise them either."""
    from datetime import timedelta

    from django.utils import timezone

    from inventory.models import Lot
    from inventory.selectors import stock_list

    sh, _bj = stocked
    today = timezone.localdate()
    c = stock_up(ProductFactory(sku="SKU-003"), 6, sh, batch_number="OLD", expiry_date=today - timedelta(days=1))
    stock_up(c, 4, sh, batch_number="NEW", expiry_date=today)  # expires today: still sellable today
    assert Lot.objects.filter(stock__product=c).count() == 2
    (row,) = api.get("/api/v1/stock?sku=SKU-003").json()["results"]
    assert (row["on_hand"], row["reserved"], row["available"]) == (10, 0, 4)
    # The larger of safety stock and expired units is held back, not both.
    stock_settings_update(stock=Stock.objects.get(product=c), safety_stock=8, low_stock_threshold=0, actor=TEST_ACTOR)
    assert api.get("/api/v1/stock?sku=SKU-003").json()["results"][0]["available"] == 2
    # The overview's low-stock alert counts the same way: 2 available is low at a threshold of 2.
    assert not stock_list(search="SKU-003", low_only=True).exists()
    stock_settings_update(stock=Stock.objects.get(product=c), safety_stock=8, low_stock_threshold=2, actor=TEST_ACTOR)
    assert stock_list(search="SKU-003", low_only=True).get().available_qty == 2
