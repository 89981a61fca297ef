"""Writing a batch of valid orders in one transaction, and PostgreSQL's statistics after bulk loading."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.bulk import Prepared, complete_rows, insert_prepared, prepare_rows
from finance.services.opening import opening_balances_book
from oms.imports.models import ImportedOrder
from oms.imports.services.checking import _ValidOrder
from oms.imports.values import STATUS_NAMES
from orders.events import EventKind
from orders.models import Customer, Order, OrderLine, OrderSource, OrderStatus
from orders.services.bulk import (
    NewOrder,
    PreparedOrders,
    orders_bulk_give_back,
    orders_bulk_prepare,
    orders_bulk_reserve,
    orders_bulk_write,
)

ANALYZE_EVERY = 4_000  # orders at least between two ANALYZEs during an import (PostgreSQL; see _analyze_due)
# Statuses an imported order may have in which it still moves through the lifecycle: the stages
# that own stock and money catch up with these (`_Writing._write`); historical ones are records.
OPEN_IMPORT_STATUSES = (OrderStatus.PENDING_REVIEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT)


@dataclass
class _PreparedBatch:
    """A batch's rows, built and adapted before its transaction (`_Importer._prepare`)."""

    valid: list[_ValidOrder]
    orders: PreparedOrders  # the orders stage's rows: customers, orders, history, lines, events
    records: Prepared  # the import's own `ImportedOrder` rows
    open_ids: list[int]


