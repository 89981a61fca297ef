from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-Pass-123"))
    return client


def test_list_shows_money_and_percent(admin_client):
    ProductFactory(sku="SKU-9001", price=Decimal("1234.5"), tax_rate=Decimal("0.090"))
    html = admin_client.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert "¥1,234.50" in html and "9%" in html


def test_search_exact_sku_or_barcode_first(admin_client):
    wanted = ProductFactory(sku="SKU-1", barcode="6900000000001")
    ProductFactory(sku="SKU-10", barcode="6900000000010")
    for term in ("sku-1", "6900000000001"):
        result = admin_client.get(reverse("admin:catalog_product_changelist"), {"q": term}).context["cl"].result_list
        assert [p.pk for p in result] == [wanted.pk]


def test_sku_is_read_only_once_created(admin_client):
    product = ProductFactory(sku="SKU-7")
    admin_client.post(reverse("admin:catalog_product_change", args=[product.pk]),
                      {"sku": "SKU-8", "name": "x", "price": "1.00", "tax_rate": "0.13", "weight_kg": "0",
                       "barcode": "", "active": "on"})
    product.refresh_from_db()
    assert product.sku == "SKU-7" and product.name == "x"
