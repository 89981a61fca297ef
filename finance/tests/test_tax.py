from decimal import Decimal

import pytest

from finance.tax import split_gross


@pytest.mark.parametrize("gross, rate, net, tax", [
    ("398.00", "0.13", "352.21", "45.79"),
    ("10.00", "0.13", "8.85", "1.15"),
    ("100.00", "0.09", "91.74", "8.26"),
    ("0.01", "0.13", "0.01", "0.00"),
    ("-398.00", "0.13", "-352.21", "-45.79"),
    ("50.00", "0", "50.00", "0.00"),
])
def test_split_gross_adds_up_to_the_cent(gross, rate, net, tax):
    assert split_gross(Decimal(gross), Decimal(rate)) == (Decimal(net), Decimal(tax))
    assert Decimal(net) + Decimal(tax) == Decimal(gross)
