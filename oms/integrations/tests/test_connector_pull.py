"""Pulling orders from the Douyin-shaped fake platform: paging, rate limits, failures, changes."""

from datetime import UTC, datetime, timedelta

import pytest

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from finance.invariants import ledger_problems
from inventory.selectors import stock_drift
from oms.integrations.connectors import sync
from oms.integrations.connectors.base import RateLimiter, adapter_for
from oms.integrations.connectors.fake_douyin import FakeDouyin, unix
from oms.integrations.models import ChannelConnector, PlatformOrderLink, SyncItem, SyncStatus
from orders.models import Channel, Order, OrderStatus

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
SKUS = ["DY-001", "DY-002", "DY-003"]


class SimulatedClock:
    """Time that passes only when somebody sleeps: rate limits and back-off without waiting."""

    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def platform():
    fake = FakeDouyin()
    fake.url = fake.serve()
    yield fake
    fake.stop()


@pytest.fixture
def connector(platform):
    for sku in SKUS:
        ProductFactory(sku=sku)
    return ChannelConnector.objects.create(
        channel=Channel.objects.get(code="douyin"), code="dy-shop", platform="douyin", base_url=platform.url,
        app_key=platform.app_key, app_secret=platform.app_secret, access_token="tok", page_size=100,
        requests_per_second=2, max_window_hours=24 * 40, initial_since=START)


def pull(connector, clock=None, **kwargs):
    clock = clock or SimulatedClock()
    adapter = adapter_for(connector, clock=clock, sleep=clock.sleep)
    return sync.connector_pull(connector=connector, adapter=adapter, **kwargs)


def window_end(hours=24 * 30):
    return START + timedelta(hours=hours)


def test_orders_are_created_through_the_api_path_with_fen_turned_into_yuan(platform, connector):
    platform.add_order("6900001", update_time=unix(START) + 60, skus=[("DY-001", 2, 19900), ("DY-002", 1, 5900)],
                       post_amount=1000, discount=1000)
    run = pull(connector, until=window_end())
    assert (run.status, run.fetched, run.created, run.skipped, run.failed) == (SyncStatus.SUCCEEDED, 1, 1, 0, 0)
    order = Order.objects.get(external_id="6900001")
    assert order.channel.code == "douyin" and order.source == "api"
    assert [(line.product.sku, line.quantity, str(line.unit_price)) for line in order.lines.order_by("pk")] == [
        ("DY-001", 2, "199.00"), ("DY-002", 1, "59.00")]
    assert str(order.shipping_fee) == "10.00" and str(order.total) == "457.00"  # 398 + 59 − 10 + 10
    assert str(order.paid_amount) == "457.00" and order.province and order.address_detail.startswith("幸福路")
    assert connector.cursor == window_end()
    [item] = run.items.all()
    assert item.outcome == SyncItem.Outcome.CREATED and item.order_number == order.number


def test_pulling_the_same_window_twice_creates_nothing_twice(platform, connector):
    platform.seed(30, skus=SKUS, start=unix(START) + 10)
    first = pull(connector, until=window_end())
    second = pull(connector, since=START, until=window_end())
    assert (first.created, second.created, second.skipped) == (30, 0, 30)
    assert Order.objects.filter(channel__code="douyin").count() == 30
    assert PlatformOrderLink.objects.count() == 30


def test_unpaid_orders_wait_until_paid_and_invalid_ones_are_logged_with_the_message(platform, connector):
    platform.add_order("6900001", update_time=unix(START) + 60, skus=[("DY-001", 1, 19900)], status=1)
    platform.add_order("6900002", update_time=unix(START) + 70, skus=[("NOPE-9", 1, 19900)])
    run = pull(connector, until=window_end(1))
    assert (run.created, run.skipped, run.failed, run.status) == (0, 1, 1, SyncStatus.PARTIAL)
    [item] = run.items.all()
    assert item.external_id == "6900002" and "NOPE-9" in item.message
    platform.change("6900001", at=unix(START) + 7200, order_status=2)  # the buyer paid
    run = pull(connector, until=window_end(3))
    assert run.created == 1 and Order.objects.filter(external_id="6900001").exists()


