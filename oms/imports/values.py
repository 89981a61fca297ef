"""Cell values as legacy spreadsheets hold them → the values the order services expect.

Each parser takes a cell as the reader yields it (str, int, float, datetime, date, bool or None)
and returns the clean value or raises `BadValue` with a message for the report. Parsers check the
*form* only (is it an amount, a date?); the business rules (≥ 0, SKU exists, discount ≤ quantity ×
price) are `orders.services.order_input_problems`, shared with every other way orders come in.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.datetime import from_excel

from logistics.models import Carrier
from orders.models import OrderStatus, PaymentMethod

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
# Excel serial numbers from 1900-01-01 up to 9999-12-31.
_SERIAL_MIN, _SERIAL_MAX = 1, 2958466


class BadValue(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def cell_text(value) -> str:
    """A cell as text, the way the user sees it: numbers without a trailing `.0`, dates ISO-like."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if (value.hour or value.minute or value.second) else (
            value.strftime("%Y-%m-%d"))
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


_AMOUNT_NOISE = Decimal("0.000001")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_PLAIN_NUMBER = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_CURRENCY_PREFIXES = ("¥", "rmb", "cny")
NOT_AN_AMOUNT = _("Not an amount: write digits such as 1299.00 (¥, ￥ and thousands separators are allowed).")
TOO_MANY_DECIMALS = _("An amount has at most two decimal places.")


_SIMPLE_AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?\Z")


def parse_amount(value) -> Decimal:
    """`¥1,299.00`, `￥１２９９`, `1299`, an Excel number → Decimal (sign kept: the rules judge it)."""
    if value.__class__ is str and _SIMPLE_AMOUNT.match(value):
        return Decimal(value).quantize(CENT)  # the common case: plain digits
    if isinstance(value, bool):
        raise BadValue(NOT_AN_AMOUNT)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        amount = Decimal(repr(value))
        rounded = amount.quantize(CENT)
        if abs(amount - rounded) >= _AMOUNT_NOISE:
            raise BadValue(TOO_MANY_DECIMALS)
        return rounded  # binary floating-point noise of a computed cell (0.1 + 0.2)
    if isinstance(value, Decimal):
        return value
    text = _nfkc(str(value)).casefold().replace(" ", "").replace("\u00a0", "")
    sign = ""
    if text.startswith(("+", "-")):
        sign, text = text[0], text[1:]
    for prefix in _CURRENCY_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    if text.endswith("元"):
        text = text[:-1]
    if not sign and text.startswith(("+", "-")):
        sign, text = text[0], text[1:]
    if "," in text:
        if not _THOUSANDS.match(text):
            raise BadValue(NOT_AN_AMOUNT)
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.match(text):
        raise BadValue(NOT_AN_AMOUNT)
    try:
        amount = Decimal(sign + text)
    except InvalidOperation:
        raise BadValue(NOT_AN_AMOUNT)
    if amount != amount.quantize(CENT):
        raise BadValue(TOO_MANY_DECIMALS)
    return amount.quantize(CENT)


NOT_A_QUANTITY = _("Must be a positive whole number.")
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")


def parse_quantity(value) -> int:
    """`2`, `２`, `1,000`, `2.0`, an Excel number → int (sign kept: the rules judge it)."""
    if value.__class__ is str and value.isascii() and value.isdigit():
        return int(value)  # the common case: plain digits
    if isinstance(value, bool):
        raise BadValue(NOT_A_QUANTITY)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise BadValue(NOT_A_QUANTITY)
    text = _nfkc(str(value)).replace(" ", "")
    if _THOUSANDS.match(text.lstrip("+-")):
        text = text.replace(",", "")
    if not _INTEGER.match(text):
        raise BadValue(NOT_A_QUANTITY)
    return int(text.split(".")[0])


