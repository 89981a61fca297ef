"""Legacy order import throughput and memory.

    /work/main/.venv/bin/python bench/import_orders.py [--lines 100000] [--keep]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench_import /work/main/.venv/bin/python bench/import_orders.py

Generates a legacy order file of N lines (default 100,000; about three lines per order, rows of an
order not always adjacent, Excel-style shared strings and date cells in the .xlsx) as .xlsx and
.csv, then runs a dry run and an import of each in a fresh process and prints lines per second
(wall clock, and per CPU second: on a shared machine the wall clock also measures the neighbours)
and the process's peak RSS (and its RSS before the import started: Python, Django and the app).
Imports run with the product's default OMS_IMPORT_WORKERS (two worker processes on two or more
cores): CPU seconds then include the workers', and "workers" is the largest worker's peak RSS.
After each import, "ledger" counts `finance.invariants.ledger_problems()` for the orders it wrote
(their opening balances; not timed): it must be 0.
Without DATABASE_URL it uses a throw-away SQLite file in /tmp; with
DATABASE_URL it uses that database (migrating it), so point it at a database of its own. Order
numbers carry the run's timestamp, so repeated runs never collide.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["订单号", "渠道", "下单时间", "客户名称", "手机", "省", "市", "区", "详细地址", "SKU", "数量", "单价",
           "折扣", "运费", "状态", "支付方式", "已付金额", "物流公司", "运单号", "备注"]
SKUS = [f"BENCH-{i:03d}" for i in range(200)]
CHANNELS = ["天猫", "京东", "抖音", "官网", "小程序", "门店"]
STATUSES = ["待审核", "待付款", "待发货", "已发货", "已完成", "已取消"]
PLACES = [("浙江省", "杭州市", "西湖区"), ("广东省", "深圳市", "南山区"), ("北京市", "北京市", "朝阳区"),
          ("上海市", "上海市", "浦东新区"), ("四川省", "成都市", "武侯区")]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]


def legacy_rows(lines: int, run: str):
    """Rows of about lines/3 orders; one order in twenty has a row moved to the end of a later block."""
    rnd = random.Random(42)
    start = datetime(2023, 1, 1, 9, 0)
    produced = 0
    order_no = 0
    deferred = []
    while produced < lines:
        order_no += 1
        count = min(rnd.choice((1, 2, 3, 3, 4, 5)), lines - produced)
        status = rnd.choice(STATUSES)
        place = rnd.choice(PLACES)
        ordered = start + timedelta(minutes=17 * order_no)
        rows = []
        for n in range(count):
            qty = rnd.randint(1, 3)
            price = rnd.choice((19, 59.9, 99, 199, 1299))
            first = n == 0
            rows.append([
                f"{run}-{order_no:07d}", CHANNELS[order_no % 6], ordered if first else None,
                rnd.choice(NAMES) if first else None, f"138{order_no % 100000000:08d}" if first else None,
                place[0] if first else None, place[1] if first else None, place[2] if first else None,
                f"幸福路{order_no % 999}号" if first else None, rnd.choice(SKUS), qty, price,
                0 if rnd.random() < 0.8 else 5, 10 if first else None, status if first else None,
                "支付宝" if first else None, None, "顺丰" if first and status in ("已发货", "已完成") else None,
                f"SF{order_no:012d}" if first and status in ("已发货", "已完成") else None,
                "老系统迁移" if first else None,
            ])
        if len(rows) > 1 and order_no % 20 == 0:
            deferred.append(rows.pop())
        yield from rows
        produced += count
        if len(deferred) >= 50:
            yield from deferred
            deferred = []
    yield from deferred


def write_csv(path: Path, lines: int, run: str) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in legacy_rows(lines, run):
            writer.writerow(["" if v is None else (v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v)
                             for v in row])


def write_xlsx(path: Path, lines: int, run: str) -> None:
    """A workbook as Excel writes it: shared strings, numbers as numbers, dates as styled serials."""
    strings: dict[str, int] = {}

    def sid(text: str) -> int:
        index = strings.get(text)
        if index is None:
            index = strings[text] = len(strings)
        return index

    def col(i: int) -> str:
        name = ""
        i += 1
        while i:
            i, rem = divmod(i - 1, 26)
            name = chr(65 + rem) + name
        return name

    epoch = datetime(1899, 12, 30)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as sheet:
        sheet.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
                    'openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:T%d"/><sheetData>' % (lines + 1))
        for r, row in enumerate([HEADERS, *legacy_rows(lines, run)], start=1):
            cells = []
            for c, value in enumerate(row):
                ref = f"{col(c)}{r}"
                if value is None:
                    continue
                if isinstance(value, datetime):
                    serial = (value - epoch).total_seconds() / 86400
                    cells.append(f'<c r="{ref}" s="1"><v>{serial!r}</v></c>')
                elif isinstance(value, int | float):
                    cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
                else:
                    cells.append(f'<c r="{ref}" t="s"><v>{sid(value)}</v></c>')
            sheet.write(f'<row r="{r}">{"".join(cells)}</row>')
        sheet.write("</sheetData></worksheet>")
        sheet.seek(0)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats'
                '.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlfor'
                'mats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetm'
                'l.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.open'
                'xmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" Conten'
                'tType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName='
                '"/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sh'
                'aredStrings+xml"/></Types>'))
            z.writestr("_rels/.rels", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.open'
                'xmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlform'
                'ats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
            z.writestr("xl/workbook.xml", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlfor'
                'mats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/re'
                'lationships"><sheets><sheet name="订单" sheetId="1" r:id="rId1"/></sheets></workbook>'))
            z.writestr("xl/_rels/workbook.xml.rels", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.open'
                'xmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlform'
                'ats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
                'Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target='
                '"styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/r'
                'elationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
            z.writestr("xl/styles.xml", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://schemas.openxml'
                'formats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm'
                '-dd hh:mm"/></numFmts><fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts><fills '
                'count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borde'
                'rs><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cel'
                'lXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fo'
                'ntId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>'))
            with z.open("xl/worksheets/sheet1.xml", "w") as target:
                while chunk := sheet.read(1 << 20):
                    target.write(chunk.encode("utf-8"))
            shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
            z.writestr("xl/sharedStrings.xml", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.'
                f'org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'))


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    import django

    django.setup()


def prepare_database() -> None:
    setup_django()
    from decimal import Decimal

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from catalog.models import Product

    existing = set(Product.objects.filter(sku__in=SKUS).values_list("sku", flat=True))
    Product.objects.bulk_create([Product(sku=sku, name=f"压测商品{sku[-3:]}", price=Decimal("99.00"))
                                 for sku in SKUS if sku not in existing])


def top_up_stock(lines: int) -> None:
    """Before each import: free stock for about 90 % of what the file's open orders want.

    A third of the orders await payment or shipment and reserve stock as they are imported (1–3
    units a line, 2 on average, over 200 SKUs); the stock is sized so that most of them are reserved
    and about one in seven goes on hold for stock, so both paths are in the figures. Not timed.
    """
    from core.actors import SystemActor
    from inventory.models import Stock, Warehouse
    from inventory.services import ReceiptLine, stock_receive

    per_sku = int(lines / 3 * 2 / len(SKUS) * 0.9)
    warehouses = [Warehouse.objects.get_or_create(code=code, defaults={"name": name, "province": province})[0]
                  for code, name, province in (("SH01", "上海仓", "上海市"), ("GZ01", "广州仓", "广东省"))]
    for warehouse in warehouses:
        free = {sku: on_hand - reserved for sku, on_hand, reserved in Stock.objects.filter(
            warehouse=warehouse, product__sku__in=SKUS).values_list("product__sku", "on_hand", "reserved")}
        receipt = [ReceiptLine(sku=sku, quantity=per_sku // 2 - free.get(sku, 0)) for sku in SKUS
                   if free.get(sku, 0) < per_sku // 2]
        if receipt:
            stock_receive(warehouse=warehouse, lines=receipt, actor=SystemActor("bench"), reference="BENCH")


def peak_rss_mb() -> float:
    """This process's peak resident set. VmHWM, not ru_maxrss: Linux carries ru_maxrss over an
    exec, so a child forked from the (large) generating parent would report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the import's worker processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def measure(path: str, dry_run: bool) -> None:
    """Child process: one run, then one line of figures."""
    setup_django()
    from django.conf import settings
    from django.db import connection

    from core.actors import SystemActor

    settings.DEBUG = False  # as in production: no query log kept in memory
    from inventory.models import Reservation
    from oms.imports.services import legacy_orders_import
    from orders.models import Order, OrderStatus

    def counts():
        return (Reservation.objects.values("order_id").distinct().count(),
                Order.objects.filter(status=OrderStatus.ON_HOLD).count())

    reserved_before, held_before = counts()
    last_order = Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    baseline = peak_rss_mb()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    report = legacy_orders_import(path=path, dry_run=dry_run, actor=SystemActor("bench"))
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak_mb = peak_rss_mb()
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker's peak
    reserved_after, held_after = counts()
    problems = 0 if dry_run else ledger_problem_count(Order.objects.filter(pk__gt=last_order))
    print(f"RESULT {connection.vendor} {Path(path).suffix[1:]} {'dry-run' if dry_run else 'import'} "
          f"{report.rows} {report.orders} {report.imported} {report.rejected_orders} {elapsed:.2f} {cpu:.2f} "
          f"{peak_mb:.0f} {baseline:.0f} {reserved_after - reserved_before} {held_after - held_before} "
          f"{workers_mb:.0f} {problems}")


