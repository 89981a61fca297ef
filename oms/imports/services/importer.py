"""One run of a legacy import: reading, then complete orders checked and written in batches."""

from __future__ import annotations

import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from django.utils.translation import gettext as _

from core.actors import SYSTEM, actor_user
from core.bulk import fewer_gc_pauses
from oms.imports.columns import INDEX, ORDER_KEYS
from oms.imports.models import ImportBatch
from oms.imports.readers import open_sheet
from oms.imports.services.checking import _Checking, _ValidOrder
from oms.imports.services.reading import _Reading, _spooled_chunks, read_header
from oms.imports.services.report import BatchOutcome, ImportReport, Problem, Progress, _setting
from oms.imports.services.writing import _Writing
from oms.imports.values import ChannelLookup
from orders.models import Channel

DEFAULT_BATCH_ORDERS = 2000


class _Importer(_Reading, _Checking, _Writing):
    """One run of the import: reads, checks and writes (see the package docstring)."""

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

    def run(self, path, file_name: str) -> ImportReport:
        with open_sheet(path, file_name) as sheet:
            self.report.file_kind, self.report.encoding, self.report.delimiter, self.report.sheet = (
                sheet.kind, sheet.encoding, sheet.delimiter, sheet.sheet_name)
            header_row, match, rows = read_header(sheet, file_name)
            self.written = match.written
            self.order_slots = [(key, INDEX[key]) for key in ORDER_KEYS if key in match.positions]
            if match.unknown:
                self.report.warnings.append(Problem(
                    header_row, ", ".join(match.unknown), "",
                    _("Unknown columns are ignored: %(columns)s.") % {"columns": ", ".join(match.unknown)}))
            with tempfile.TemporaryFile(prefix="oms-import-") as spool:
                count, last_seen = self._spool(rows, match, spool)
                self.report.rows = count
                self.report.orders = len(last_seen)
                self._reading_warnings(sheet, header_row, match)
                self._assemble([spool], last_seen)
        return self.report

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

    def process(self, complete: list) -> BatchOutcome:
        """Check one batch of complete orders and (unless a dry run) write the valid ones."""
        outcome = BatchOutcome(rows=sum(len(rows) for _key, rows in complete))
        channel_by_code = {c.code: c for c in self.channels}
        existing = self._existing_keys(
            [(channel_by_code[key[0]], key[1]) for key, _rows in complete if key[0] in channel_by_code])
        self._load_products(complete)
        valid: list[_ValidOrder] = []
        already: list = []  # orders in OMS: duplicates if the file says the same, conflicts if not
        for key, rows in complete:
            channel = channel_by_code.get(key[0])
            if channel is not None and (channel.pk, key[1]) in existing:
                already.append((key, rows, channel))
                continue
            checked = self._check(key, rows, channel, outcome.errors)
            if checked is None:
                outcome.rejected_orders += 1
            else:
                valid.append(checked)
        if already and self.batch is not None and not self.dry_run:
            # A resumed import: what this batch wrote before it stopped is its own, not a duplicate.
            mine = self._written_by_batch(already)
            if mine:
                outcome.imported += len(mine)
                already = [item for item in already if (item[2].pk, item[0][1]) not in mine]
        if already:
            self._compare_with_oms(already, outcome)
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
