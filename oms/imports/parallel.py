"""Checking and writing a large legacy import in forked worker processes.

One process checks and writes a legacy order file at about 10,000 lines per CPU-second, and on
PostgreSQL it sits idle while the server inserts rows, maintains indexes and checks foreign keys:
client and server take turns on one core. With `OMS_IMPORT_WORKERS` greater than one (the default
on a machine with two or more cores) the importing process only reads the file and groups its rows
into orders; every complete order goes to one of the forked workers, which checks and writes
batches of orders in its own connection and transaction exactly as the single process does
(`_Importer.process`) and sends back the batch's counts and problems.

- Orders are routed by the customer's phone number, so a customer is looked up and created by one
  worker only (the import matches customers by phone and name; two workers could otherwise each
  create the same new customer).
- Each batch is still one transaction, so every order is all or nothing, a re-import counts
  duplicates and a collision is retried order by order, as before. Batches of different workers
  commit in any order: order numbers follow commit order rather than file order, and open orders
  of different workers reserve stock in the order their batches do (within a batch, oldest first).
- Reading is not split: the workbook reader (python-calamine) reads a sheet whole, so there is no
  byte offset where a second reader could start.
- Workers are not used for a dry run (it writes nothing, so there is nothing to overlap), inside a
  transaction (workers could neither see its rows nor join it), on an in-memory SQLite database,
  for a file of a single batch, or where `fork` is unavailable. django-q2 workers must not be
  daemonic for this (daemonic processes may not start children): `Q_CLUSTER["daemonize_workers"]`
  is off in the settings; a daemonic caller imports in one process.
"""

from __future__ import annotations

import logging
import multiprocessing
import traceback
import zlib
from collections import deque
from multiprocessing.connection import wait

from django.conf import settings
from django.db import connection, connections

from core.phones import normalise_phone
from oms.imports.columns import INDEX
from oms.imports.values import cell_text

logger = logging.getLogger(__name__)

QUEUED_PER_WORKER = 1  # batches ready for a worker besides the one it is working on
POLL_EVERY = 256  # orders grouped between two looks for finished batches


class ImportWorkerFailed(RuntimeError):
    """A worker process raised or died; batches it committed before stay imported."""


def workers_for(importer) -> int:
    """How many worker processes this run uses (1: check and write in this process)."""
    wanted = settings.OMS_IMPORT_WORKERS
    if wanted <= 1 or importer.dry_run or importer.report.orders <= importer.batch_orders:
        return 1
    if connection.in_atomic_block or (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        return 1
    if not _can_fork():
        return 1
    return wanted


def _can_fork(*, warn: bool = True) -> bool:
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if multiprocessing.current_process().daemon:
        if warn:
            logger.warning("legacy import runs in one process: daemonic processes cannot start import workers "
                           "(set Q_CLUSTER['daemonize_workers'] = False)")
        return False
    return True


class WorkerPool:
    """The batch sink of a parallel import: routes complete orders to workers, merges their outcomes."""

    def __init__(self, importer, count: int):
        self.importer = importer
        self.count = count
        self.size = importer.batch_orders
        self.i_phone = INDEX["phone"]
        self.pending: list[list] = [[] for _ in range(count)]  # orders gathering into a worker's next batch
        self.ready: list[deque] = [deque() for _ in range(count)]  # full batches waiting for the worker
        self.busy = [False] * count
        self.conns: list = []
        self.processes: list = []
        self.added = 0

    def __enter__(self):
        # A forked child must not share the parent's database connections: it opens its own.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        if connection.vendor == "sqlite":
            # SQLite has one writer at a time, and a writer that finds the database taken polls for it
            # with growing sleeps (up to 100 ms), long after the other worker committed. A shared
            # lock wakes the next worker at once; the importing process takes it for its progress
            # updates too.
            self.importer.serial_writes = context.Lock()
        for number in range(self.count):
            ours, theirs = context.Pipe()
            process = context.Process(target=_work, args=(self.importer, theirs, [*self.conns, ours]),
                                      name=f"oms-import-worker-{number + 1}", daemon=True)
            process.start()
            theirs.close()
            self.conns.append(ours)
            self.processes.append(process)
        return self

    def add(self, key, rows) -> None:
        worker = self._route(rows)
        pending = self.pending[worker]
        pending.append((key, rows))
        if len(pending) >= self.size:
            self.pending[worker] = []
            self.ready[worker].append(pending)
            self._collect(block=False)
            while len(self.ready[worker]) > QUEUED_PER_WORKER:
                self._collect(block=True)
        self.added += 1
        if self.added % POLL_EVERY == 0:
            self._collect(block=False)

    def _route(self, rows) -> int:
        """The worker of this order's customer: by the first phone number given on its rows."""
        index = self.i_phone
        for _number, values in rows:
            text = cell_text(values[index])
            if text:
                return zlib.crc32((normalise_phone(text) or text).encode()) % self.count
        return 0

    def _pump(self) -> None:
        for worker in range(self.count):
            if not self.busy[worker] and self.ready[worker]:
                self.conns[worker].send(self.ready[worker].popleft())
                self.busy[worker] = True

    def _collect(self, *, block: bool) -> None:
        """Merge the outcomes of workers that finished a batch (waiting for one if `block`), then hand out work."""
        busy = [self.conns[worker] for worker in range(self.count) if self.busy[worker]]
        if busy:
            for conn in wait(busy, timeout=None if block else 0):
                worker = self.conns.index(conn)
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError):
                    raise ImportWorkerFailed(f"import worker {worker + 1} stopped "
                                             f"(exit code {self.processes[worker].exitcode})") from None
                self.busy[worker] = False
                if kind != "ok":
                    raise ImportWorkerFailed(f"import worker {worker + 1} failed:\n{payload}")
                self.importer.merge(payload)
        self._pump()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                for worker in range(self.count):
                    if self.pending[worker]:
                        self.ready[worker].append(self.pending[worker])
                        self.pending[worker] = []
                self._pump()
                while any(self.ready):  # batches still queued behind a busy worker
                    self._collect(block=True)
                self.importer.all_batches_sent()  # work of the importing process while the last batches run
                while any(self.busy):
                    self._collect(block=True)
        finally:
            for conn in self.conns:
                try:
                    conn.send(None)  # a worker finishes the batch it is on (and commits it), then stops
                except OSError:
                    pass
                conn.close()
            for process in self.processes:
                process.join(timeout=60)
                if process.is_alive():
                    process.terminate()
                    process.join()


def _work(importer, conn, inherited) -> None:
    """A worker process: check and write each batch it is sent until it is sent None."""
    for other in inherited:  # the parent's ends of the pipes: held here, the parent's exit would go unseen
        other.close()
    try:
        while True:
            batch = conn.recv()
            if batch is None:
                break
            try:
                outcome = importer.process(batch)
            except BaseException:
                conn.send(("error", traceback.format_exc()))
                break
            conn.send(("ok", outcome))
    except (EOFError, OSError):
        pass  # the importing process is gone
    finally:
        connections.close_all()
