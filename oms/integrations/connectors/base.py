"""The connector framework: what an adapter for one platform implements, and the machinery it shares.

An adapter turns a `ChannelConnector` row (credentials, page size, rate) into calls of the platform's
API. It knows nothing of OMS tables: `fetch_page` returns raw platform orders, `normalise` turns one
into a `PlatformOrder` whose `api_order` is a `POST /api/v1/orders` body, and `push_stock` /
`push_tracking` send data back. `sync.connector_pull` does the rest (windows, paging, idempotency,
changes, the sync log).

Every request goes through `Adapter.call`, which waits for the rate limiter (a token bucket of
`requests_per_second`) and retries what the platform calls transient (throttled, busy, network
errors) with exponential back-off, up to `max_retries`. The clock and the sleep are injectable, so
a test can pull ten thousand orders under a rate limit without waiting for it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class PlatformError(Exception):
    """The platform refused or failed a request; `message` is the platform's own words."""

    retryable = False

    def __init__(self, message: str, *, code: str = "", retryable: bool | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" if self.code else self.message


class Throttled(PlatformError):
    """The platform's rate limit answered; wait and ask again."""

    retryable = True


@dataclass
class Page:
    orders: list[dict]
    has_more: bool
    total: int | None = None


@dataclass
class PlatformOrder:
    """One platform order as OMS understands it."""

    external_id: str
    status: str  # "unpaid", "paid", "shipped", "completed", "cancelled"
    updated_at: datetime | None
    api_order: dict  # a POST /api/v1/orders body
    refund_requested: bool = False
    raw: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """What OMS cares about; a change of anything else on the platform is not a change here."""
        relevant = {"status": self.status, "order": self.api_order, "refund": self.refund_requested}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def fen_to_yuan(fen) -> str:
    """Platforms send money as integer fen; the API takes yuan strings with two decimals."""
    return f"{(Decimal(int(fen)) / 100):.2f}"


class RateLimiter:
    """A token bucket: at most `rate` requests a second on average, bursts of `burst`."""

    def __init__(self, rate: float, *, burst: int = 1, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate, self.burst, self.clock, self.sleep = max(float(rate), 0.001), max(burst, 1), clock, sleep
        self.tokens = float(self.burst)
        self.last = clock()

    def acquire(self) -> float:
        """Take a token, sleeping until one is there; return how long we waited."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        wait = (1 - self.tokens) / self.rate
        self.sleep(wait)
        self.last = self.clock()
        self.tokens = 0.0
        return wait


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    """1, 2, 4 … seconds, at most a minute, before the `attempt`-th retry."""
    return min(base * 2 ** max(attempt - 1, 0), cap)


@dataclass
class CallStats:
    requests: int = 0
    throttled: int = 0
    retried: int = 0
    waited: float = 0.0


class Adapter:
    """Base of the platform adapters. Subclasses set `platform` and implement the four methods."""

    platform = ""
    label = ""

    def __init__(self, config, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.clock, self.sleep = clock, sleep
        self.limiter = RateLimiter(float(config.requests_per_second), clock=clock, sleep=sleep)
        self.stats = CallStats()

    # -- what an adapter implements -------------------------------------------------------------
    def request(self, method: str, params: dict) -> dict:
        """Send one signed request; return the response's data or raise PlatformError/Throttled."""
        raise NotImplementedError

    def fetch_page(self, *, since: datetime, until: datetime, page: int) -> Page:
        raise NotImplementedError

    def normalise(self, raw: dict, *, channel_code: str) -> PlatformOrder:
        raise NotImplementedError

    def order_key(self, raw: dict) -> str:
        """The platform's id of a raw order."""
        raise NotImplementedError

    def updated_at(self, raw: dict) -> datetime | None:
        """When the platform last changed a raw order (the search's sort key)."""
        raise NotImplementedError

    def push_stock(self, *, sku: str, quantity: int) -> None:
        raise NotImplementedError

    def push_tracking(self, *, external_id: str, carrier: str, tracking_number: str) -> None:
        raise NotImplementedError

    # -- shared: rate limit and retries -----------------------------------------------------------
    def call(self, method: str, params: dict) -> dict:
        attempt = 0
        while True:
            self.stats.waited += self.limiter.acquire()
            self.stats.requests += 1
            try:
                return self.request(method, params)
            except PlatformError as exc:
                if isinstance(exc, Throttled):
                    self.stats.throttled += 1
                if not exc.retryable or attempt >= self.config.max_retries:
                    raise
                attempt += 1
                self.stats.retried += 1
                pause = backoff_seconds(attempt)
                self.stats.waited += pause
                self.sleep(pause)


_ADAPTERS: dict[str, type[Adapter]] = {}


def register(cls: type[Adapter]) -> type[Adapter]:
    _ADAPTERS[cls.platform] = cls
    return cls


def adapter_choices() -> list[tuple[str, str]]:
    return [(code, cls.label or code) for code, cls in sorted(_ADAPTERS.items())]


def adapter_for(config, **kwargs) -> Adapter:
    from oms.integrations.connectors import douyin  # noqa: F401  (registers the reference adapter)

    try:
        cls = _ADAPTERS[config.platform]
    except KeyError:
        raise PlatformError(f"no adapter for platform {config.platform!r}") from None
    return cls(config, **kwargs)
