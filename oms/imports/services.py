"""Legacy order import: the bulk writer, and the lifecycle of an import batch.

`legacy_orders_import` is the engine behind the command and the import centre. It reads the file
once, row by row, into a temporary spool (so even a 100,000-line workbook is never held in
memory), remembering for each order key (渠道, 订单号) the position of its last row. A second pass
over the spool assembles each order as soon as its last row has been read — rows of one order need
not be adjacent — and hands complete orders on in batches:

1. duplicates: orders whose (channel, external id) exists, from any source, are counted and left alone;
2. checks: every value's form (`oms.imports.values`), then the order rules every channel obeys
   (`orders.services.order_input_problems`, shared with `order_create`), then the template's own rules
   (paid ≤ total, tracking number for 已发货/已完成, order-level values that differ between rows);
3. writing (not in a dry run): the batch's system order numbers taken as one block in a short
   transaction of their own, then one transaction per batch — customers found or created, orders
   (with audit history), lines, one "imported" timeline event per order and an `ImportedOrder`
   record, written in bulk (`core.bulk`), and the stock of open orders reserved. An order with any
   error is rejected whole and never reaches the writer, so every order is all-or-nothing. If the
   batch collides with an order created meanwhile (the API, a second import), it is retried order
   by order, and the colliding ones count as duplicates.

Large imports run steps 1–3 in forked worker processes, a batch at a time (`oms.imports.parallel`).
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from catalog.selectors import normalise_sku, products_by_sku
from core.actors import SYSTEM, actor_name, actor_user
from core.bulk import (
    Prepared,
    complete_rows,
    fewer_gc_pauses,
    insert_history,
    insert_prepared,
    insert_rows,
    prepare_history,
    prepare_rows,
    reserve_ids,
)
from core.errors import InvalidTransition, ValidationFailed
from core.money import ZERO, to_money
from core.numbering import give_back_order_numbers, next_order_numbers
from core.phones import normalise_phone
from oms.imports import hooks
from oms.imports.columns import BY_KEY, INDEX, KEYS, ORDER_KEYS, HeaderMatch, match_header
from oms.imports.models import ImportBatch, ImportedOrder, ImportIssue
from oms.imports.readers import Sheet, check_size, open_sheet, unreadable
from oms.imports.values import (
    STATUS_NAMES,
    BadValue,
    ChannelLookup,
    cell_text,
    parse_amount,
    parse_carrier,
    parse_datetime,
    parse_quantity,
    parse_status,
    payment_method_code,
)
from orders.events import EventKind, event_row
from orders.models import Channel, Customer, Order, OrderEvent, OrderLine, OrderSource, OrderStatus
from orders.services import LineInput, OrderInput, order_input_problems, payment_status_for, priced_line_values

logger = logging.getLogger(__name__)

DEFAULT_BATCH_ORDERS = 2000
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_INLINE_MAX_BYTES = 256 * 1024
SPOOL_CHUNK = 2000
ANALYZE_EVERY = 4_000  # orders at least between two ANALYZEs during an import (PostgreSQL; see _analyze_due)
HISTORICAL_STATUSES = (OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)
NEEDS_TRACKING = (OrderStatus.SHIPPED, OrderStatus.COMPLETED)

# Field paths of the shared order rules → template columns.
_RULE_COLUMNS = {
    "channel": "channel",
    "external_id": "order_number",
    "customer.name": "customer_name",
    "customer.phone": "phone",
    "shipping_address.recipient": "customer_name",
    "shipping_address.phone": "phone",
    "shipping_address.province": "province",
    "shipping_address.city": "city",
    "shipping_address.detail": "address",
    "payment.method": "payment_method",
    "shipping_fee": "shipping_fee",
    "lines": "sku",
}

Progress = Callable[[str, int, int], None]


@dataclass
class Problem:
    row: int | None
    column: str
    value: str
    message: str
    order_number: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class ImportReport:
    """The outcome of one run; `as_contract()` is the command's JSON object."""

    rows: int = 0
    orders: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected_orders: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    file_kind: str = ""
    encoding: str = ""
    delimiter: str = ""

    @property
    def error_rows(self) -> int:
        return len({p.row for p in self.errors if p.row is not None})

    def as_contract(self) -> dict:
        return {
            "rows": self.rows, "orders": self.orders, "imported": self.imported, "duplicates": self.duplicates,
            "rejected_orders": self.rejected_orders, "error_rows": self.error_rows,
            "errors": [p.as_dict() for p in self.errors],
        }


