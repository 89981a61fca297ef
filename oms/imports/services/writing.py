"""Writing a batch of valid orders in one transaction, and PostgreSQL's statistics after bulk loading."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.actors import actor_name
from core.bulk import (
    Prepared,
    complete_rows,
    insert_history,
    insert_prepared,
    insert_rows,
    prepare_history,
    prepare_rows,
    reserve_ids,
)
from core.money import ZERO
from core.numbering import give_back_order_numbers, next_order_numbers
from oms.imports import hooks
from oms.imports.models import ImportedOrder
from oms.imports.services.checking import _ValidOrder
from oms.imports.values import STATUS_NAMES
from orders.events import EventKind, event_row
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderSource
from orders.services import payment_status_for

ANALYZE_EVERY = 4_000  # orders at least between two ANALYZEs during an import (PostgreSQL; see _analyze_due)


@dataclass
class _PreparedBatch:
    """A batch's rows, built and adapted before its transaction (`_Importer._prepare`)."""

    valid: list[_ValidOrder]
    customer_keys: list[tuple[str, str]]  # (phone, name) of each order, in the order of `orders`
    orders: Prepared
    history: Prepared
    lines: Prepared
    events: Prepared
    records: Prepared
    open_ids: list[int]


class _Funds:
    """The funds fields `payment_status_for` reads, for an order that is still a row."""

    def __init__(self, row: dict):
        self.paid_amount, self.refunded_amount = row["paid_amount"], row["refunded_amount"]
        self.payment_method, self.total = row["payment_method"], row["total"]


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
            numbers = next_order_numbers(len(valid))
            ids = reserve_ids(Order, len(valid))
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
            give_back_order_numbers(numbers[written:])
        return written, duplicates, failed

    def _analyze(self) -> None:
        """Fresh planner statistics on PostgreSQL after bulk loading, as its docs ask. With autovacuum
        off or behind, the look-ups of later batches (duplicates by external id, customers by phone,
        the new lines and their reservations when stock is reserved) turn into scans of whole tables.
        Only the columns those look-ups filter on: a full ANALYZE of the order table cost 0.4 s."""
        self.written_since_analyze = 0
        if connection.vendor != "postgresql":
            return
        from inventory.models import Reservation

        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model, fields in ((Order, ("channel", "external_id")), (Customer, ("phone",)),
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
        rows = []
        for item, order_id, number in zip(valid, ids, numbers, strict=True):
            row = {
                "id": order_id, "number": number, "channel_id": item.channel.pk, "external_id": item.external_id,
                "customer_id": None, "source": OrderSource.IMPORT,
                "recipient": item.name, "phone": item.phone, "province": item.data.province.strip(),
                "city": item.data.city.strip(), "district": item.data.district.strip(),
                "address_detail": item.data.address_detail.strip(), "status": item.status,
                "payment_method": item.payment_method, "subtotal": item.subtotal,
                "discount_total": item.discount_total, "shipping_fee": item.shipping_fee, "total": item.total,
                "paid_amount": item.paid, "refunded_amount": ZERO, "note": item.data.note,
                "ordered_at": item.data.ordered_at,
            }
            row["payment_status"] = payment_status_for(order=_Funds(row))
            rows.append(row)
        rows = complete_rows(Order, rows)
        now = timezone.now()
        lines, events, records = [], [], []
        with translation.override("zh-hans"):
            template = _("Imported from the legacy system: order %(external_id)s, status “%(status)s”, "
                         "total ¥%(total)s (import %(batch)s, row %(row)s).")
        batch_label = f"#{self.batch.pk}" if self.batch else "-"
        batch_id = self.batch.pk if self.batch else None
        actor_label = actor_name(self.actor)
        for item, row in zip(valid, rows, strict=True):
            order_id = row["id"]
            for line in item.lines:
                lines.append({**line, "order_id": order_id})
            message = template % {"external_id": item.external_id, "status": STATUS_NAMES[item.status],
                                  "total": f"{row['total']:,.2f}", "batch": batch_label, "row": item.first_row}
            events.append(event_row(
                order_id=order_id, kind=EventKind.IMPORTED, message=message, actor_id=self.user_id,
                actor_label=actor_label, at=now,
                data={"source": OrderSource.IMPORT, "batch": batch_id, "row": item.first_row,
                      "channel": item.channel.code, "external_id": item.external_id, "status": item.status,
                      "total": f"{row['total']:.2f}", "paid": f"{row['paid_amount']:.2f}",
                      "carrier": item.carrier, "tracking_number": item.tracking},
            ))
            records.append({"order_id": order_id, "batch_id": batch_id, "source_row": item.first_row,
                            "legacy_carrier": item.carrier, "legacy_tracking_number": item.tracking})
        return _PreparedBatch(
            valid=valid, customer_keys=[(item.phone, item.name) for item in valid],
            orders=prepare_rows(Order, rows, with_pk=True),
            history=prepare_history(Order, rows, when=now, user_id=self.user_id, reason="import"),
            lines=prepare_rows(OrderLine, complete_rows(OrderLine, lines)),
            events=prepare_rows(OrderEvent, complete_rows(OrderEvent, events)),
            records=prepare_rows(ImportedOrder, complete_rows(ImportedOrder, records)),
            open_ids=[row["id"] for row in rows if row["status"] in hooks.OPEN_IMPORT_STATUSES],
        )

    def _write(self, prepared: _PreparedBatch) -> None:
        """Write a prepared batch, inside its transaction; a duplicate raises IntegrityError."""
        customers = self._customers_for(prepared.valid)
        customer_ids = [customers[key] for key in prepared.customer_keys]
        prepared.orders.set_column("customer_id", customer_ids)
        prepared.history.set_column("customer_id", customer_ids)
        for part in (prepared.orders, prepared.history, prepared.lines, prepared.events, prepared.records):
            insert_prepared(part)
        if prepared.open_ids and hooks.open_orders_imported.handlers:
            # What the stages' handlers read (the rest loads on access): thousands of full rows per
            # batch, read back only to be handed on, cost the import more than their reservations' planning.
            open_orders = list(Order.objects.filter(pk__in=prepared.open_ids).order_by("pk").only(
                "id", "number", "channel_id", "status", "province", "ordered_at", "updated_at", "hold_reasons",
                "total", "paid_amount", "payment_method"))
            hooks.open_orders_imported.fire(hooks.OpenOrdersImported(orders=open_orders, actor=self.actor,
                                                                     batch=self.batch))

    def _customers_for(self, todo: list[_ValidOrder]) -> dict[tuple[str, str], int]:
        """Customers by (phone, name), the rule of `order_create`: the oldest match, or a new one."""
        phones = {item.phone for item in todo}
        found = self._oldest_customers(phones)
        new = {}
        for item in todo:
            key = (item.phone, item.name)
            if key not in found and key not in new:
                new[key] = {"name": item.name, "phone": item.phone}
        if new:
            # Written like the orders (a first migration creates a customer for nearly every order),
            # then read back by phone: the oldest match of a new key is the row just written.
            rows = complete_rows(Customer, new.values())
            insert_rows(Customer, rows)
            found.update(self._oldest_customers({phone for phone, _name in new}))
            for row in rows:
                row["id"] = found[(row["phone"], row["name"])]
            insert_history(Customer, rows, when=timezone.now(), user_id=self.user_id, reason="import")
        return found

    @staticmethod
    def _oldest_customers(phones: set[str]) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for pk, phone, name in (Customer.objects.filter(phone__in=phones).order_by("pk")
                                .values_list("pk", "phone", "name")):
            found.setdefault((phone, name), pk)
        return found


def _first_line(exc: Exception) -> str:
    """What the database said, for a clerk's error row: its first line (constraint and table)."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else exc.__class__.__name__
