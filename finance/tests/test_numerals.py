from decimal import Decimal

import pytest

from finance.numerals import amount_in_capitals


@pytest.mark.parametrize(
    "amount, words",
    [
        ("408.00", "肆佰零捌元整"),
        # The examples of 《支付结算办法》 附件一
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        # zeros
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("0.55", "伍角伍分"),
        ("1.05", "壹元零伍分"),
        ("10.00", "壹拾元整"),
        ("20.50", "贰拾元零伍角"),
        ("100000", "壹拾万元整"),
        ("200300", "贰拾万零叁佰元整"),
        ("1004000", "壹佰万肆仟元整"),
        ("100000300", "壹亿零叁佰元整"),
        ("100003000", "壹亿零叁仟元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("1010101.01", "壹佰零壹万零壹佰零壹元零壹分"),
        ("123456789012.34", "壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
        # credit notes
        ("-408.00", "负肆佰零捌元整"),
    ],
)
def test_amount_in_capitals(amount, words):
    assert amount_in_capitals(Decimal(amount)) == words


def test_rounds_to_cents_like_the_rest_of_the_money_code():
    assert amount_in_capitals(Decimal("0.005")) == "壹分"


def test_refuses_floats():
    with pytest.raises(TypeError):
        amount_in_capitals(1.5)