NOT_A_DATE = _("Not a date and time: write 2024-03-01 10:00, 2024/3/1 10:00 or 2024-03-01, or use a date cell.")
_DATE_TIME = re.compile(
    r"^(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})|年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日?)"
    r"(?:(?:\s+|T|\s*日?\s*)(?P<H>\d{1,2})[:：时](?P<M>\d{1,2})(?:[:：分](?P<S>\d{1,2})(?:\.(?P<f>\d{1,6}))?秒?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL = re.compile(r"^\d+(\.\d+)?$")


def parse_datetime(value) -> datetime:
    """An aware datetime in Asia/Shanghai from a date cell, an Excel serial number or the text forms."""
    if isinstance(value, bool):
        raise BadValue(NOT_A_DATE)
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI) if timezone.is_aware(value) else timezone.make_aware(value, SHANGHAI)
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time()), SHANGHAI)
    if isinstance(value, int | float):
        return _from_serial(value)
    if not isinstance(value, str):
        raise BadValue(NOT_A_DATE)
    text = _nfkc(value)
    match = _DATE_TIME.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        if _SERIAL.match(text):
            return _from_serial(float(text))
        raise BadValue(NOT_A_DATE)
    parts = match.groupdict()
    try:
        naive = datetime(
            int(parts["y"]), int(parts.get("m") or parts.get("m2")), int(parts.get("d") or parts.get("d2")),
            int(parts.get("H") or 0), int(parts.get("M") or 0), int(parts.get("S") or 0),
            int((parts.get("f") or "0").ljust(6, "0")),
        )
    except ValueError:
        raise BadValue(NOT_A_DATE)
    return timezone.make_aware(naive, SHANGHAI)


def _from_serial(number: float) -> datetime:
    if not (_SERIAL_MIN <= number < _SERIAL_MAX):
        raise BadValue(NOT_A_DATE)
    naive = from_excel(number)
    if not isinstance(naive, datetime):
        raise BadValue(NOT_A_DATE)
    return timezone.make_aware(naive.replace(microsecond=0), SHANGHAI)


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", _nfkc(text).casefold())


def _aliases(mapping: dict[str, list[str]]) -> dict[str, str]:
    table = {}
    for code, names in mapping.items():
        table[_key(code)] = code
        for name in names:
            table[_key(name)] = code
    return table


STATUSES = _aliases({
    OrderStatus.PENDING_REVIEW: ["待审核", "pending review"],
    OrderStatus.AWAITING_PAYMENT: ["待付款", "awaiting payment"],
    OrderStatus.AWAITING_SHIPMENT: ["待发货", "awaiting shipment"],
    OrderStatus.SHIPPED: ["已发货", "shipped"],
    OrderStatus.COMPLETED: ["已完成", "completed"],
    OrderStatus.CANCELLED: ["已取消", "cancelled", "canceled"],
})
# States of DESIGN.md that a spreadsheet cannot carry faithfully: a hold needs its reasons, a
# partial shipment needs shipped quantities per line. They are refused with a clear message.
NOT_IMPORTABLE_STATUSES = _aliases({
    OrderStatus.ON_HOLD: ["异常待处理", "on hold"],
    OrderStatus.PARTIALLY_SHIPPED: ["部分发货", "partially shipped"],
})
PAYMENT_METHODS = _aliases({
    PaymentMethod.ALIPAY: ["支付宝"],
    PaymentMethod.WECHAT: ["微信", "微信支付", "wechat pay"],
    PaymentMethod.UNIONPAY: ["银联", "银联支付", "union pay"],
    PaymentMethod.BANK_TRANSFER: ["银行转账", "bank transfer"],
    PaymentMethod.COD: ["货到付款", "cash on delivery"],
})
CARRIERS = _aliases({
    Carrier.SF: ["顺丰", "顺丰速运", "顺丰快递", "sf express"],
    Carrier.ZTO: ["中通", "中通快递"],
    Carrier.YTO: ["圆通", "圆通速递", "圆通快递"],
    Carrier.STO: ["申通", "申通快递"],
    Carrier.YUNDA: ["韵达", "韵达快递", "韵达速递"],
    Carrier.JD: ["京东物流", "京东快递", "jd logistics"],
    Carrier.EMS: ["ems", "邮政ems", "中国邮政ems"],
})

# The template's names of the importable statuses (what the timeline, stored in Chinese, says).
STATUS_NAMES = {
    OrderStatus.PENDING_REVIEW: "待审核", OrderStatus.AWAITING_PAYMENT: "待付款",
    OrderStatus.AWAITING_SHIPMENT: "待发货", OrderStatus.SHIPPED: "已发货", OrderStatus.COMPLETED: "已完成",
    OrderStatus.CANCELLED: "已取消",
}
UNKNOWN_STATUS = _("Unknown status: use 待审核, 待付款, 待发货, 已发货, 已完成 or 已取消.")
STATUS_NOT_IMPORTABLE = _("Orders in this status cannot be imported: use 待审核, 待付款, 待发货, 已发货, 已完成 "
                          "or 已取消.")
