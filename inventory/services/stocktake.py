"""Stocktakes: a counted sheet (Excel/CSV) sets sellable stock to what was counted, dry run first."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from core import hooks
from core.actors import actor_name, actor_user
from core.errors import ValidationFailed
from inventory.models import MovementKind, Stock, Stocktake, StocktakeLine
from inventory.resources import StocktakeLineResource, normalise_headers
from inventory.services.adjustments import take_from_lots
from inventory.services.common import Errors, document_number, find_warehouse, lock_stock_map, sellable_lots
from inventory.services.ledger import LedgerBatch, require_perm

REQUIRED_COLUMNS = ("sku", "counted")


@dataclass
class StocktakeRow:
    number: int  # spreadsheet row, counting the header as row 1
    sku: str
    counted: int | None = None
    system: int | None = None
    reserved: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def difference(self) -> int | None:
        if self.counted is None or self.system is None:
            return None
        return self.counted - self.system


@dataclass
class StocktakeResult:
    warehouse: object
    dry_run: bool
    rows: list[StocktakeRow] = field(default_factory=list)
    stocktake: Stocktake | None = None

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    @property
    def changed_rows(self) -> list[StocktakeRow]:
        return [row for row in self.rows if row.difference]


def stocktake_import(*, warehouse, dataset, actor, dry_run: bool, note: str = "") -> StocktakeResult:
    """Import a counted sheet (`sku`, `counted`) for one warehouse through django-import-export.

    With `dry_run=True` nothing is stored: the result lists, per row, the count, the stock the
    system holds and the difference, or the row's errors (unknown SKU, not a whole number, a SKU
    twice, a count below what is reserved for orders). Without it, the same checks run under the
    stock locks and, only if every row is good, the stocktake is stored and sellable stock is set
    to the counts (ledger `stocktake` rows; surplus as a new lot, shortfall taken first-expired /
    first-in). SKUs not in the sheet are left alone, so a partial (cycle) count is fine.
    """
    require_perm(actor, "inventory.count_stock")
    errors = Errors()
    wh = find_warehouse(warehouse, errors)
    headers = [str(h or "").strip() for h in normalise_headers(dataset).headers or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in headers]
    if missing:
        errors.add("file", _("The sheet needs the columns: %(columns)s.") % {"columns": ", ".join(missing)})
    elif not len(dataset):
        errors.add("file", _("The sheet has no rows."))
    errors.raise_if_any()

    result = StocktakeResult(warehouse=wh, dry_run=dry_run)
    with transaction.atomic():
        stocktake = Stocktake.objects.create(number=document_number("ST"), warehouse=wh, note=note[:255],
                                             applied_by=actor_user(actor), actor_name=actor_name(actor))
        resource = StocktakeLineResource(stocktake=stocktake)
        imported = resource.import_data(dataset, dry_run=dry_run, use_transactions=False, raise_errors=False)
        sku_index = headers.index("sku")
        lines: list[StocktakeLine] = []
        for index, row_result in enumerate(imported.rows):
            raw = dataset[index]
            row = StocktakeRow(number=index + 2, sku=str(raw[sku_index] or "").strip())
            if row_result.validation_error is not None:
                for messages in row_result.validation_error.message_dict.values():
                    row.errors.extend(str(m) for m in messages)
            for error in row_result.errors:
                row.errors.append(str(error.error))
            if not row.errors and row_result.instance is not None:
                row.counted = row_result.instance.counted
                lines.append(row_result.instance)
                row_result.instance._preview_row = row
            result.rows.append(row)
        for error in imported.base_errors:
            result.rows.append(StocktakeRow(number=0, sku="", errors=[str(error.error)]))
        product_ids = sorted({line.product_id for line in lines})
        if dry_run:  # a preview reads without locking
            stocks = {(s.warehouse_id, s.product_id): s
                      for s in Stock.objects.filter(warehouse=wh, product_id__in=product_ids)}
        else:
            stocks = lock_stock_map(warehouse_ids=[wh.pk], product_ids=product_ids, create=True)
        for line in lines:
            row = line._preview_row
            stock = stocks.get((wh.pk, line.product_id))
            row.system = stock.on_hand if stock else 0
            row.reserved = stock.reserved if stock else 0
            if row.counted < row.reserved:
                row.errors.append(_("Counted %(counted)s but %(reserved)s are reserved for orders; ship or "
                                    "release them first.") % {"counted": row.counted, "reserved": row.reserved})
        if dry_run or result.has_errors:
            transaction.set_rollback(True)
            if not dry_run:
                raise ValidationFailed(_("The stocktake has errors; nothing was changed."),
                                       errors={f"rows.{row.number}": row.errors for row in result.rows if row.errors})
            return result
        _apply(stocktake=stocktake, lines=lines, stocks=stocks, actor=actor)
        result.stocktake = stocktake
    return result


def _apply(*, stocktake: Stocktake, lines: list[StocktakeLine], stocks: dict, actor) -> None:
    wh_id = stocktake.warehouse_id
    batch = LedgerBatch(actor=actor, reference=stocktake.number, reason=_("Stocktake"))
    lots = sellable_lots([s.pk for s in stocks.values()])
    raised = []
    for line in lines:
        stock = stocks[(wh_id, line.product_id)]
        line.system_quantity = stock.on_hand
        difference = line.counted - stock.on_hand
        if difference > 0:
            lot = batch.new_lot(stock=stock, batch_number=stocktake.number)
            batch.move(kind=MovementKind.STOCKTAKE, stock=stock, lot=lot, on_hand=difference)
            raised.append(line.product_id)
        elif difference < 0:
            take_from_lots(batch, kind=MovementKind.STOCKTAKE, stock=stock, lots=lots.get(stock.pk, []),
                           quantity=-difference)
    StocktakeLine.objects.bulk_update(lines, ["system_quantity"])
    batch.flush()
    if raised:
        hooks.stock_replenished.fire(hooks.StockReplenished(product_ids=tuple(raised), warehouse_id=wh_id,
                                                            kind=MovementKind.STOCKTAKE))
