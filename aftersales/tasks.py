"""Background jobs of the after-sales stage (django-q2; scheduled by migration 0003)."""

from __future__ import annotations

from core.actors import SystemActor


def close_settled_returns() -> int:
    """Close requests whose refunds were paid out or whose exchange replacement shipped."""
    from aftersales.services import return_requests_close_settled

    return len(return_requests_close_settled(actor=SystemActor("close_settled_returns")))
