"""Amounts in Chinese capital numerals (人民币大写), as cheques and invoices print them.

Follows the rules of 《支付结算办法》 附件一: 壹贰叁… with 拾佰仟, 万 and 亿 groups; 元 then 整 when
there are no 角/分; one 零 for any run of zeros between non-zero digits that no 万/亿 unit already
marks (¥107000.53 → 壹拾万柒仟元零伍角叁分, ¥200300 → 贰拾万零叁佰元整), and between 元 and 角/分
when the 元 digit or the 角 is zero (¥1680.32 → 壹仟陆佰捌拾元零叁角贰分); 壹拾 written out; nothing
written after 分. Negative amounts (credit notes) get the prefix 负.
"""

from __future__ import annotations

from core.money import to_money

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("仟", "佰", "拾", "")
GROUP_UNITS = ("", "万", "亿", "万亿")


def _integer_words(value: int) -> str:
    groups = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    if len(groups) > len(GROUP_UNITS):
        raise ValueError("amount too large for Chinese capital numerals")
    words: list[str] = []
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(words)
            continue
        for position, digit_char in enumerate(f"{group:04d}"):
            digit = int(digit_char)
            if digit == 0:
                zero_pending = zero_pending or bool(words)
                continue
            if zero_pending:
                words.append("零")
                zero_pending = False
            words.append(DIGITS[digit] + SMALL_UNITS[position])
        words.append(GROUP_UNITS[index])
        # Trailing zeros of a group are carried by its unit (壹拾万柒仟); only a zero 仟 digit of the
        # next group, or a whole zero group, needs a 零 (贰拾万零叁佰).
        zero_pending = False
    return "".join(words)


def amount_in_capitals(amount) -> str:
    """`Decimal("408.00")` → `肆佰零捌元整`; `Decimal("1680.32")` → `壹仟陆佰捌拾元零叁角贰分`."""
    value = to_money(amount)
    if value < 0:
        return "负" + amount_in_capitals(-value)
    cents = int((value * 100).to_integral_value())
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = _integer_words(yuan)
    if yuan:
        text += "元"
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if yuan and (yuan % 10 == 0 or jiao == 0):
        text += "零"
    if jiao:
        text += DIGITS[jiao] + "角"
    if fen:
        text += DIGITS[fen] + "分"
    return text

