"""Input checks and look-ups shared by the inventory services."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from catalog.selectors import normalise_sku, products_by_sku
from core.errors import ValidationFailed
from core.numbering import local_today, next_value
from inventory.lock_objects import lock_stocks_for_products
from inventory.models import Lot, Stock, Warehouse


class Errors:
    """Collects every problem of a request under dotted field paths, raised at once."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message) -> None:
        self.errors.setdefault(path, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(errors=self.errors)


def is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def find_warehouse(value, errors: Errors, path: str = "warehouse") -> Warehouse | None:
    """A warehouse given as an instance, a pk or a code; inactive ones are refused."""
    if isinstance(value, Warehouse):
        warehouse = value
    elif isinstance(value, int) and not isinstance(value, bool):
        warehouse = Warehouse.objects.filter(pk=value).first()
    elif isinstance(value, str) and value.strip():
        warehouse = Warehouse.objects.filter(code__iexact=value.strip()).first()
    else:
        warehouse = None
    if warehouse is None:
        errors.add(path, _("Unknown warehouse “%(code)s”.") % {"code": value if value is not None else ""})
        return None
    if not warehouse.active:
        errors.add(path, _("Warehouse %(code)s is inactive.") % {"code": warehouse.code})
        return None
    return warehouse


def find_product(sku, errors: Errors, path: str = "sku") -> Product | None:
    product = products_by_sku([sku]).get(normalise_sku(sku)) if isinstance(sku, str) else None
    if product is None:
        errors.add(path, _("Unknown SKU “%(sku)s”.") % {"sku": sku if sku is not None else ""})
    return product


def document_number(prefix: str) -> str:
    """`RC20261124000001`: receipts (RC), adjustments (AJ), transfers (TR), stocktakes (ST)."""
    key = f"{prefix}{local_today():%Y%m%d}"
    return f"{key}{next_value(key):06d}"


def ensure_stock_rows(warehouse_ids: list[int], product_ids: list[int]) -> None:
    """Create missing stock rows (SKU × warehouse) so they can be locked; races are harmless."""
    wanted = {(w, p) for w in warehouse_ids for p in product_ids}
    have = set(Stock.objects.filter(warehouse_id__in=warehouse_ids, product_id__in=product_ids)
               .values_list("warehouse_id", "product_id"))
    missing = wanted - have
    if missing:
        Stock.objects.bulk_create([Stock(warehouse_id=w, product_id=p) for w, p in sorted(missing)],
                                  ignore_conflicts=True)


def lock_stock_map(*, warehouse_ids: list[int], product_ids: list[int], create: bool = False) -> dict:
    """Locked stock rows keyed by (warehouse_id, product_id), locked in pk order."""
    if create:
        ensure_stock_rows(warehouse_ids, product_ids)
    rows = lock_stocks_for_products(product_ids, warehouse_ids=warehouse_ids)
    return {(s.warehouse_id, s.product_id): s for s in rows}


def sellable_lots(stock_ids, *, include_expired: bool = True) -> dict[int, list[Lot]]:
    """Sellable lots with free units, read after the stock rows were locked; keyed by stock id."""
    qs = Lot.objects.filter(stock_id__in=list(stock_ids), quarantined=False, quantity__gt=F("reserved"))
    if not include_expired:
        qs = qs.exclude(expiry_date__lt=timezone.localdate())
    by_stock: dict[int, list[Lot]] = {}
    for lot in qs:
        by_stock.setdefault(lot.stock_id, []).append(lot)
    return by_stock


def fefo(lots: list[Lot]) -> list[Lot]:
    """First expired first out, then first in first out: the order goods leave a warehouse."""
    from datetime import date

    return sorted(lots, key=lambda lot: (lot.expiry_date is None, lot.expiry_date or date.max, lot.received_at,
                                         lot.pk or 0))
