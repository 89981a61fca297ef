"""`GET /api/v1/stock` and `GET /api/v1/products` per contracts/api-v1.md.

Token authentication and scope checks are the API branch's: until they are merged, the views are
exercised with DRF's `force_authenticate` and a token stand-in (`scopes`, `channel`), and the
permission classes switched off here; `required_scopes` is asserted separately, and the real URL
is checked to refuse anonymous callers.
"""

from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from inventory.models import ChannelStockRule
from inventory.services import order_stock_reserve, stock_settings_update
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, stock_up
from oms.api.stock_views import ProductListView, StockView
from oms.catalog.tests.factories import ProductFactory
from orders.models import Channel
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db
factory = APIRequestFactory()


def call(view_class, path, *, channel=None, **params):
    request = factory.get(path, params)
    force_authenticate(request, token=SimpleNamespace(name="test", scopes=["stock:read"], channel=channel))
    return view_class.as_view(permission_classes=[])(request)


@pytest.fixture
def stocked(manager):
    sh, bj = WarehouseFactory(code="SH01"), WarehouseFactory(code="BJ01", province="北京市")
    a = stock_up(ProductFactory(sku="SKU-001"), 10, sh)
    stock_up(a, 4, bj)
    order_stock_reserve(order=create_order(lines=[(a, 2)], province="上海市"), actor=TEST_ACTOR)
    b = stock_up(ProductFactory(sku="SKU-002"), 3, bj)
    from inventory.models import Stock

    stock_settings_update(stock=Stock.objects.get(product=b), safety_stock=5, low_stock_threshold=0, actor=manager)
    return sh, bj


def test_views_declare_the_stock_read_scope():
    assert StockView.required_scopes == ["stock:read"]
    assert ProductListView.required_scopes == ["stock:read"]


def test_anonymous_callers_are_refused():
    response = APIClient().get("/api/v1/stock", {"sku": "SKU-001"})
    assert response.status_code in (401, 403)
    assert response.json()["type"] in ("not_authenticated", "permission_denied", "authentication_failed")


def test_stock_per_sku_and_warehouse(stocked):
    response = call(StockView, "/api/v1/stock", sku=["sku-001", "SKU-002"])
    assert response.status_code == 200
    assert response.data == {"results": [
        {"sku": "SKU-001", "warehouse": "BJ01", "on_hand": 4, "reserved": 0, "available": 4},
        {"sku": "SKU-001", "warehouse": "SH01", "on_hand": 10, "reserved": 2, "available": 8},
        # safety stock 5 > on hand 3: available is 0, never negative
        {"sku": "SKU-002", "warehouse": "BJ01", "on_hand": 3, "reserved": 0, "available": 0},
    ]}


def test_channel_bound_token_sees_its_share_or_cap(stocked):
    sh, bj = stocked
    tmall, jd = Channel.objects.get(code="tmall"), Channel.objects.get(code="jd")
    ChannelStockRule.objects.create(channel=tmall, share_percent=50)               # every warehouse: half
    ChannelStockRule.objects.create(channel=tmall, warehouse=sh, share_percent=100, cap=3)  # SH01: at most 3
    rows = {r["warehouse"]: r for r in call(StockView, "/api/v1/stock", channel=tmall, sku="SKU-001").data["results"]}
    assert rows["SH01"]["available"] == 3 and rows["BJ01"]["available"] == 2
    assert rows["SH01"]["on_hand"] == 10  # only availability is shared out
    unbound = {r["warehouse"]: r["available"] for r in call(StockView, "/api/v1/stock", channel=jd,
                                                             sku="SKU-001").data["results"]}
    assert unbound == {"SH01": 8, "BJ01": 4}


@pytest.mark.parametrize("params, path", [({}, "sku"), ({"sku": ["SKU-001", "NOPE"]}, "sku.1"),
                                          ({"sku": [f"S{i}" for i in range(101)]}, "sku")])
def test_bad_queries_are_400_naming_the_parameter(stocked, params, path):
    response = call(StockView, "/api/v1/stock", **params)
    assert response.status_code == 400
    assert response.data["type"] == "validation_error"
    assert path in response.data["errors"]


def test_products_are_cursor_paginated():
    for i in range(105):
        ProductFactory(sku=f"P-{i:03d}")
    first = call(ProductListView, "/api/v1/products")
    assert first.status_code == 200
    assert set(first.data) == {"results", "next"}
    assert len(first.data["results"]) == 100
    assert first.data["results"][0] == {"sku": "P-000", "name": first.data["results"][0]["name"], "price": "199.00",
                                        "barcode": first.data["results"][0]["barcode"], "active": True}
    cursor = parse_qs(urlsplit(first.data["next"]).query)["cursor"][0]
    second = call(ProductListView, "/api/v1/products", cursor=cursor)
    assert [p["sku"] for p in second.data["results"]] == [f"P-{i:03d}" for i in range(100, 105)]
    assert second.data["next"] is None


def test_schema_documents_both_endpoints():
    response = APIClient().get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/v1/stock" in paths and "/api/v1/products" in paths
