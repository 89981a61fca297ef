"""django-q2 entry points (scheduled by migration 0002)."""

from __future__ import annotations


def refresh_rollups() -> str:
    from oms.reports.rollups import rollups_refresh

    run = rollups_refresh()
    return f"{run.days} days in {run.seconds:.2f} s"


def send_subscriptions() -> str:
    from oms.reports.subscriptions import subscriptions_send_due

    return f"{len(subscriptions_send_due())} sent"
