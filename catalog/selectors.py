from collections.abc import Iterable

from django.db.models import QuerySet

from catalog.models import Category, Product


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


def category_subtree_ids(category_id) -> list[int]:
    """The category and every category below it (the tree is small: one query, walked in memory)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    try:
        root = int(category_id)
    except (TypeError, ValueError):
        return []
    found, todo, seen = [], [root], set()
    while todo:
        pk = todo.pop()
        if pk in seen:
            continue
        seen.add(pk)
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found
