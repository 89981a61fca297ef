from decimal import Decimal

import factory

from catalog.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"测试商品{n}")
    price = Decimal("199.00")
    tax_rate = Decimal("0.130")
    weight_kg = Decimal("0.500")
    barcode = factory.Sequence(lambda n: f"690000000{n:04d}")
