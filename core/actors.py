"""Who did it.

Services take `actor`: a back-office `User`, or a `SystemActor` for automatic steps and machine
callers (automatic review, an API token, a webhook sender). A SystemActor is not subject to user
permissions (machine callers are authorised by token scopes or signatures before the service is
called) but is still named on every timeline entry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    label: str
    is_authenticated = False
    pk = None

    def __str__(self) -> str:
        return self.label


SYSTEM = SystemActor("system")


def api_actor(token_name: str) -> SystemActor:
    return SystemActor(f"api:{token_name}")


def webhook_actor(sender: str) -> SystemActor:
    return SystemActor(f"webhook:{sender}")


def actor_user(actor):
    """The User to store in a foreign key, or None for system actors."""
    return actor if getattr(actor, "is_authenticated", False) else None


def actor_name(actor) -> str:
    if actor is None:
        return SYSTEM.label
    if getattr(actor, "is_authenticated", False):
        return actor.get_username()
    return str(actor)
