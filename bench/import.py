"""Legacy import reading: rows/s of the reader alone and of the whole import, .xlsx and .ods, peak memory.

    /work/main/.venv/bin/python bench/import.py [--lines 100000] [--largest]

Generates the legacy order file of `bench/import_orders.py` (about three lines per order, Excel-style
shared strings and date cells) as .xlsx and as .ods (LibreOffice's layout: typed cells, repeated
empty cells), then, each in a fresh process:

- anchor: the bare cost of getting at the cells — unzip the worksheet XML and count its rows (zlib
  and bytes.count, no parsing); every other figure is also given as a ratio to it;
- reader: `open_sheet` (format sniffing, the guards' scan, python-calamine) and every row;
- dry run and import: `legacy_orders_import` on a throw-away SQLite database (or DATABASE_URL).

`--largest` adds the limits: a workbook of OMS_IMPORT_MAX_CELLS cells (the largest one read; its
peak memory must stay under 1 GiB) and a 50 MB .xlsx (OMS_IMPORT_MAX_BYTES), which is refused
with a message to split it — time and memory of the refusal.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_orders as base  # noqa: E402  (the generator, database set-up and stock of the import bench)


def write_ods(path: Path, lines: int, run: str) -> None:
    """The same rows as an OpenDocument spreadsheet, streamed into content.xml."""
    head = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body>'
            '<office:spreadsheet><table:table table:name="订单">')
    tail = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
            'table:number-columns-repeated="1024"/></table:table-row></table:table></office:spreadsheet>'
            "</office:body></office:document-content>")

    def cell(value) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, datetime):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value:%Y-%m-%d %H:%M}</text:p></table:table-cell>")
        if isinstance(value, int | float):
            return (f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p>'
                    "</table:table-cell>")
        return (f'<table:table-cell office:value-type="string" office:string-value={quoteattr(value)}><text:p>'
                f"{escape(value)}</text:p></table:table-cell>")

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>'))
        with archive.open("content.xml", "w") as target:
            target.write(head.encode())
            batch = []
            for row in [base.HEADERS, *base.legacy_rows(lines, run)]:
                batch.append("<table:table-row>" + "".join(cell(v) for v in row)
                             + '<table:table-cell table:number-columns-repeated="1004"/></table:table-row>')
                if len(batch) >= 2000:
                    target.write("".join(batch).encode())
                    batch = []
            target.write(("".join(batch) + tail).encode())


def _sheet_part(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return "content.xml" if "content.xml" in names else "xl/worksheets/sheet1.xml"


def measure(path: str, phase: str) -> None:
    """Child process: one phase on one file, then one line of figures."""
    base.setup_django()
    from django.conf import settings

    from core.actors import SystemActor
    from core.errors import ValidationFailed
    from oms.imports.readers import open_sheet
    from oms.imports.services import legacy_orders_import

    settings.DEBUG = False
    at_start = base.peak_rss_mb()
    started = time.perf_counter()
    rows, note = 0, ""
    try:
        if phase == "anchor":
            with zipfile.ZipFile(path) as archive, archive.open(_sheet_part(Path(path))) as source:
                while chunk := source.read(1 << 20):
                    rows += chunk.count(b"<row") + chunk.count(b"<table:table-row")
            rows -= 2 if path.endswith(".ods") else 1  # the header (and the trailing repeated empty rows of .ods)
        elif phase == "reader":
            with open_sheet(path) as sheet:
                for _number, _cells in sheet.rows():
                    rows += 1
            rows -= 1
        else:
            report = legacy_orders_import(path=path, dry_run=phase == "dry-run", actor=SystemActor("bench"))
            rows = report.rows
    except ValidationFailed as exc:
        note = str(exc)[:90]
    elapsed = time.perf_counter() - started
    print(f"RESULT\t{phase}\t{rows}\t{elapsed:.3f}\t{base.peak_rss_mb():.0f}\t{at_start:.0f}\t{note}")


def run_phase(path: Path, phase: str, env: dict) -> tuple[int, float, str, str, str]:
    command = [sys.executable, __file__, "--measure", str(path), "--phase", phase]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT\t"))
    _tag, _phase, rows, seconds, peak, at_start, note = line.split("\t")
    return int(rows), float(seconds), peak, at_start, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--largest", action="store_true", help="also the largest workbook read and a 50 MB one")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.phase)
        return
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "sqlite:////tmp/oms-bench-import-readers.sqlite3")
    env["OMS_IMPORT_MAX_ROWS"] = str(max(args.lines * 2, 2_000_000))
    env["OMS_IMPORT_MAX_BYTES"] = str(50 * 1024 * 1024)
    os.environ.update(env)
    base.prepare_database()
    workdir = Path(tempfile.mkdtemp(prefix="oms-bench-readers-"))
    run = f"R{int(time.time())}"
    cases = []
    for suffix, writer in (("xlsx", base.write_xlsx), ("ods", write_ods)):
        path = workdir / f"legacy-{args.lines}.{suffix}"
        writer(path, args.lines, f"{run}{suffix[0].upper()}")
        cases.append((path, ("anchor", "reader", "dry-run", "import")))
    if args.largest:
        for lines in (580_000, 1_100_000):  # just under 12 M cells of 20 columns; just under 50 MiB of .xlsx
            path = workdir / f"legacy-{lines}.xlsx"
            base.write_xlsx(path, lines, f"{run}L{lines}")
            cases.append((path, ("anchor", "reader")))
    print(f"{'file':<24}{'MB':>6}{'phase':>9}{'rows':>10}{'seconds':>9}{'rows/s':>10}{'× anchor':>9}"
          f"{'peak RSS':>10}{'(start)':>9}  note")
    for path, phases in cases:
        anchor = None
        for phase in phases:
            if phase == "import":
                base.top_up_stock(args.lines)
            rows, seconds, peak, at_start, note = run_phase(path, phase, env)
            anchor = seconds if phase == "anchor" else anchor
            rate = f"{rows / seconds:,.0f}" if rows and seconds else "-"
            ratio = f"{seconds / anchor:.1f}" if anchor else "-"
            print(f"{path.name:<24}{path.stat().st_size / 1e6:>6.1f}{phase:>9}{rows:>10,}{seconds:>9.2f}{rate:>10}"
                  f"{ratio:>9}{peak + ' MB':>10}{at_start + ' MB':>9}  {note}", flush=True)
    for path, _phases in cases:
        path.unlink()
    workdir.rmdir()


if __name__ == "__main__":
    main()