@dataclass
class BatchOutcome:
    """What checking (and writing) one batch of complete orders found; merged into the report."""

    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected_orders: int = 0
    written: int = 0  # orders this batch inserted (not counted in a dry run)
    errors: list[Problem] = field(default_factory=list)


@dataclass
class _ValidOrder:
    first_row: int
    rows: int
    channel: Channel
    external_id: str
    name: str
    phone: str
    data: OrderInput
    status: str
    payment_method: str
    paid: Decimal
    carrier: str
    tracking: str
    lines: list[dict]
    subtotal: Decimal
    discount_total: Decimal
    shipping_fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount_total + self.shipping_fee


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


def _setting(name: str, default):
    return getattr(settings, name, default)


def _blank(values) -> bool:
    for value in values:
        if value is not None and (value.__class__ is not str or value.strip()):
            return False
    return True


def read_header(sheet: Sheet, name: str, rows=None):
    """(row number, HeaderMatch, remaining rows iterator); a file without the required columns is refused.

    `rows`: where to look (the sheet's rows unless given, say the first part of a split sheet)."""
    rows = sheet.rows() if rows is None else rows
    for number, cells in rows:  # noqa: B007  (the header's row number is returned)
        if not _blank(cells):
            break
    else:
        raise unreadable(_("“%(name)s” contains no rows.") % {"name": name})
    match = match_header(cells)
    if match.missing:
        names = ", ".join(f"{c.zh} ({c.key})" if c.zh != c.key.upper() else c.zh for c in match.missing)
        raise unreadable(_("Required columns are missing: %(columns)s. The first row must hold the column headers "
                           "in Chinese or English, as in the template.") % {"columns": names})
    if match.duplicated:
        raise unreadable(_("These columns appear more than once: %(columns)s. Keep one of each.")
                         % {"columns": ", ".join(match.duplicated)})
    return number, match, rows


def legacy_file_inspect(*, path, file_name: str) -> str:
    """Open the file and check its header without reading the rows; returns the file type."""
    with open_sheet(path, file_name) as sheet:
        read_header(sheet, file_name)
        return sheet.kind