def test_a_lost_page_keeps_the_cursor_and_the_retry_button_finishes_the_window(platform, connector):
    platform.seed(250, skus=SKUS, start=unix(START) + 10)
    platform.fail_calls = {2: 99}  # the second page keeps failing: retries give up
    connector.max_retries = 2
    run = pull(connector, until=window_end())
    assert run.status == SyncStatus.FAILED and "服务繁忙" in run.error and run.created == 100
    connector.refresh_from_db()
    assert connector.cursor is None  # the window is not done
    platform.fail_calls = {}
    retry = sync.connector_retry_run(run=run, adapter=adapter_for(connector, sleep=lambda s: None))
    assert (retry.status, retry.created, retry.skipped, retry.retry_of) == (SyncStatus.SUCCEEDED, 150, 100, run)
    assert Order.objects.filter(channel__code="douyin").count() == 250


def test_rate_limiter_spaces_requests():
    clock = SimulatedClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert clock.now == pytest.approx(2.0)  # the first is free, then one every half second


def test_an_order_changed_after_the_pull_is_updated_or_held_never_duplicated(platform, connector):
    from inventory.tests.factories import stock_up
    from logistics.tests.factories import warehouse

    stock_up(Product.objects.get(sku="DY-001"), 10, warehouse=warehouse())  # A2 reserves stock, its cancel releases
    for n, order_id in enumerate(["A1", "A2", "A3", "A4"]):
        platform.add_order(order_id, update_time=unix(START) + 60 + n, skus=[("DY-001", 1, 19900)])
    pull(connector, until=window_end(1))
    assert Order.objects.filter(channel__code="douyin").count() == 4
    later = unix(START) + 5400
    platform.change("A1", at=later, detail="新地址路8号")
    platform.change("A2", at=later, order_status=4, cancel_reason="买家取消")
    platform.change("A3", at=later, refund_status=1)
    platform.change("A4", at=later, order_status=3)  # shipped on the platform's side: nothing for OMS to do
    run = pull(connector, until=window_end(2))
    assert (run.fetched, run.created, run.updated, run.skipped) == (4, 0, 3, 1)
    orders = {o.external_id: o for o in Order.objects.filter(channel__code="douyin")}
    assert len(orders) == 4
    assert orders["A1"].address_detail == "新地址路8号"
    assert orders["A2"].status == OrderStatus.CANCELLED
    assert orders["A3"].status == OrderStatus.ON_HOLD and "platform_refund_requested" in orders["A3"].hold_reasons
    assert pull(connector, since=START, until=window_end(2)).updated == 0  # and again: nothing new
    assert ledger_problems() == [] and stock_drift() == []  # the three flows still agree


def test_goods_changed_on_the_platform_put_the_order_on_hold(platform, connector):
    platform.add_order("B1", update_time=unix(START) + 60, skus=[("DY-001", 1, 19900)])
    pull(connector, until=window_end(1))
    order = platform.orders["B1"]
    order["sku_order_list"][0]["item_num"] = 2
    platform.change("B1", at=unix(START) + 5400)
    run = pull(connector, until=window_end(2))
    [item] = run.items.all()
    assert item.outcome == SyncItem.Outcome.HELD
    assert Order.objects.get(external_id="B1").hold_reasons[-1] == "platform_changed"


def test_an_order_pushed_through_the_api_first_is_linked_not_created_again(platform, connector):
    from orders.tests.factories import create_order

    pushed = create_order(channel_code="douyin", external_id="P1",
                          lines=[(Product.objects.get(sku="DY-001"), 1, "199.00")])
    platform.add_order("P1", update_time=unix(START) + 60, skus=[("DY-001", 1, 19900)])
    run = pull(connector, until=window_end(1))
    assert (run.created, run.skipped) == (0, 1)
    assert PlatformOrderLink.objects.get(external_id="P1").order == pushed
    assert Order.objects.filter(external_id="P1").count() == 1


def test_orders_changing_on_the_platform_during_a_pull_do_not_hide_others(platform, connector):
    """With offset paging, an order of page 1 changing while page 2 is read shifts an unread order into
    page 1; reading from the last order's update time (keyset) cannot skip it."""
    ids = platform.seed(300, skus=SKUS, start=unix(START) + 10)
    platform.after_search = lambda n: platform.change(ids[n * 10], at=unix(START) + 10**6) if n <= 2 else None
    run = pull(connector, until=window_end())
    assert run.fetched == 300 and run.created == 300 and run.status == SyncStatus.SUCCEEDED
