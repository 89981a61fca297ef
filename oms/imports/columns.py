"""The legacy order template's columns (contract: import-template.md) and header matching."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

ORDER = "order"
LINE = "line"


@dataclass(frozen=True)
class Column:
    key: str  # the English header
    zh: str  # the Chinese header
    required: bool
    level: str
    accepts: object  # lazy text for the template's explanation sheet
    example: object = ""
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("order_number", "订单号", True, ORDER, _("The old system's order number."), "LEGACY-2024-0001", 64),
    Column("channel", "渠道", True, ORDER,
           _("Channel code or its Chinese name: 天猫, 京东, 抖音, 官网, 小程序, 门店."), "天猫"),
    Column("ordered_at", "下单时间", True, ORDER,
           _("2024-03-01 10:00[:00], 2024/3/1 10:00, 2024-03-01, a date cell or an Excel serial number; "
             "Beijing time."), "2024-03-01 10:00"),
    Column("customer_name", "客户名称", True, ORDER, _("The customer's (and recipient's) name."), "张三", 100),
    Column("phone", "手机", True, ORDER,
           _("Mainland mobile (11 digits starting 13–19) with optional +86/0086, spaces, dashes, full-width "
             "digits; or a landline 0xx(x)-xxxxxxx(x)."), "138 1234 5678"),
    Column("province", "省", True, ORDER, _("Province."), "浙江省", 32),
    Column("city", "市", True, ORDER, _("City."), "杭州市", 32),
    Column("district", "区", False, ORDER, _("District (optional)."), "西湖区", 32),
    Column("address", "详细地址", True, ORDER, _("Street and house number."), "文三路 100 号", 255),
    Column("sku", "SKU", True, LINE, _("Must exist in the catalog (case does not matter)."), "SKU-001", 64),
    Column("quantity", "数量", True, LINE, _("A positive whole number."), "2"),
    Column("unit_price", "单价", True, LINE,
           _("Amount ≥ 0; ¥/￥, thousands separators and full-width digits are allowed."), "¥1,299.00"),
    Column("discount", "折扣", False, LINE, _("Amount ≥ 0 and at most quantity × unit price; default 0."), "100"),
    Column("shipping_fee", "运费", False, ORDER, _("Amount ≥ 0; default 0."), "10"),
    Column("status", "状态", False, ORDER,
           _("待审核, 待付款, 待发货, 已发货, 已完成, 已取消 or the state code; default 待审核."), "已完成"),
    Column("payment_method", "支付方式", False, ORDER,
           _("支付宝/alipay, 微信/wechat, 银联/unionpay, 银行转账/bank_transfer, 货到付款/cod."), "支付宝"),
    Column("paid_amount", "已付金额", False, ORDER, _("Amount ≥ 0 and at most the order total."), "2508.00"),
    Column("carrier", "物流公司", False, ORDER,
           _("顺丰/sf, 中通/zto, 圆通/yto, 申通/sto, 韵达/yunda, 京东物流/jd, EMS/ems."), "顺丰"),
    Column("tracking_number", "运单号", False, ORDER, _("Required when 状态 is 已发货 or 已完成."),
           "SF1234567890", 64),
    Column("note", "备注", False, ORDER, _("Free text."), ""),
    # The buyer's invoice request (发票抬头), as the API's optional `invoice` takes it: the project's own
    # optional columns, beyond the contract's (which a file without them never notices).
    Column("invoice_type", "发票类型", False, ORDER,
           _("普通 (ordinary VAT invoice, the default) or 专用 (special VAT invoice); only with 发票抬头."), "专用"),
    Column("invoice_title", "发票抬头", False, ORDER,
           _("The buyer's invoice title; needed when any other invoice column is filled."), "杭州西湖科技有限公司",
           200),
    Column("tax_id", "税号", False, ORDER,
           _("Taxpayer ID: the 18-character unified social credit code, or 15/17/20 characters for older "
             "registrations; required for 专用."), "91330100MA2B3C4D5N", 32),
    Column("invoice_address_phone", "开票地址电话", False, ORDER,
           _("The buyer's registered address and phone; required for 专用."), "杭州市西湖区文三路 1 号 0571-88881234",
           200),
    Column("invoice_bank_account", "开户行及账号", False, ORDER,
           _("The buyer's bank and account; required for 专用."), "工商银行杭州分行 1202020209000012345", 200),
)
INVOICE_KEYS = ("invoice_type", "invoice_title", "tax_id", "invoice_address_phone", "invoice_bank_account")
BY_KEY = {c.key: c for c in COLUMNS}
KEYS = tuple(c.key for c in COLUMNS)
INDEX = {key: i for i, key in enumerate(KEYS)}
ORDER_KEYS = tuple(c.key for c in COLUMNS if c.level == ORDER)
LINE_KEYS = tuple(c.key for c in COLUMNS if c.level == LINE)

_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_header(text) -> str:
    """`  Order Number ` and `ORDER_NUMBER` and `订单号 ` all compare equal to their column."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").strip().casefold()
    return _SEPARATORS.sub("_", value)


_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    _LOOKUP[normalise_header(_column.key)] = _column.key
    _LOOKUP[normalise_header(_column.zh)] = _column.key


@dataclass
class HeaderMatch:
    positions: dict[str, int]  # column key → index in the file's rows
    written: dict[str, str]  # column key → header as written in the file
    unknown: list[str]
    missing: list[Column]
    duplicated: list[str]


def match_header(cells: list) -> HeaderMatch:
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    for index, cell in enumerate(cells):
        if cell is None or str(cell).strip() == "":
            continue
        key = _LOOKUP.get(normalise_header(cell))
        if key is None:
            unknown.append(str(cell).strip())
        elif key in positions:
            duplicated.append(str(cell).strip())
        else:
            positions[key] = index
            written[key] = str(cell).strip()
    missing = [c for c in COLUMNS if c.required and c.key not in positions]
    return HeaderMatch(positions, written, unknown, missing, duplicated)


def recognised_count(cells: list) -> int:
    return sum(1 for cell in cells if _LOOKUP.get(normalise_header(cell)))
