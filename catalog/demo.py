"""Demo catalogue data owned by the catalog: the category tree and which demo SKU sits where.

Called by `manage.py demo_data` (through `oms.workflow.demo.seed_catalog`); idempotent, so a re-run
neither duplicates a category nor moves a product someone re-filed by hand.
"""

from __future__ import annotations

from decimal import Decimal

from catalog.models import Category, Product

# (code, name, parent code)
CATEGORIES = [
    ("APPAREL", "服装", None), ("TOPS", "上装", "APPAREL"), ("BOTTOMS", "下装", "APPAREL"),
    ("ACCESSORIES", "鞋包配饰", "APPAREL"),
    ("HOME", "家居生活", None), ("KITCHEN", "厨房餐饮", "HOME"), ("BEDDING", "床上用品", "HOME"),
    ("DIGITAL", "数码电子", None), ("AUDIO", "影音耳机", "DIGITAL"), ("PERIPHERALS", "电脑外设", "DIGITAL"),
    ("FOOD", "食品饮料", None),
    ("BEAUTY", "美妆个护", None),
    ("STATIONERY", "文具图书", None),
]

PRODUCT_CATEGORY = {
    "SKU-001": "TOPS", "SKU-002": "TOPS", "SKU-003": "TOPS", "SKU-004": "TOPS", "SKU-005": "BOTTOMS",
    "SKU-006": "ACCESSORIES", "SKU-007": "ACCESSORIES", "SKU-008": "ACCESSORIES", "SKU-009": "KITCHEN",
    "SKU-010": "KITCHEN", "SKU-011": "AUDIO", "SKU-012": "DIGITAL", "SKU-013": "PERIPHERALS",
    "SKU-014": "PERIPHERALS", "SKU-015": "FOOD", "SKU-016": "FOOD", "SKU-017": "BEAUTY", "SKU-018": "BEAUTY",
    "SKU-019": "STATIONERY", "SKU-020": "STATIONERY", "SKU-021": "BEDDING", "SKU-022": "BEDDING",
}


def seed_categories() -> int:
    """Create the demo category tree and file the demo SKUs that have no category yet."""
    created = 0
    by_code: dict[str, Category] = {}
    for position, (code, name, parent) in enumerate(CATEGORIES):
        category, was_created = Category.objects.get_or_create(
            code=code, defaults={"name": name, "parent": by_code.get(parent), "position": position})
        by_code[code] = category
        created += was_created
    for sku, code in PRODUCT_CATEGORY.items():
        Product.objects.filter(sku=sku, category__isnull=True).update(category=by_code[code])
    # A standard cost for stock received without one (about 55 % of the price, as the demo receipts cost).
    for product in Product.objects.filter(standard_cost__isnull=True):
        Product.objects.filter(pk=product.pk).update(standard_cost=(product.price * Decimal("0.55")).quantize(
            Decimal("0.01")))
    return created
