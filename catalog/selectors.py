from collections.abc import Iterable

from django.db.models import QuerySet

from catalog.models import Product


def product_list(*, active: bool | None = None) -> QuerySet[Product]:
    qs = Product.objects.all()
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("sku")


def products_by_sku(skus: Iterable[str]) -> dict[str, Product]:
    """Products keyed by normalised SKU (trimmed, upper case); unknown SKUs are simply absent."""
    wanted = {s.strip().upper() for s in skus if s}
    return {p.sku: p for p in Product.objects.filter(sku__in=wanted)}


def normalise_sku(sku: str) -> str:
    return (sku or "").strip().upper()
