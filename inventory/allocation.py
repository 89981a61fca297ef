"""Allocation strategies: which warehouses serve an order, and from which lots.

A strategy sees plain data (no ORM): the order's lines, the shipping province and, per candidate
warehouse, how much of each product it can give. It answers with a plan (line → warehouse →
quantity) or `None` when the stock is not there. The reservation service locks, reads, asks the
strategy, then writes; so a strategy can be swapped with the setting `OMS_ALLOCATION_STRATEGY`
(a dotted path to a class) without touching locking or the ledger.

The default, `NearestWarehouseStrategy`:
1. orders warehouses by the province's priority table (rank 1 first), then warehouses in the same
   region as the address, then the rest (by code);
2. takes the first warehouse that can ship the whole order;
3. otherwise the smallest set of warehouses that can (nearest sets first), splitting lines only
   where needed;
4. inside a warehouse, lots first-expired-first-out, then first-in-first-out.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class LineDemand:
    line_id: int
    product_id: int
    quantity: int


@dataclass(frozen=True)
class Candidate:
    """A warehouse that could ship: `available` maps product id → units it can give now."""

    warehouse_id: int
    code: str
    region: str | None
    rank: int | None  # from the province's priority table; None when the table does not list it
    available: dict[int, int]


@dataclass(frozen=True)
class AllocationRequest:
    demands: tuple[LineDemand, ...]
    province: str | None
    region: str | None
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Pick:
    line_id: int
    warehouse_id: int
    quantity: int


@dataclass
class AllocationPlan:
    picks: list[Pick] = field(default_factory=list)

    @property
    def warehouse_ids(self) -> list[int]:
        return list(dict.fromkeys(p.warehouse_id for p in self.picks))


@dataclass(frozen=True)
class LotOption:
    lot_id: int
    free: int
    received_at: datetime
    expiry_date: date | None


class NearestWarehouseStrategy:
    """Nearest single warehouse, else the fewest warehouses; FEFO then FIFO lots."""

    #: Above this many candidate warehouses the exact search for the fewest warehouses gives way to
    #: a greedy choice (2^n subsets).
    exact_search_limit = 12

    def rank_candidates(self, request: AllocationRequest) -> list[Candidate]:
        def key(c: Candidate):
            return (c.rank is None, c.rank or 0, c.region != request.region if request.region else True, c.code)

        return sorted(request.candidates, key=key)

    def plan(self, request: AllocationRequest) -> AllocationPlan | None:
        needed: dict[int, int] = defaultdict(int)
        for demand in request.demands:
            needed[demand.product_id] += demand.quantity
        ranked = [c for c in self.rank_candidates(request) if any(c.available.get(p, 0) > 0 for p in needed)]
        chosen = self.choose_warehouses(ranked, needed)
        if chosen is None:
            return None
        return self.split(request.demands, chosen)

    def choose_warehouses(self, ranked: list[Candidate], needed: dict[int, int]) -> list[Candidate] | None:
        def covers(group) -> bool:
            return all(sum(c.available.get(p, 0) for c in group) >= qty for p, qty in needed.items())

        if not covers(ranked):
            return None
        if len(ranked) <= self.exact_search_limit:
            for size in range(1, len(ranked) + 1):
                # combinations() keeps the ranked order, so nearer sets of a size come first.
                for group in itertools.combinations(ranked, size):
                    if covers(group):
                        return list(group)
        # Greedy: repeatedly take the warehouse that covers most of what is still missing.
        remaining = dict(needed)
        chosen: list[Candidate] = []
        pool = list(ranked)
        while any(q > 0 for q in remaining.values()):
            best = max(pool, key=lambda c: (sum(min(c.available.get(p, 0), q) for p, q in remaining.items()),
                                            -pool.index(c)))
            pool.remove(best)
            chosen.append(best)
            for p, q in remaining.items():
                remaining[p] = max(q - best.available.get(p, 0), 0)
        return sorted(chosen, key=ranked.index)

    def split(self, demands, chosen: list[Candidate]) -> AllocationPlan:
        left = {c.warehouse_id: dict(c.available) for c in chosen}
        plan = AllocationPlan()
        for demand in demands:
            wanted = demand.quantity
            for c in chosen:
                if wanted == 0:
                    break
                take = min(wanted, left[c.warehouse_id].get(demand.product_id, 0))
                if take > 0:
                    plan.picks.append(Pick(line_id=demand.line_id, warehouse_id=c.warehouse_id, quantity=take))
                    left[c.warehouse_id][demand.product_id] -= take
                    wanted -= take
        return plan

    def lot_order(self, lots: list[LotOption]) -> list[LotOption]:
        """First expired, first out; lots without expiry after those with one; then oldest receipt first."""
        return sorted(lots, key=lambda lot: (lot.expiry_date is None, lot.expiry_date or date.max,
                                             lot.received_at, lot.lot_id))


DEFAULT_STRATEGY = "inventory.allocation.NearestWarehouseStrategy"


@lru_cache(maxsize=4)
def _load(path: str):
    return import_string(path)()


def get_strategy():
    return _load(getattr(settings, "OMS_ALLOCATION_STRATEGY", DEFAULT_STRATEGY))
