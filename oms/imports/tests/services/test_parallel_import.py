"""Large imports checked and written by forked worker processes (`oms.imports.parallel`).

The workers write through their own connections, so the tests that run them commit for real
(PostgreSQL, `transaction=True`); the in-memory SQLite test database cannot be shared with a child
process, and there the import stays in one process. `test_import_orders_command.py` runs the
command with workers against a SQLite file.
"""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import transaction

from core.actors import SystemActor
from inventory.models import Reservation, Stock
from inventory.selectors import stock_drift
from inventory.tests.factories import stock_up
from oms.imports import parallel
from oms.imports.services import _Importer, legacy_orders_import
from oms.imports.tests.factories import products, row, table, write_csv
from orders.models import Customer, Order, OrderStatus

ACTOR = SystemActor("test-import")
# Workers connect on their own: the test database must be one they can reach, and committed to.
shared_database = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…): forked workers cannot reach the in-memory SQLite "
           "test database; test_import_orders_command.py runs the workers on a SQLite file")


def importer(**overrides):
    values = {"dry_run": False, "batch_orders": 10, "report": SimpleNamespace(orders=100)}
    values.update(overrides)
    return SimpleNamespace(**values)


@pytest.mark.django_db
def test_one_process_for_dry_runs_single_batches_transactions_and_when_configured(settings):
    settings.OMS_IMPORT_WORKERS = 2
    # Every test here runs inside a transaction the workers could not see: one process.
    assert transaction.get_connection().in_atomic_block
    assert parallel.workers_for(importer()) == 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transaction.get_connection(), "in_atomic_block", False)
        on_memory_sqlite = transaction.get_connection().vendor == "sqlite"
        assert parallel.workers_for(importer()) == (1 if on_memory_sqlite else 2)
        assert parallel.workers_for(importer(dry_run=True)) == 1
        assert parallel.workers_for(importer(report=SimpleNamespace(orders=10))) == 1
        settings.OMS_IMPORT_WORKERS = 1
        assert parallel.workers_for(importer()) == 1


def test_orders_of_one_customer_go_to_one_worker():
    pool = parallel.WorkerPool(importer(), 2)
    phone = parallel.INDEX["phone"]

    def rows(*phones):
        values = [None] * (phone + 1)
        out = []
        for number, text in enumerate(phones, start=2):
            cells = list(values)
            cells[phone] = text
            out.append((number, tuple(cells)))
        return out

    # The same number in any spelling; a later row's phone counts when the first leaves it empty.
    assert len({pool._route(rows(p)) for p in ("13812341234", "138 1234 1234", "+86 138-1234-1234")}) == 1
    assert pool._route(rows(None, "13812341234")) == pool._route(rows("13812341234"))
    assert {pool._route(rows(f"1380000{i:04d}")) for i in range(50)} == {0, 1}


def orders_file(tmp_path, count, *, status="待发货", bad_every=0):
    rows = []
    for i in range(count):
        # Ten customers, each with orders in many batches; two lines per order, SKUs alternating.
        phone = f"1390000{i % 10:04d}"
        for sku in ("PAR-1", "PAR-2"):
            bad = bad_every and i % bad_every == 0 and sku == "PAR-2"
            rows.append(row(order_number=f"P{i:04d}", customer_name=f"客户{i % 10}", phone=phone, sku=sku,
                            quantity="x" if bad else "1", unit_price="10", shipping_fee="0", status=status,
                            paid_amount="20", ordered_at=f"2024-03-01 10:{i % 60:02d}"))
    path = tmp_path / "orders.csv"
    write_csv(path, table(rows))
    return path


def stocked(par1_units: int):
    """The two products of `orders_file`, PAR-1 with `par1_units` in stock and PAR-2 with plenty."""
    par1, par2 = products("PAR-1", "PAR-2")
    stock_up(par1, par1_units)
    stock_up(par2, 1000)
    return par1


@pytest.fixture
def workers(settings, monkeypatch):
    """Two workers, batches of five orders; records that the pool really ran."""
    settings.OMS_IMPORT_WORKERS = 2
    settings.OMS_IMPORT_BATCH_ORDERS = 5
    started = []
    enter = parallel.WorkerPool.__enter__

    def spy(pool):
        started.append(pool.count)
        return enter(pool)

    monkeypatch.setattr(parallel.WorkerPool, "__enter__", spy)
    return started


