import pytest
from django.core.management import CommandError, call_command

from inventory.models import Lot, Stock
from inventory.selectors import stock_drift
from inventory.services import order_stock_reserve
from inventory.tests.factories import TEST_ACTOR, stock_up
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def test_clean_ledger_passes(capsys):
    product = stock_up(quantity=5)
    order_stock_reserve(order=create_order(lines=[(product, 2)]), actor=TEST_ACTOR)
    call_command("check_stock")
    assert "no drift" in capsys.readouterr().out


@pytest.mark.parametrize("field, value, what", [
    ("on_hand", 7, "stock.on_hand≠ledger"),
    ("reserved", 0, "stock.reserved≠ledger"),
])
def test_a_level_written_behind_the_ledger_is_reported(field, value, what, capsys):
    product = stock_up(quantity=5)
    order_stock_reserve(order=create_order(lines=[(product, 2)]), actor=TEST_ACTOR)
    Stock.objects.filter(product=product).update(**{field: value})  # what a bad migration or a hand edit does
    assert what in {d.what for d in stock_drift()}
    with pytest.raises(CommandError) as exc:
        call_command("check_stock")
    assert exc.value.returncode == 2
    assert what in capsys.readouterr().err


def test_lot_drift_is_reported():
    product = stock_up(quantity=5)
    Lot.objects.filter(stock__product=product).update(quantity=4)
    assert {d.what for d in stock_drift()} >= {"lot.quantity≠ledger", "stock.on_hand≠lots"}