class _Writing:
    """The `_Importer`'s writing of valid orders (not in a dry run)."""

    def _write_batch(self, valid: list[_ValidOrder]) -> tuple[int, int, list[tuple[_ValidOrder, str]]]:
        """(orders written, duplicates, orders the database refused for another reason, with it)."""
        # The batch's order numbers and ids are taken in a transaction of their own, committed at
        # once: held by the batch's transaction, the day's counter would make every other writer of
        # orders wait for the whole batch (parallel import workers, channel orders arriving through
        # the API). With them, every row of the batch is built and adapted before its transaction
        # (`_prepare`), so on SQLite, whose writers take turns, one worker builds while the other
        # writes. Numbers the batch does not use (orders created meanwhile) are given back when
        # nobody has taken one since; only a batch that fails outright leaves its block unused.
        with self.serial_writes:
            ids, numbers = orders_bulk_reserve(len(valid))
        prepared = self._prepare(valid, ids, numbers)
        failed: list[tuple[_ValidOrder, str]] = []
        with self.serial_writes:
            try:
                with transaction.atomic():
                    self._write(prepared)
                written, duplicates = len(valid), 0
            except IntegrityError:
                # Someone created one of these orders since we looked: retry one by one, numbering
                # the ones written in turn, so that the unused numbers are the block's tail.
                written = duplicates = 0
                for order, order_id in zip(valid, ids, strict=True):
                    one = self._prepare([order], [order_id], numbers[written:written + 1])
                    try:
                        with transaction.atomic():
                            self._write(one)
                        written += 1
                    except IntegrityError as exc:
                        if Order.objects.filter(channel=order.channel, external_id=order.external_id).exists():
                            duplicates += 1
                        else:  # not a duplicate: say so, rather than count it as one
                            failed.append((order, _first_line(exc)))
            orders_bulk_give_back(numbers[written:])
        return written, duplicates, failed

    def _analyze(self) -> None:
        """Fresh planner statistics on PostgreSQL after bulk loading, as its docs ask. With autovacuum
        off or behind, the look-ups of later batches (duplicates by external id, customers by phone hash,
        the new lines and their reservations when stock is reserved) turn into scans of whole tables.
        Only the columns those look-ups filter on: a full ANALYZE of the order table cost more
        (bench/README.md)."""
        self.written_since_analyze = 0
        if connection.vendor != "postgresql":
            return
        from inventory.models import Reservation

        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model, fields in ((Order, ("channel", "external_id")), (Customer, ("phone_index",)),
                                  (OrderLine, ("order",)), (Reservation, ("order", "order_line"))):
                columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)} ({columns})")
        self.analyzed_orders = self._order_statistics_rows()

    def _analyze_due(self, *, final: bool) -> bool:
        """PostgreSQL's own rule for autovacuum's ANALYZE: 50 rows plus a tenth of the table written
        since the last one (counted in orders; their lines and reservations grow with them). During
        the import also at least `ANALYZE_EVERY` orders; at its end whatever the rule says, so that
        a small import into a large table leaves the statistics alone and one into an empty table
        leaves them fresh. The order table's size is the planner's own estimate (`reltuples`)."""
        if not self.written_since_analyze or connection.vendor != "postgresql":
            return False
        if self.analyzed_orders is None:
            self.analyzed_orders = self._order_statistics_rows()
        due = 50 + 0.1 * self.analyzed_orders
        return self.written_since_analyze >= (due if final else max(due, ANALYZE_EVERY))

    @staticmethod
    def _order_statistics_rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Order._meta.db_table])
            row = cursor.fetchone()
        return max(int(row[0]), 0) if row else 0  # -1: never analysed

    def all_batches_sent(self) -> None:
        """Called by the worker pool once the last batch is handed out: the statistics are refreshed
        while the workers finish (the batches in flight only count towards the next ANALYZE)."""
        if self._analyze_due(final=True):
            self._analyze()

    def _prepare(self, valid: list[_ValidOrder], ids: list[int], numbers: list[str]) -> _PreparedBatch:
        """Every row the batch writes, adapted for the database, but the orders' customers (found or
        created in the batch's transaction, `_write`)."""
        with translation.override("zh-hans"):
            template = _("Imported from the legacy system: order %(external_id)s, status “%(status)s”, "
                         "total ¥%(total)s (import %(batch)s, row %(row)s).")
        batch_label = f"#{self.batch.pk}" if self.batch else "-"
        batch_id = self.batch.pk if self.batch else None
        new_orders, records = [], []
        for item, order_id in zip(valid, ids, strict=True):
            total = item.total
            new_orders.append(NewOrder(
                channel_id=item.channel.pk, external_id=item.external_id, customer_name=item.name,
                customer_phone=item.phone, recipient=item.name, phone=item.phone,
                province=item.data.province.strip(), city=item.data.city.strip(),
                district=item.data.district.strip(), address_detail=item.data.address_detail.strip(),
                status=item.status, payment_method=item.payment_method, lines=item.lines, subtotal=item.subtotal,
                discount_total=item.discount_total, shipping_fee=item.shipping_fee, paid_amount=item.paid,
                ordered_at=item.data.ordered_at, note=item.data.note, invoice_request=item.data.invoice_request,
                event_message=template % {"external_id": item.external_id, "status": STATUS_NAMES[item.status],
                                          "total": f"{total:,.2f}", "batch": batch_label, "row": item.first_row},
                event_data={"source": OrderSource.IMPORT, "batch": batch_id, "row": item.first_row,
                            "channel": item.channel.code, "external_id": item.external_id, "status": item.status,
                            "total": f"{total:.2f}", "paid": f"{item.paid:.2f}",
                            "carrier": item.carrier, "tracking_number": item.tracking},
            ))
            records.append({"order_id": order_id, "batch_id": batch_id, "source_row": item.first_row,
                            "legacy_carrier": item.carrier, "legacy_tracking_number": item.tracking})
        return _PreparedBatch(
            valid=valid,
            orders=orders_bulk_prepare(orders=new_orders, ids=ids, numbers=numbers, source=OrderSource.IMPORT,
                                       event_kind=EventKind.IMPORTED, actor=self.actor, reason="import"),
            records=prepare_rows(ImportedOrder, complete_rows(ImportedOrder, records)),
            open_ids=[order_id for item, order_id in zip(valid, ids, strict=True)
                      if item.status in OPEN_IMPORT_STATUSES],
        )

    def _write(self, prepared: _PreparedBatch) -> None:
        """Write a prepared batch, inside its transaction; a duplicate raises IntegrityError.

        The orders through the orders stage (`orders_bulk_write`), the import's own records, then the
        stages that own stock and money catch up: open orders reserve stock (`_open_orders_imported`)
        and every order's money enters the books as an opening balance (`opening_balances_book`)."""
        orders_bulk_write(prepared=prepared.orders)
        insert_prepared(prepared.records)
        if prepared.open_ids:
            self._open_orders_imported(prepared.open_ids)
        # Last: the journal's voucher numbers are locked from here until the batch commits.
        opening_balances_book(order_ids=prepared.orders.ids, actor=self.actor)

    def _open_orders_imported(self, open_ids: list[int]) -> None:
        """Open orders awaiting payment or shipment reserve their stock; short ones wait for it
        (`imported_orders_reserve_stock`, the workflow's batch reservation)."""
        from oms.workflow.services import imported_orders_reserve_stock

        # What the reservation reads (the rest loads on access): thousands of full rows per batch,
        # read back only to be handed on, cost the import more than their reservations' planning.
        open_orders = list(Order.objects.filter(pk__in=open_ids).order_by("pk").only(
            "id", "number", "channel_id", "status", "province", "ordered_at", "updated_at", "hold_reasons",
            "total", "paid_amount", "payment_method"))
        imported_orders_reserve_stock(orders=open_orders, actor=self.actor)


def _first_line(exc: Exception) -> str:
    """What the database said, for a clerk's error row: its first line (constraint and table)."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else exc.__class__.__name__