def ledger_problem_count(orders) -> int:
    """`finance.invariants.ledger_problems()` for the orders this run imported (not timed): their
    opening balances must leave the journal agreeing with the orders. Printed to stderr, counted."""
    from finance.invariants import ledger_problems

    ids = list(orders.values_list("pk", flat=True))
    problems: dict[str, None] = {}
    for start in range(0, len(ids), 10_000):  # SQLite binds at most 32,766 values per statement
        problems.update(dict.fromkeys(ledger_problems(order_ids=ids[start:start + 10_000])))
    for problem in list(problems)[:5]:
        print(f"ledger: {problem}", file=sys.stderr)
    return len(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files in /tmp")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.dry_run)
        return
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "sqlite:////tmp/oms-bench-import.sqlite3")
    env["OMS_IMPORT_MAX_ROWS"] = str(max(args.lines * 2, 1_000_000))
    os.environ.update(env)
    prepare_database()
    workdir = Path(tempfile.mkdtemp(prefix="oms-bench-import-"))
    run = f"B{int(time.time())}"
    files = []
    for suffix, writer in (("csv", write_csv), ("xlsx", write_xlsx)):
        path = workdir / f"legacy-{args.lines}.{suffix}"
        started = time.perf_counter()
        writer(path, args.lines, f"{run}{suffix[0].upper()}")
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
        files.append(path)
    print(f"database: {env['DATABASE_URL'].split('@')[-1]}")
    print(f"{'db':<11}{'file':<6}{'run':<9}{'rows':>8}{'orders':>8}{'written':>9}{'seconds':>9}{'lines/s':>9}"
          f"{'cpu s':>7}{'lines/cpu-s':>12}{'peak RSS':>10}{'(at start)':>11}{'workers':>9}{'reserved':>10}{'held':>7}"
          f"{'ledger':>8}")
    for path in files:
        for dry_run in (True, False):
            if not dry_run:
                top_up_stock(args.lines)
            command = [sys.executable, __file__, "--measure", str(path)] + (["--dry-run"] if dry_run else [])
            finished = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            sys.stderr.write(finished.stderr if "ledger: " in finished.stderr else "")
            line = next(line for line in finished.stdout.splitlines() if line.startswith("RESULT "))
            (_tag, vendor, kind, mode, rows, orders, imported, _rejected, seconds, cpu, peak, base, reserved,
             held, workers, problems) = line.split()
            workers = f"{workers} MB" if int(workers) else "-"
            rate, cpu_rate = int(rows) / float(seconds), int(rows) / float(cpu)
            print(f"{vendor:<11}{kind:<6}{mode:<9}{int(rows):>8,}{int(orders):>8,}{int(imported):>9,}"
                  f"{float(seconds):>9.1f}{rate:>9,.0f}{float(cpu):>7.1f}{cpu_rate:>12,.0f}{peak + ' MB':>10}"
                  f"{base + ' MB':>11}{workers:>9}{int(reserved):>10,}{int(held):>7,}{int(problems):>8,}")
    if not args.keep:
        for path in files:
            path.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
