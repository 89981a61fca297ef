"""Invoice PDF rendering speed: `python bench/invoices.py [--count 500] [--baseline]`.

Prints, for the project's renderer (GB2312 TrueType subset + rare-character supplement, warm
process): seconds per single invoice, invoices/s for a batch rendered as one merged PDF and as
separate PDFs, and the PDF sizes. `--baseline` also measures the naive set-up the project
replaced (the full Noto Sans CJK SC collection from fontconfig), both with WeasyPrint's
HarfBuzz subsetter and with its fontTools fallback (what machines without libharfbuzz-subset get).

Invoices are built in memory (unsaved model instances), so the figures are the PDF work alone;
the database adds three queries per batch.
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from documents.fonts import FontLibrary  # noqa: E402
from finance.models import Invoice, InvoiceLine  # noqa: E402
from finance.pdf.render import InvoicePdfRenderer  # noqa: E402
from finance.tax import split_gross  # noqa: E402
from oms.workflow.demo import PRODUCTS  # noqa: E402
from orders.models import Channel, Order  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉婷雪琳晨宇浩然子轩梓涵欣怡思远俊杰"
RARE = ["王堃", "张喆", "𠮷田优", "李昇", "赵珺", "陈婕妤", "周祎"]  # outside GB2312 (堃 喆 𠮷 昇 珺 妤 祎)
COMPANIES = ["杭州西湖科技有限公司", "上海浦江贸易有限公司", "深圳南山电子有限公司", "成都锦江餐饮管理有限公司"]


def fake_invoices(count: int, *, seed: int = 7, rare_every: int = 25) -> list[Invoice]:
    rng = random.Random(seed)
    channel = Channel(code="tmall", name="天猫")
    issued = datetime(2026, 11, 24, 10, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    invoices = []
    for n in range(1, count + 1):
        order = Order(pk=n, number=f"SO20261124{n:06d}", channel=channel)
        lines = []
        for position, (sku, name, price, _weight) in enumerate(rng.sample(PRODUCTS, rng.randint(1, 5)), start=1):
            qty = rng.randint(1, 3)
            gross = Decimal(price) * qty
            net, tax = split_gross(gross, Decimal("0.13"))
            lines.append(InvoiceLine(position=position, sku=sku, name=name, quantity=qty, unit_price=Decimal(price),
                                     discount=Decimal("0.00"), gross=gross, net=net, tax_rate=Decimal("0.130"),
                                     tax=tax))
        company = n % 4 == 0
        if n % rare_every == 0:
            name = RARE[(n // rare_every) % len(RARE)]
        else:
            name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))
        invoice = Invoice(pk=n, number=f"INV-2026-{n:06d}", kind="invoice", status="issued", order=order,
                          issued_at=issued, actor_name="finance", seller=dict(settings.OMS_SELLER),
                          buyer_name=rng.choice(COMPANIES) if company else name,
                          buyer_tax_id="91330100MA2B3C4D5E" if company else "", buyer_is_company=company,
                          total=sum(x.gross for x in lines), net_total=sum(x.net for x in lines),
                          tax_total=sum(x.tax for x in lines))
        invoice._prefetched_objects_cache = {"lines": lines}
        invoices.append(invoice)
    return invoices


class SystemFontLibrary(FontLibrary):
    """The baseline: no project fonts, Pango takes the full Noto Sans Mono CJK SC from fontconfig."""

    def ensure_built(self, *, force=False):
        return []

    def ensure_covered(self, text):
        return False

    def font_face_css(self):
        return ""

    def font_stack(self):
        return '"Noto Sans Mono CJK SC", monospace'

    @property
    def cells(self):
        return {}

    @property
    def version(self):
        return "system"


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def use_fonttools_subsetter(enabled: bool):
    import weasyprint.pdf.fonts as wp_fonts

    if not hasattr(use_fonttools_subsetter, "original"):
        use_fonttools_subsetter.original = wp_fonts.harfbuzz_subset
    wp_fonts.harfbuzz_subset = None if enabled else use_fonttools_subsetter.original


def single(renderer, invoices, label: str, repeat: int = 5):
    renderer.render(invoices[:1])  # warm: font configuration, stylesheet
    plain = iter([inv for inv in invoices[1:] if inv.buyer_name not in RARE])
    seconds, pdf = timed(lambda: renderer.render([next(plain)]), repeat)
    print(f"{label:<58} {seconds:7.3f} s/invoice   {len(pdf) / 1024:7.1f} KB")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--baseline", action="store_true", help="also measure the full system CJK font")
    args = parser.parse_args()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    invoices = fake_invoices(args.count)
    import weasyprint

    print(f"WeasyPrint {weasyprint.__version__}, {args.count} invoices, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} (other processes slow the wall-clock figures)\n")

    started = time.perf_counter()
    installed = FontLibrary()
    installed.ensure_built()
    print(f"{'font subset build (0 if already built)':<58} {time.perf_counter() - started:7.2f} s")
    # A copy of the built font in a fresh folder, so the rare-character supplement is built here.
    scratch = Path(tempfile.mkdtemp(prefix="oms-bench-fonts-"))
    atexit.register(shutil.rmtree, scratch, True)
    for name in ("oms-mono.ttf", "manifest.json"):
        shutil.copy(installed.font_dir / name, scratch / name)
    library = FontLibrary(font_dir=scratch)
    renderer = InvoicePdfRenderer(library)
    atexit.register(renderer.close)
    started = time.perf_counter()
    renderer.warm_up()
    renderer.render(invoices[:1])
    print(f"{'first invoice in a fresh process (cold)':<58} {time.perf_counter() - started:7.3f} s")
    single(renderer, invoices, "single invoice, warm (project subset, HarfBuzz subsetter)")
    rare = [inv for inv in invoices if inv.buyer_name in RARE][:1]
    started = time.perf_counter()
    changed = library.ensure_covered(renderer.html(rare))
    print(f"{'new rare character: supplement font built' if changed else 'supplement already covers the rare name':<58}"
          f" {time.perf_counter() - started:7.3f} s")
    seconds, pdf = timed(lambda: renderer.render(rare), 5)
    print(f"{'single invoice with a rare name (' + rare[0].buyer_name + '), warm':<58} {seconds:7.3f} s/invoice   "
          f"{len(pdf) / 1024:7.1f} KB")
    use_fonttools_subsetter(True)
    single(renderer, invoices, "single invoice, warm (project subset, fontTools subsetter)", repeat=3)
    use_fonttools_subsetter(False)

    started, cpu = time.perf_counter(), time.process_time()
    merged = renderer.render_merged(invoices)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{f'{args.count} invoices as one merged PDF':<58} {args.count / seconds:7.1f} invoices/s "
          f"({seconds:.1f} s wall, {args.count / cpu:.0f}/s of CPU time; {len(merged) / 1024 / 1024:.2f} MB, "
          f"{len(merged) / args.count / 1024:.1f} KB/invoice)")
    started, cpu = time.perf_counter(), time.process_time()
    sizes = [len(pdf) for _inv, pdf in renderer.render_each(invoices)]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{f'{args.count} invoices as separate PDFs':<58} {args.count / seconds:7.1f} invoices/s "
          f"({seconds:.1f} s wall, {args.count / cpu:.0f}/s of CPU time; median {statistics.median(sizes) / 1024:.1f}"
          f" KB, max {max(sizes) / 1024:.1f} KB)")

    if args.baseline:
        print("\nbaseline: the full Noto Sans Mono CJK SC face (19 MB collection) through fontconfig")
        system = InvoicePdfRenderer(SystemFontLibrary())
        single(system, invoices, "single invoice, warm (full font, HarfBuzz subsetter)")
        use_fonttools_subsetter(True)
        single(system, invoices, "single invoice, warm (full font, fontTools subsetter)", repeat=2)
        use_fonttools_subsetter(False)
        count = min(args.count, 100)
        started = time.perf_counter()
        merged = system.render_merged(invoices[:count])
        seconds = time.perf_counter() - started
        print(f"{f'{count} invoices as one merged PDF (full font)':<58} {count / seconds:7.1f} invoices/s "
              f"({len(merged) / 1024 / 1024:.2f} MB)")


if __name__ == "__main__":
    main()
