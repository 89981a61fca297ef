"""GET /api/v1/products."""

import pytest

from catalog.tests.factories import ProductFactory
from oms.api.tests.factories import walk

pytestmark = pytest.mark.django_db


def test_products_in_contract_shape(api):
    ProductFactory(sku="SKU-001", name="纯棉T恤", price="199.00", barcode="6900000000001")
    ProductFactory(sku="SKU-002", name="停售商品", price="5.50", barcode="", active=False)
    body = api.get("/api/v1/products").json()
    assert body == {
        "results": [
            {"sku": "SKU-001", "name": "纯棉T恤", "price": "199.00", "barcode": "6900000000001", "active": True},
            {"sku": "SKU-002", "name": "停售商品", "price": "5.50", "barcode": "", "active": False},
        ],
        "next": None,
    }


def test_products_cursor_walks_every_product_once(api, django_assert_num_queries):
    for n in range(7):
        ProductFactory(sku=f"SKU-{n:03d}")
    api.get("/api/v1/products")
    with django_assert_num_queries(2):  # token, products
        api.get("/api/v1/products?limit=3")
    results, pages = walk(api, "/api/v1/products?limit=3")
    assert pages == 3
    assert [p["sku"] for p in results] == [f"SKU-{n:03d}" for n in range(7)]


def test_products_need_stock_read(client_for):
    response = client_for(scopes=["orders:read"]).get("/api/v1/products")
    assert response.status_code == 403 and response.json()["type"] == "missing_scope"
    assert client_for(scopes=["stock:read"]).get("/api/v1/products").status_code == 200


def test_bad_product_cursor_is_400(api):
    response = api.get("/api/v1/products?cursor=%%%")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"cursor"}