@shared_database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_import_everything_once_with_the_report_of_one_process(tmp_path, workers):
    stocked(1000)
    path = orders_file(tmp_path, 60, bad_every=7)

    report = legacy_orders_import(path=path, dry_run=False, actor=ACTOR)

    assert workers == [2]
    assert (report.rows, report.orders, report.imported, report.rejected_orders) == (120, 60, 51, 9)
    assert [e.row for e in report.errors] == sorted(e.row for e in report.errors)  # by row, whoever found it
    assert {e.column for e in report.errors} == {"数量"}
    assert Order.objects.count() == 51
    # Numbers: unique and, as every block was used, without a gap.
    numbers = sorted(int(n[-6:]) for n in Order.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 51))
    # One customer per phone and name, although every customer's orders spread over many batches.
    assert Customer.objects.count() == 10
    assert all(o.status == OrderStatus.AWAITING_SHIPMENT for o in Order.objects.all())
    assert Reservation.objects.values("order_id").distinct().count() == 51
    assert stock_drift() == []

    again = legacy_orders_import(path=path, dry_run=False, actor=ACTOR)
    assert (again.imported, again.duplicates, again.rejected_orders) == (0, 51, 9)
    assert Order.objects.count() == 51


@shared_database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_competing_for_short_stock_never_oversell(tmp_path, workers):
    sku1 = stocked(17)
    path = orders_file(tmp_path, 40)

    report = legacy_orders_import(path=path, dry_run=False, actor=ACTOR)

    assert report.imported == 40
    stock = Stock.objects.get(product=sku1)
    assert stock.reserved == 17 <= stock.on_hand
    statuses = list(Order.objects.values_list("status", flat=True))
    assert statuses.count(OrderStatus.AWAITING_SHIPMENT) == 17
    assert statuses.count(OrderStatus.ON_HOLD) == 23  # each short order holds nothing at all
    assert Reservation.objects.filter(order__status=OrderStatus.ON_HOLD).count() == 0
    assert stock_drift() == []


@shared_database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_worker_stops_the_import_and_committed_batches_stay(tmp_path, workers, monkeypatch):
    stocked(1000)
    path = orders_file(tmp_path, 40)
    process = _Importer.process
    done = []

    def fail_on_the_third_batch(self, complete):
        done.append(1)  # counted per worker: each has its own copy after the fork
        if len(done) == 3:
            raise RuntimeError("disk full")
        return process(self, complete)

    monkeypatch.setattr(_Importer, "process", fail_on_the_third_batch)

    with pytest.raises(parallel.ImportWorkerFailed, match="disk full"):
        legacy_orders_import(path=path, dry_run=False, actor=ACTOR)

    written = Order.objects.count()
    assert 0 < written < 40
    assert all(order.lines.count() == 2 for order in Order.objects.all())  # whole orders, never part of one
    assert stock_drift() == []


@pytest.mark.django_db
def test_statistics_are_refreshed_by_postgresqls_own_rule(monkeypatch):
    """50 orders plus a tenth of the table since the last ANALYZE; during an import at least
    ANALYZE_EVERY; never on SQLite, which plans without them."""
    from oms.imports.services import ANALYZE_EVERY

    importer = _Importer(dry_run=False, actor=ACTOR, batch=None, progress=None, batch_orders=None)
    analysed = []
    monkeypatch.setattr(_Importer, "_analyze", lambda self: analysed.append(self.written_since_analyze))
    importer.written_since_analyze = 60
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert not importer._analyze_due(final=True)
        return
    importer.analyzed_orders = 0  # an empty table: 60 new orders already change every plan
    assert importer._analyze_due(final=True) and not importer._analyze_due(final=False)
    importer.analyzed_orders = 1_000_000  # a large table: a small import leaves its statistics alone
    importer.written_since_analyze = 50_000
    assert not importer._analyze_due(final=True)
    importer.written_since_analyze = 100_050
    assert importer._analyze_due(final=True) and importer._analyze_due(final=False)
    importer.analyzed_orders, importer.written_since_analyze = 0, ANALYZE_EVERY
    importer.all_batches_sent()
    assert analysed == [ANALYZE_EVERY]


@shared_database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pool_refreshes_statistics_while_the_last_batches_run(tmp_path, workers, monkeypatch):
    stocked(1000)
    path = orders_file(tmp_path, 120)
    calls = []
    analyze = _Importer._analyze

    def spy(self):
        calls.append(self.written_since_analyze)
        analyze(self)

    monkeypatch.setattr(_Importer, "_analyze", spy)
    monkeypatch.setattr(_Importer, "_order_statistics_rows", staticmethod(lambda: 0))  # as if the table were new
    report = legacy_orders_import(path=path, dry_run=False, actor=ACTOR)
    assert report.imported == 120
    # Once, when every batch was handed out: the (at most two) batches of 5 orders still in flight
    # are below the 50 orders that make statistics stale.
    assert len(calls) == 1 and 110 <= calls[0] < 120
