"""Journal vouchers for the accounting software (金蝶/用友-style voucher import), per day or month.

Each journal entry becomes one voucher (凭证字 "记", numbered from 1 within its accounting month,
in posting order), each of its lines one row. The layout (docs/finance-export.md):

    日期 | 凭证字 | 凭证号 | 分录号 | 摘要 | 科目编码 | 科目名称 | 借方金额 | 贷方金额 |
    客户编码 | 客户名称 | 业务单号 | 制单人

An entry is exported once: it keeps its voucher number in `ExportedVoucher`, and a later export of
the same period leaves it out unless asked (`include_exported=True`, then it appears with the same
number). Debits and credits of an export are the journal's lines to the cent, and the export
checks that before it stores the file.
"""

from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from core.actors import actor_user
from core.errors import ValidationFailed
from finance.models import Account, JournalEntry, JournalLine
from oms.integrations.models import ExportedVoucher, VoucherExport

WORD = "记"
HEADER = ["日期", "凭证字", "凭证号", "分录号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额",
          "客户编码", "客户名称", "业务单号", "制单人"]
ACCOUNT_NAMES = {
    Account.BANK: "银行存款",
    Account.RECEIVABLE: "应收账款",
    Account.ADVANCE: "预收账款",
    Account.OUTPUT_VAT: "应交税费-应交增值税(销项税额)",
    Account.REFUNDS_PAYABLE: "其他应付款-应付退款",
    Account.REVENUE: "主营业务收入",
}
SUMMARIES = {
    "payment": "收到货款", "refund_requested": "应付退款", "refund_paid": "支付退款",
    "refund_withdrawn": "撤销退款", "revenue": "确认收入", "revenue_reversal": "冲减收入",
}
AUXILIARY_ACCOUNTS = {Account.RECEIVABLE, Account.ADVANCE, Account.REFUNDS_PAYABLE}  # 往来科目: customer


@dataclass
class VoucherRow:
    day: date
    word: str
    number: int
    line_no: int
    summary: str
    account: str
    account_name: str
    debit: Decimal
    credit: Decimal
    customer_code: str
    customer_name: str
    order_number: str
    maker: str

    def cells(self) -> list:
        return [self.day, self.word, self.number, self.line_no, self.summary, self.account, self.account_name,
                self.debit, self.credit, self.customer_code, self.customer_name, self.order_number, self.maker]


def period_bounds(*, period: str, day: date) -> tuple[date, date]:
    if period == VoucherExport.Period.DAY:
        return day, day
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def _aware(value: date) -> datetime:
    return timezone.make_aware(datetime.combine(value, time.min))


def _entries(date_from: date, date_to: date, include_exported: bool):
    qs = (JournalEntry.objects.filter(posted_at__gte=_aware(date_from), posted_at__lt=_aware(date_to + timedelta(1)))
          .select_related("order__customer", "exported_voucher").prefetch_related("lines")
          .order_by("posted_at", "pk"))
    if not include_exported:
        qs = qs.filter(exported_voucher__isnull=True)
    return list(qs)


def customer_code(customer) -> str:
    return f"C{customer.pk:06d}"


def _rows(entries, numbers: dict[int, ExportedVoucher]) -> list[VoucherRow]:
    rows = []
    for entry in entries:
        voucher = numbers[entry.pk]
        order = entry.order
        customer = order.customer if order is not None else None
        summary = SUMMARIES.get(entry.kind, entry.get_kind_display())
        if order is not None:
            summary = f"{summary} {order.number}"
        for line_no, line in enumerate(sorted(entry.lines.all(), key=lambda jl: (jl.credit > 0, jl.pk)), start=1):
            with_customer = customer is not None and line.account in AUXILIARY_ACCOUNTS
            rows.append(VoucherRow(
                day=timezone.localtime(entry.posted_at).date(), word=voucher.word, number=voucher.number,
                line_no=line_no, summary=summary[:60], account=line.account,
                account_name=ACCOUNT_NAMES.get(line.account, line.account), debit=line.debit, credit=line.credit,
                customer_code=customer_code(customer) if with_customer else "",
                customer_name=customer.name if with_customer else "", order_number=order.number if order else "",
                maker=entry.actor_name[:20]))
    return rows


def render_csv(rows: list[VoucherRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        cells = row.cells()
        cells[0] = row.day.isoformat()
        cells[7], cells[8] = f"{row.debit:.2f}", f"{row.credit:.2f}"
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel and the importers read UTF-8


def render_xlsx(rows: list[VoucherRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "凭证"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row.cells())
        sheet.cell(row=sheet.max_row, column=1).number_format = "yyyy-mm-dd"
        for column in (8, 9):
            sheet.cell(row=sheet.max_row, column=column).number_format = "#,##0.00"
    for letter, width in zip("ABCDEFGHIJKLM", [12, 7, 7, 7, 32, 10, 30, 14, 14, 10, 12, 20, 12], strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def journal_totals(*, date_from: date, date_to: date, entry_ids=None) -> tuple[Decimal, Decimal]:
    qs = JournalLine.objects.filter(entry__posted_at__gte=_aware(date_from),
                                    entry__posted_at__lt=_aware(date_to + timedelta(1)))
    if entry_ids is not None:
        qs = qs.filter(entry_id__in=entry_ids)
    sums = qs.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return sums["debit"] or Decimal("0.00"), sums["credit"] or Decimal("0.00")


@transaction.atomic
def voucher_export_create(*, period: str, day: date, file_format: str = VoucherExport.Format.XLSX,
                          include_exported: bool = False, actor) -> VoucherExport:
    """Export the day's or month's journal entries not exported yet (or all of them when asked)."""
    if period not in VoucherExport.Period.values:
        raise ValidationFailed(errors={"period": ["day / month"]})
    if file_format not in VoucherExport.Format.values:
        raise ValidationFailed(errors={"file_format": ["xlsx / csv"]})
    date_from, date_to = period_bounds(period=period, day=day)
    export = VoucherExport.objects.create(period=period, date_from=date_from, date_to=date_to,
                                          file_format=file_format, include_exported=include_exported,
                                          created_by=actor_user(actor), content=b"", filename="")
    entries = _entries(date_from, date_to, include_exported)
    numbers = {}
    for entry in entries:
        existing = getattr(entry, "exported_voucher", None)
        if existing is not None:
            numbers[entry.pk] = existing
            continue
        month = timezone.localtime(entry.posted_at).strftime("%Y-%m")
        last = (ExportedVoucher.objects.select_for_update().filter(word=WORD, period=month)
                .aggregate(n=Max("number"))["n"] or 0)
        numbers[entry.pk] = ExportedVoucher.objects.create(entry=entry, export=export, word=WORD, period=month,
                                                           number=last + 1)
    rows = _rows(entries, numbers)
    debit = sum((r.debit for r in rows), Decimal("0.00"))
    credit = sum((r.credit for r in rows), Decimal("0.00"))
    expected = journal_totals(date_from=date_from, date_to=date_to, entry_ids=[e.pk for e in entries])
    if (debit, credit) != expected or debit != credit:  # never hand finance a file that does not balance
        raise ValidationFailed(f"voucher totals {debit}/{credit} differ from the journal {expected}")
    export.vouchers, export.total_debit, export.total_credit = len(entries), debit, credit
    stem = f"凭证_{date_from:%Y%m%d}" + ("" if period == VoucherExport.Period.DAY else f"-{date_to:%Y%m%d}")
    export.filename = f"{stem}_{export.pk}.{file_format}"
    export.content = render_xlsx(rows) if file_format == VoucherExport.Format.XLSX else render_csv(rows)
    export.save()
    return export
