"""Ten thousand platform orders over a hundred pages, throttled, with a page failing midway.

This is the issue's "done means" test; it takes a few minutes (each order goes through the full
creation and review path). `OMS_CONNECTOR_TEST_ORDERS` makes it smaller while developing.
"""

import os
from collections import Counter

import pytest

from oms.integrations.connectors.base import adapter_for
from oms.integrations.connectors.fake_douyin import unix
from oms.integrations.connectors.sync import connector_pull
from oms.integrations.models import PlatformOrderLink, SyncStatus
from oms.integrations.tests.test_connector_pull import SKUS, START, SimulatedClock, connector, platform, window_end  # noqa: F401
from orders.models import Order

pytestmark = pytest.mark.django_db

COUNT = int(os.environ.get("OMS_CONNECTOR_TEST_ORDERS", "10000"))


def test_every_order_once_despite_throttling_and_a_failing_page(platform, connector):  # noqa: F811
    ids = platform.seed(COUNT, skus=SKUS, start=unix(START) + 10, step=3)
    pages = -(-COUNT // 100)
    platform.throttle_every = 3  # the platform refuses every third request as over its rate
    platform.fail_calls = {pages // 2: 2}  # and a page in the middle fails twice before it answers
    clock = SimulatedClock()
    run = connector_pull(connector=connector, until=window_end(), adapter=adapter_for(connector, clock=clock,
                                                                                     sleep=clock.sleep))
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert (run.fetched, run.created, run.failed) == (COUNT, COUNT, 0) and run.pages >= pages
    assert run.throttled > 0 and run.requests > pages
    assert clock.now >= (run.requests - 1) / float(connector.requests_per_second)  # the rate limit was kept
    numbers = Counter(Order.objects.filter(channel__code="douyin").values_list("external_id", flat=True))
    assert len(numbers) == COUNT and set(numbers) == set(ids) and max(numbers.values()) == 1
    assert PlatformOrderLink.objects.count() == COUNT