UNKNOWN_CARRIER = _("Unknown carrier: use 顺丰, 中通, 圆通, 申通, 韵达, 京东物流 or EMS.")


def parse_status(value) -> str:
    key = _key(cell_text(value))
    if key in STATUSES:
        return STATUSES[key]
    if key in NOT_IMPORTABLE_STATUSES:
        raise BadValue(STATUS_NOT_IMPORTABLE)
    raise BadValue(UNKNOWN_STATUS)


def payment_method_code(value) -> str:
    """The payment method code, or the text as written (the order rules report an unknown method)."""
    text = cell_text(value)
    return PAYMENT_METHODS.get(_key(text), text)


def parse_carrier(value) -> str:
    code = CARRIERS.get(_key(cell_text(value)))
    if code is None:
        raise BadValue(UNKNOWN_CARRIER)
    return code


class ChannelLookup:
    """Channels by code or by name (天猫 → tmall), case-insensitively; inactive ones are unknown."""

    def __init__(self, channels):
        self.by_key = {}
        for channel in channels:
            if channel.active:
                self.by_key[_key(channel.name)] = channel
        for channel in channels:
            if channel.active:
                self.by_key[_key(channel.code)] = channel

    def get(self, value):
        text = cell_text(value)
        return self.by_key.get(_key(text)) if text else None


# -- identifier cells (订单号, 运单号, SKU, 手机) that a spreadsheet stored as numbers ---------------------

_EXACT_DIGITS = 10 ** 15  # a spreadsheet keeps 15 significant digits of a number, no more
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
LOST_DIGITS = _("This column was stored as a number and the spreadsheet has already lost digits (it shows "
                "%(value)s). Format the column as text, enter the numbers again (or re-export them from the old "
                "system) and import the file again.")


def identifier_text(value) -> str:
    """An identifier cell as the digits typed: exact for whole numbers of up to 15 digits; a number the
    spreadsheet rounded (16 or more digits, scientific notation, decimals) raises `BadValue`."""
    if value.__class__ is str:
        text = value.strip()
        if _SCIENTIFIC.match(text):
            raise BadValue(LOST_DIGITS % {"value": text})
        return text
    if isinstance(value, bool):
        return cell_text(value)
    if isinstance(value, int):
        if abs(value) >= _EXACT_DIGITS:
            raise BadValue(LOST_DIGITS % {"value": f"{float(value):.6G}"})
        return str(value)
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= _EXACT_DIGITS:
            raise BadValue(LOST_DIGITS % {"value": f"{value:.6G}"})
        return str(int(value))
    return cell_text(value)


_MOBILE_86 = re.compile(r"(?:\+86|0086|86)(1[3-9]\d{9})")
LANDLINE_LOST_ZERO = _("This landline lost its leading 0 because the column was stored as a number. Format the "
                       "column as text and write the number with its area code, e.g. 0571-88881234.")


def phone_text(value) -> str:
    """The phone as written, with a mobile given as 86/0086/+86 + 11 digits reduced to the 11 digits (a
    spreadsheet turns `+8615939255171` into the number 8615939255171). A numeric cell that is a landline
    without its leading 0 raises `BadValue`."""
    from core.phones import normalise_phone

    text = identifier_text(value)
    compact = re.sub(r"[\s\-()（）]", "", _nfkc(text))
    match = _MOBILE_86.fullmatch(compact)
    if match:
        return match.group(1)
    if not isinstance(value, str) and text and normalise_phone(text) is None and normalise_phone("0" + text):
        raise BadValue(LANDLINE_LOST_ZERO)
    return text


GBK_YEN = _("The ¥ sign became “?” when the file was saved in the GBK encoding, which has no ¥. Save the file as "
            "“CSV UTF-8”, or remove the currency sign, and import it again.")


def looks_like_gbk_yen(value) -> bool:
    """`?1,299.00`: an amount whose ¥ an Excel on Chinese Windows could not write in GBK."""
    return value.__class__ is str and bool(re.fullmatch(r"\s*[?？]\s*[\d,.]+\s*", value))
