"""Fixtures of the packing-bench service tests (scan, pack)."""

import pytest

from core.enums import Role
from logistics.tests.factories import product, released_order, shipments_of


@pytest.fixture
def clerk(make_user):
    return make_user("packer", Role.WAREHOUSE)


@pytest.fixture
def parcel():
    a, b = product(barcode="6900000000017"), product(barcode="6900000000024")
    order = released_order([(a, 2, "10.00"), (b, 1, "20.00")])
    return shipments_of(order)[0], a, b
