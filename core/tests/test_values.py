from decimal import Decimal

import pytest

from core.money import format_cny, money_str, to_money
from core.phones import normalise_phone
from core.pii import mask_email, mask_phone
from core.regions import canonical_province, region_of


@pytest.mark.parametrize("raw, expected", [("199", "199.00"), ("0.005", "0.01"), (Decimal("2.675"), "2.68"),
                                           (3, "3.00"), ("", "0.00")])
def test_money_rounds_half_up_to_cents(raw, expected):
    assert money_str(raw) == expected


def test_money_refuses_floats_and_garbage():
    with pytest.raises(TypeError):
        to_money(1.1)
    with pytest.raises(ValueError):
        to_money("abc")


def test_format_cny():
    assert format_cny("1234.5") == "¥1,234.50"
    assert format_cny("-3") == "-¥3.00"


@pytest.mark.parametrize("raw, expected", [
    ("13812341234", "13812341234"), ("+86 138-1234-1234", "13812341234"), ("0086 13812341234", "13812341234"),
    ("１３８１２３４１２３４", "13812341234"), ("0571-88881234", "0571-88881234"), ("010-12345678", "010-12345678"),
    ("01012345678", "010-12345678"), ("12345", None), ("23812341234", None), ("", None), (None, None),
])
def test_phone_forms(raw, expected):
    assert normalise_phone(raw) == expected


def test_masking():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_email("zs@example.com") == "z***@example.com"
    assert mask_phone("") == ""


@pytest.mark.parametrize("raw, canonical, region", [
    ("浙江", "浙江省", "east"), ("浙江省", "浙江省", "east"), ("广西", "广西壮族自治区", "south"),
    ("北京", "北京市", "north"), ("新疆", "新疆维吾尔自治区", "northwest"), ("火星", None, None),
])
def test_provinces(raw, canonical, region):
    assert canonical_province(raw) == canonical
    assert region_of(raw) == region
