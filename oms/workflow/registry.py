"""The registry of review checks.

A check is `fn(order, params) -> list[HoldReason]` (empty when the order passes). It reads, never
writes. Checks are registered under a code; a `ReviewRule` row with that code switches it on and
holds its thresholds, so administrators tune review without a deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orders.models import Order
from orders.services import HoldReason

CheckFn = Callable[[Order, dict], list[HoldReason]]


@dataclass(frozen=True)
class CheckSpec:
    code: str
    fn: CheckFn
    name: str
    default_params: dict
    position: int


_CHECKS: dict[str, CheckSpec] = {}


def review_check(code: str, *, name, default_params: dict | None = None, position: int = 100):
    def decorator(fn: CheckFn) -> CheckFn:
        _CHECKS[code] = CheckSpec(code=code, fn=fn, name=str(name), default_params=default_params or {},
                                  position=position)
        return fn

    return decorator


def registered_checks() -> dict[str, CheckSpec]:
    return dict(_CHECKS)


StepFn = Callable[[Order, object], list[HoldReason]]


@dataclass(frozen=True)
class StepSpec:
    code: str
    fn: StepFn
    position: int


_STEPS: dict[str, StepSpec] = {}


def review_step(code: str, *, position: int = 100):
    """A step run once the checks pass (or a reviewer approved): `fn(order, actor) -> hold reasons`.

    Later stages plug in here: the inventory stage reserves stock (a shortage is a hold reason),
    finance issues invoices. A step may write through its own stage's services; it runs inside
    the review transaction, so a hold or an error rolls its writes back.
    """

    def decorator(fn: StepFn) -> StepFn:
        _STEPS[code] = StepSpec(code=code, fn=fn, position=position)
        return fn

    return decorator


def registered_steps() -> list[StepSpec]:
    return sorted(_STEPS.values(), key=lambda spec: (spec.position, spec.code))
