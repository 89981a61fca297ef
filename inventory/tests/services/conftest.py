import pytest

from inventory.tests.factories import WarehouseFactory, priority


@pytest.fixture
def warehouses():
    """Shanghai, Beijing and Guangzhou, with priority tables for 浙江, 北京 and 广东 (nearest first)."""
    sh = WarehouseFactory(code="SH01", province="上海市")
    bj = WarehouseFactory(code="BJ01", province="北京市")
    gz = WarehouseFactory(code="GZ01", province="广东省")
    priority("浙江省", sh, bj, gz)
    priority("北京市", bj, sh, gz)
    priority("广东省", gz, sh, bj)
    return sh, bj, gz


@pytest.fixture
def two_warehouses():
    return WarehouseFactory(code="SH01"), WarehouseFactory(code="BJ01", province="北京市")