class _Importer:
    def __init__(self, *, dry_run: bool, actor, batch: ImportBatch | None, progress: Progress | None,
                 batch_orders: int | None):
        self.dry_run = dry_run
        self.actor = actor if actor is not None else SYSTEM
        self.user = actor_user(actor)
        self.user_id = self.user.pk if self.user else None
        self.batch = batch
        self.progress = progress
        self.batch_orders = batch_orders or int(_setting("OMS_IMPORT_BATCH_ORDERS", DEFAULT_BATCH_ORDERS))
        self.report = ImportReport(dry_run=dry_run)
        self.channels = list(Channel.objects.all())
        self.channel_lookup = ChannelLookup(self.channels)
        self.products: dict = {}  # normalised SKU → Product, for every SKU looked up that exists
        self.missing_skus: set[str] = set()
        self.rows_done = 0
        self.last_progress = 0.0
        self.written_since_analyze = 0
        self.analyzed_orders: int | None = None  # the order table's rows at the last ANALYZE (PostgreSQL)
        # Held around each write to the database; parallel workers on SQLite share one lock here
        # (see `parallel.WorkerPool`), so they hand the database over without polling for it.
        self.serial_writes = nullcontext()

    # -- reading ----------------------------------------------------------------------------------
    def run(self, path, file_name: str) -> ImportReport:
        from oms.imports import parallel

        with open_sheet(path, file_name) as sheet:
            self.report.file_kind, self.report.encoding, self.report.delimiter = (
                sheet.kind, sheet.encoding, sheet.delimiter)
            # A large worksheet is read in two halves at once: the second by a forked process.
            split = parallel.reading_split(sheet)
            header_row, match, rows = read_header(sheet, file_name,
                                                  rows=None if split is None else sheet.rows(stop=split))
            self.written = match.written
            self.order_slots = [(key, INDEX[key]) for key in ORDER_KEYS if key in match.positions]
            if match.unknown:
                self.report.warnings.append(Problem(
                    header_row, ", ".join(match.unknown), "",
                    _("Unknown columns are ignored: %(columns)s.") % {"columns": ", ".join(match.unknown)}))
            with ExitStack() as stack:
                spools = [stack.enter_context(tempfile.TemporaryFile(prefix="oms-import-"))]
                tail = None
                if split is not None:
                    spools.append(stack.enter_context(tempfile.TemporaryFile(prefix="oms-import-")))
                    tail = stack.enter_context(parallel.TailReader(
                        self, sheet.rows(start=split), match, spools[1]))
                count, last_seen = self._spool(rows, match, spools[0])
                if tail is not None:
                    tail_count, tail_seen = tail.result()
                    for key, seq in tail_seen.items():  # rows of the second half come after the first's
                        last_seen[key] = count + seq
                    count += tail_count
                    self._check_row_count(count)
                self.report.rows = count
                self.report.orders = len(last_seen)
                self._assemble(spools, last_seen)
        return self.report

    def _spool(self, rows, match: HeaderMatch, spool, *, progress: bool = True) -> tuple[int, dict]:
        """Rows to the spool file with their order keys, in pickled chunks; (rows spooled, the last row
        index of every order key). `progress=False` in a forked reader, which must not touch the database."""
        positions = [match.positions.get(key) for key in KEYS]
        # Fast path: a row wide enough for every known column is picked apart in C.
        present = [p for p in positions if p is not None]
        width_needed = max(present) + 1
        absent = [i for i, p in enumerate(positions) if p is None]
        pick = itemgetter(*present) if len(present) > 1 else None
        i_channel, i_number = INDEX["channel"], INDEX["order_number"]
        lookup = self.channel_lookup.get
        channel_keys: dict = {}
        last_seen: dict = {}
        chunk: list = []
        seq = 0
        for number, cells in rows:
            width = len(cells)
            if pick is not None and width >= width_needed and not absent:
                values = pick(cells)
            else:
                values = tuple(cells[p] if p is not None and p < width else None for p in positions)
            if _blank(values):
                continue
            raw_channel, external_id = values[i_channel], cell_text(values[i_number])
            channel_text = cell_text(raw_channel)
            if not external_id or not channel_text:
                key = ("", "", number)  # cannot be grouped: an order of its own, rejected
            else:
                channel_key = channel_keys.get(channel_text)
                if channel_key is None:
                    channel = lookup(channel_text)
                    channel_key = channel.code if channel else f"?{channel_text.casefold()}"
                    channel_keys[channel_text] = channel_key
                key = (channel_key, external_id)
            last_seen[key] = seq
            chunk.append((number, key, values))
            seq += 1
            if len(chunk) >= SPOOL_CHUNK:
                pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
                chunk = []
                self._check_row_count(seq)
                if progress:
                    self._report_progress(ImportBatch.Phase.READING, 0, seq)
        if chunk:
            pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
        self._check_row_count(seq)
        spool.flush()
        return seq, last_seen

    @staticmethod
    def _check_row_count(rows: int) -> None:
        max_rows = int(_setting("OMS_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))
        if rows > max_rows:
            raise unreadable(_("The file has more than %(limit)s rows; split it into several files.")
                             % {"limit": f"{max_rows:,}"})

    def _assemble(self, spools: list, last_seen: dict) -> None:
        """Rows back from the spools in file order; an order goes to the sink at its last row."""
        open_orders: dict = {}
        seq = 0
        self._report_progress(ImportBatch.Phase.CHECKING, 0, self.report.rows, force=True)
        with self._batch_sink() as sink:
            add = sink.add
            for chunk in _spooled_chunks(spools):
                for number, key, values in chunk:
                    rows = open_orders.get(key)
                    if rows is None:
                        rows = open_orders[key] = []
                    rows.append((number, values))
                    if last_seen[key] == seq:
                        add(key, open_orders.pop(key))
                    seq += 1
        if self._analyze_due(final=True):
            self._analyze()
        # Outcomes of parallel workers arrive in any order; the report lists problems by row.
        self.report.errors.sort(key=lambda p: p.row or 0)
        self._report_progress(ImportBatch.Phase.CHECKING, self.rows_done, self.report.rows, force=True)

    def _batch_sink(self):
        """Where complete orders go: batches checked and written here, or by forked workers (`parallel`)."""
        from oms.imports import parallel

        workers = parallel.workers_for(self)
        if workers > 1:
            return parallel.WorkerPool(self, workers)
        return _InlineSink(self)

    def merge(self, outcome: BatchOutcome) -> None:
        """Count one batch's outcome into the report (in this process, whoever checked the batch)."""
        report = self.report
        report.imported += outcome.imported
        report.duplicates += outcome.duplicates
        report.rejected_orders += outcome.rejected_orders
        report.errors.extend(outcome.errors)
        self.rows_done += outcome.rows
        self.written_since_analyze += outcome.written
        if self._analyze_due(final=False):
            self._analyze()
        self._report_progress(ImportBatch.Phase.CHECKING, self.rows_done, self.report.rows)

    def _report_progress(self, phase: str, done: int, total: int, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self.last_progress >= 0.5:
            self.last_progress = now
            with self.serial_writes:
                self.progress(phase, done, total)

    # -- checking ---------------------------------------------------------------------------------
    def process(self, complete: list) -> BatchOutcome:
        """Check one batch of complete orders and (unless a dry run) write the valid ones."""
        outcome = BatchOutcome(rows=sum(len(rows) for _key, rows in complete))
        channel_by_code = {c.code: c for c in self.channels}
        existing = self._existing_keys(
            [(channel_by_code[key[0]], key[1]) for key, _rows in complete if key[0] in channel_by_code])
        self._load_products(complete)
        valid: list[_ValidOrder] = []
        for key, rows in complete:
            channel = channel_by_code.get(key[0])
            if channel is not None and (channel.pk, key[1]) in existing:
                outcome.duplicates += 1
                continue
            checked = self._check(key, rows, channel, outcome.errors)
            if checked is None:
                outcome.rejected_orders += 1
            else:
                valid.append(checked)
        if valid:
            if self.dry_run:
                outcome.imported += len(valid)
            else:
                written, duplicates, failed = self._write_batch(valid)
                outcome.imported += written
                outcome.written += written
                outcome.duplicates += duplicates
                for order, reason in failed:
                    outcome.rejected_orders += 1
                    outcome.errors.append(Problem(
                        order.first_row, self._column("order_number"), order.external_id,
                        _("The database refused this order (%(reason)s); nothing of it was imported.")
                        % {"reason": reason}, order.external_id))
        return outcome

    def _existing_keys(self, keys: list[tuple[Channel, str]]) -> set[tuple[int, str]]:
        wanted = {(channel.pk, external_id) for channel, external_id in keys}
        if not wanted:
            return set()
        # By external id alone: the planner then uses its index whatever the channel's size
        # (with `channel_id = …` SQLite prefers the channel index and scans the channel's orders).
        candidates = Order.objects.filter(external_id__in={external_id for _pk, external_id in wanted})
        return wanted.intersection(candidates.values_list("channel_id", "external_id"))

    def _load_products(self, complete: list) -> None:
        i_sku = INDEX["sku"]
        wanted = set()
        for _key, rows in complete:
            for _number, values in rows:
                sku = normalise_sku(cell_text(values[i_sku]))
                if sku and sku not in self.products and sku not in self.missing_skus:
                    wanted.add(sku)
        if wanted:
            found = products_by_sku(wanted)
            self.products.update(found)
            self.missing_skus.update(wanted - set(found))

    def _column(self, key: str) -> str:
        return self.written.get(key) or BY_KEY[key].zh

    def _check(self, key, rows: list, channel: Channel | None, errors: list[Problem]) -> _ValidOrder | None:
        problems: list[Problem] = []
        flagged: set = set()
        first_row = rows[0][0]
        external_id = key[1]

        def flag(row, column_key, raw, message) -> None:
            if (row, column_key) in flagged:
                return
            flagged.add((row, column_key))
            problems.append(Problem(row, self._column(column_key), cell_text(raw), str(message), external_id))

        # Order-level values: the first non-empty one counts; a different one on another row is an error.
        given: dict[str, tuple] = {}
        slots = self.order_slots
        first_values = None
        for number, values in rows:
            if first_values is None:
                first_values = [values[index] for _key, index in slots]
            else:
                # Fast path: a later row that repeats the first row's values or leaves them empty.
                later = [values[index] for _key, index in slots]
                if later == first_values or not any(v is not None and v != "" for v in later):
                    continue
            for column_key, index in slots:
                raw = values[index]
                if raw is None:
                    continue
                text = raw.strip() if raw.__class__ is str else cell_text(raw)  # inlined: ~16 per order
                if not text:
                    continue
                seen = given.get(column_key)
                if seen is None:
                    given[column_key] = (number, raw, text)
                elif seen[2] != text and not self._same(column_key, seen[1], raw):
                    flag(number, column_key, raw, _("Differs from “%(value)s” on row %(row)s of the same order.")
                         % {"value": seen[2], "row": seen[0]})

        def value(column_key):
            seen = given.get(column_key)
            return seen[1] if seen else None

        def text(column_key) -> str:
            seen = given.get(column_key)
            return seen[2] if seen else ""

        def row_of(column_key) -> int:
            seen = given.get(column_key)
            return seen[0] if seen else first_row

        def parsed(column_key, parser, default=None):
            seen = given.get(column_key)
            if seen is None:
                return default
            try:
                return parser(seen[1])
            except BadValue as exc:
                flag(seen[0], column_key, seen[1], exc.message)
                return default

        required = _("This field is required.")
        for column_key in ("order_number", "channel", "ordered_at"):
            if not text(column_key):
                flag(first_row, column_key, "", required)
        for column_key in ("order_number", "customer_name", "province", "city", "district", "address",
                           "tracking_number"):
            limit = BY_KEY[column_key].max_length
            if limit and len(text(column_key)) > limit:
                flag(row_of(column_key), column_key, value(column_key),
                     _("At most %(limit)s characters.") % {"limit": limit})
        ordered_at = parsed("ordered_at", parse_datetime)
        shipping_fee = parsed("shipping_fee", parse_amount, ZERO)
        paid = parsed("paid_amount", parse_amount, ZERO)
        status = parsed("status", parse_status, OrderStatus.PENDING_REVIEW)
        carrier = parsed("carrier", parse_carrier, "")
        payment_method = payment_method_code(value("payment_method")) if text("payment_method") else ""
        if paid is not None and paid < 0:
            flag(row_of("paid_amount"), "paid_amount", value("paid_amount"), _("Must not be negative."))
        tracking = text("tracking_number")
        if status in NEEDS_TRACKING and not tracking:
            flag(row_of("tracking_number"), "tracking_number", "",
                 _("A tracking number is required when the status is 已发货 or 已完成."))

        i_sku, i_qty, i_price, i_discount = INDEX["sku"], INDEX["quantity"], INDEX["unit_price"], INDEX["discount"]
        lines = []
        for number, values in rows:
            raw = values[i_sku]
            sku = raw.strip() if raw.__class__ is str else cell_text(raw)
            if not sku:
                flag(number, "sku", "", required)
            elif len(sku) > BY_KEY["sku"].max_length:
                flag(number, "sku", sku, _("At most %(limit)s characters.") % {"limit": BY_KEY["sku"].max_length})
            quantity = unit_price = None
            discount = ZERO
            raw = values[i_qty]
            if raw is None or (raw.__class__ is str and not raw.strip()):  # cell_text(raw) == "", inlined
                flag(number, "quantity", raw, required)
            else:
                try:
                    quantity = parse_quantity(raw)
                except BadValue as exc:
                    flag(number, "quantity", raw, exc.message)
            raw = values[i_price]
            if raw is None or (raw.__class__ is str and not raw.strip()):
                flag(number, "unit_price", raw, required)
            else:
                try:
                    unit_price = parse_amount(raw)
                except BadValue as exc:
                    flag(number, "unit_price", raw, exc.message)
            raw = values[i_discount]
            if raw is not None and (raw.__class__ is not str or raw.strip()):
                try:
                    discount = parse_amount(raw)
                except BadValue as exc:
                    flag(number, "discount", raw, exc.message)
            lines.append(LineInput(sku=sku, quantity=quantity, unit_price=unit_price, discount=discount))

        if channel is None and text("channel"):
            channel = self.channel_lookup.get(text("channel"))  # a row that could not be grouped
        name, phone_text = text("customer_name"), text("phone")
        data = OrderInput(
            channel=channel.code if channel else text("channel"), external_id=external_id,
            customer_name=name, customer_phone=phone_text, recipient=name, recipient_phone=phone_text,
            province=text("province"), city=text("city"), district=text("district"),
            address_detail=text("address"), lines=lines, ordered_at=ordered_at,
            shipping_fee=shipping_fee if shipping_fee is not None else ZERO, payment_method=payment_method,
            note=text("note"),
        )
        for path, messages in order_input_problems(data, channel=channel, products=self.products).items():
            parts = path.split(".")
            if parts[0] == "lines" and len(parts) == 3:
                number, values = rows[int(parts[1])]
                column_key = parts[2]
                raw = values[INDEX[column_key]]
                if column_key == "discount" and ((number, "unit_price") in flagged or (number, "quantity") in flagged):
                    continue  # “discount above quantity × price” only follows from the bad price or quantity
            else:
                column_key = _RULE_COLUMNS.get(path, "order_number")
                number, raw = row_of(column_key), value(column_key)
            for message in messages:
                flag(number, column_key, raw if raw is not None else "", message)
        if problems:
            errors.extend(sorted(problems, key=lambda p: (p.row or 0)))
            return None

        line_rows, subtotal, discount_total = priced_line_values(lines, self.products)
        total = subtotal - discount_total + to_money(shipping_fee)
        if paid > total:
            flag(row_of("paid_amount"), "paid_amount", value("paid_amount"),
                 _("Must not exceed the order total of ¥%(total)s.") % {"total": f"{total:,.2f}"})
            errors.extend(problems)
            return None
        return _ValidOrder(
            first_row=first_row, rows=len(rows), channel=channel, external_id=external_id, name=name.strip(),
            phone=normalise_phone(phone_text), data=data, status=status, payment_method=payment_method,
            paid=to_money(paid), carrier=carrier, tracking=tracking, lines=line_rows, subtotal=subtotal,
            discount_total=discount_total, shipping_fee=to_money(shipping_fee),
        )

    def _same(self, column_key: str, a, b) -> bool:
        """Two spellings of one order-level value (`100` and `¥100.00`, `天猫` and `tmall`) agree."""
        parsers = {
            "ordered_at": parse_datetime, "shipping_fee": parse_amount, "paid_amount": parse_amount,
            "status": parse_status, "carrier": parse_carrier, "payment_method": payment_method_code,
            "phone": lambda v: normalise_phone(cell_text(v)) or cell_text(v),
            "channel": lambda v: getattr(self.channel_lookup.get(v), "code", None) or cell_text(v),
        }
        parser = parsers.get(column_key)
        if parser is None:
            return False
        try:
            return parser(a) == parser(b)
        except BadValue:
            return False

    # -- writing ----------------------------------------------------------------------------------
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


def _spooled_chunks(spools: list):
    for spool in spools:
        spool.seek(0)
        while True:
            try:
                yield pickle.load(spool)
            except EOFError:
                break


class _InlineSink:
    """Complete orders checked and written in this process, `batch_orders` at a time."""

    def __init__(self, importer: _Importer):
        self.importer = importer
        self.complete: list = []

    def add(self, key, rows) -> None:
        self.complete.append((key, rows))
        if len(self.complete) >= self.importer.batch_orders:
            self._flush()

    def _flush(self) -> None:
        if self.complete:
            complete, self.complete = self.complete, []
            self.importer.merge(self.importer.process(complete))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._flush()


def legacy_orders_import(*, path, file_name: str | None = None, dry_run: bool, actor,
                         batch: ImportBatch | None = None, progress: Progress | None = None,
                         batch_orders: int | None = None) -> ImportReport:
    """Import (or, with `dry_run`, only check) a legacy order file; see the module docstring.

    Raises `ValidationFailed` when the file cannot be read at all (missing, wrong type, password,
    empty, too large, missing required column): then nothing was written.
    """
    importer = _Importer(dry_run=dry_run, actor=actor, batch=batch, progress=progress, batch_orders=batch_orders)
    with fewer_gc_pauses():
        return importer.run(path, file_name or Path(path).name)


# -- import batches (the import centre) -----------------------------------------------------------

def import_batch_create(*, upload, actor, language: str = "") -> ImportBatch:
    """Store an uploaded file as a new import after checking it can be read; a bad file stores nothing."""
    name = os.path.basename(upload.name or "upload")
    if upload.size is not None:
        check_size(upload.size, name)  # refused before it is copied anywhere
    suffix = Path(name).suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(prefix="oms-upload-", suffix=suffix, delete=False) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp_path = tmp.name
    try:
        kind = legacy_file_inspect(path=tmp_path, file_name=name)
        batch = ImportBatch(file_name=name[:255], file_size=os.path.getsize(tmp_path), file_kind=kind,
                            created_by=actor_user(actor), run_by=actor_user(actor),
                            language=language or translation.get_language() or settings.LANGUAGE_CODE)
        stored_name = f"{timezone.localdate():%Y%m%d}-{get_random_string(12).lower()}{suffix}"
        with open(tmp_path, "rb") as handle:
            batch.file.save(stored_name, File(handle), save=False)
        batch.save()
    finally:
        os.unlink(tmp_path)
    return batch


def import_batch_start(*, batch: ImportBatch, mode: str, actor, language: str = "") -> ImportBatch:
    """Queue a dry run or the import of an uploaded file; small files run at once, large ones in a job."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.is_active:
            raise InvalidTransition(_("This file is being processed already; wait until it has finished."))
        if batch.mode == ImportBatch.Mode.IMPORT and batch.status == ImportBatch.Status.DONE:
            raise InvalidTransition(_("This file has been imported already."))
        if mode == ImportBatch.Mode.IMPORT and not batch.can_import:
            raise InvalidTransition(_("Run a dry run first; the import starts from a dry run that found orders to "
                                      "import."))
        batch.mode = mode
        batch.status = ImportBatch.Status.QUEUED
        batch.phase = ""
        batch.rows_done = 0
        batch.failure = ""
        batch.started_at = batch.finished_at = None
        batch.run_by = actor_user(actor)
        if language:
            batch.language = language
        batch.save()
        inline = batch.file_size <= int(_setting("OMS_IMPORT_INLINE_MAX_BYTES", DEFAULT_INLINE_MAX_BYTES))
        pk = batch.pk
        transaction.on_commit(lambda: import_batch_execute(batch_id=pk) if inline else enqueue_import_job(pk))
    return batch


def enqueue_import_job(batch_id: int) -> None:
    from django_q.tasks import async_task

    async_task("oms.imports.tasks.run_import_batch", batch_id, task_name=f"import-{batch_id}", group="imports")


def import_batch_execute(*, batch_id: int) -> ImportBatch | None:
    """Run a queued batch (in the request for small files, in a django-q2 worker for large ones)."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING, started_at=timezone.now(), phase=ImportBatch.Phase.READING)
    if not claimed:
        return None  # already run (a retried job) or deleted
    batch = ImportBatch.objects.select_related("run_by").get(pk=batch_id)
    dry_run = batch.mode == ImportBatch.Mode.DRY_RUN

    def progress(phase: str, done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch_id).update(phase=phase, rows_done=done, rows_total=total)

    with translation.override(batch.language or settings.LANGUAGE_CODE):
        try:
            with _local_path(batch) as path:
                report = legacy_orders_import(path=path, file_name=batch.file_name, dry_run=dry_run,
                                              actor=batch.run_by or SYSTEM, batch=batch, progress=progress)
        except ValidationFailed as exc:
            ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.FAILED, failure=str(exc),
                                                           finished_at=timezone.now(), phase="")
            return ImportBatch.objects.get(pk=batch_id)
        except Exception:
            logger.exception("import batch %s failed", batch_id)
            ImportBatch.objects.filter(pk=batch_id).update(
                status=ImportBatch.Status.FAILED, finished_at=timezone.now(), phase="",
                failure=_("The import stopped because of an internal error; orders of batches written before it "
                          "stay imported. Run it again: imported orders count as duplicates."))
            return ImportBatch.objects.get(pk=batch_id)
    import_batch_store_report(batch=batch, report=report)
    return ImportBatch.objects.get(pk=batch_id)


def import_batch_store_report(*, batch: ImportBatch, report: ImportReport) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(phase=ImportBatch.Phase.WRITING_REPORT)
    counts = {"rows": report.rows, "orders": report.orders, "imported": report.imported,
              "duplicates": report.duplicates, "rejected_orders": report.rejected_orders,
              "error_rows": report.error_rows}
    with transaction.atomic():
        ImportIssue.objects.filter(batch=batch).delete()
        issues = [ImportIssue(batch=batch, kind=ImportIssue.Kind.WARNING, row=p.row, column=p.column[:100],
                              value=p.value, message=p.message, order_number=p.order_number[:100])
                  for p in report.warnings]
        issues += [ImportIssue(batch=batch, kind=ImportIssue.Kind.ERROR, row=p.row, column=p.column[:100],
                               value=p.value, message=p.message, order_number=p.order_number[:100])
                   for p in report.errors]
        ImportIssue.objects.bulk_create(issues, batch_size=2000)
        update = dict(counts, status=ImportBatch.Status.DONE, phase="", finished_at=timezone.now(),
                      rows_total=report.rows, rows_done=report.rows, file_kind=report.file_kind)
        if report.dry_run:
            update["dry_run_summary"] = counts
        ImportBatch.objects.filter(pk=batch.pk).update(**update)


@contextmanager
def _local_path(batch: ImportBatch):
    """The stored file as a local path (a temporary copy when the storage has no paths)."""
    try:
        path = batch.file.path
    except NotImplementedError:
        path = None
    if path is not None:
        yield path
        return
    suffix = Path(batch.file_name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with batch.file.open("rb") as source:
            shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield tmp.name
