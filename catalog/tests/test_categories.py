"""The category tree: paths, no cycles, the product list filtered by category, the demo seed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.demo import seed_categories
from catalog.models import Category, Product
from catalog.selectors import category_subtree_ids
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_path_subtree_and_no_cycles():
    apparel = Category.objects.create(code="APPAREL", name="服装")
    tops = Category.objects.create(code="TOPS", name="上装", parent=apparel)
    shirts = Category.objects.create(code="SHIRTS", name="衬衫", parent=tops)
    Category.objects.create(code="HOME", name="家居")
    assert shirts.path == "服装 › 上装 › 衬衫"
    assert sorted(category_subtree_ids(apparel.pk)) == sorted([apparel.pk, tops.pk, shirts.pk])
    assert category_subtree_ids(shirts.pk) == [shirts.pk]
    apparel.parent = shirts
    with pytest.raises(ValidationError):
        apparel.full_clean()


def test_manager_filters_the_product_list_by_category(client, make_user):
    from core.enums import Role

    tops = Category.objects.create(code="TOPS", name="上装")
    tee = ProductFactory(sku="TEE", category=tops)
    ProductFactory(sku="MUG")
    client.force_login(make_user("manager", Role.MANAGER, is_staff=True))
    response = client.get(reverse("admin:catalog_product_changelist"), {"category__id__exact": tops.pk})
    assert [p.pk for p in response.context["cl"].result_list] == [tee.pk]
    assert client.get(reverse("admin:catalog_category_changelist")).status_code == 200


def test_demo_seed_files_the_demo_skus_once():
    ProductFactory(sku="SKU-001")
    ProductFactory(sku="SKU-009")
    assert seed_categories() == 13
    assert seed_categories() == 0
    filed = dict(Product.objects.values_list("sku", "category__code"))
    assert filed == {"SKU-001": "TOPS", "SKU-009": "KITCHEN"}
    assert Category.objects.get(code="TOPS").parent.code == "APPAREL"
    assert all(p.standard_cost is not None for p in Product.objects.all())
