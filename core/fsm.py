"""Running django-fsm-2 transitions the project's way.

Services call `run_transition(obj, "cancel", actor=user)`: the transition's `conditions=` guards and
`permission=` are checked, and django-fsm's `TransitionNotAllowed` becomes our `InvalidTransition`
with a message a clerk can read. A `None` actor is the system (automatic review, webhooks) and is
not subject to user permissions.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed

from core.errors import InvalidTransition, PermissionDenied


def run_transition(obj, name: str, *, actor=None, **kwargs):
    method = getattr(obj, name)
    state_before = _state_display(obj)
    if actor is not None and getattr(actor, "is_authenticated", False):
        if can_proceed(method, check_conditions=False) and not _has_permission(method, actor):
            raise PermissionDenied(
                _("You are not allowed to %(action)s this record.") % {"action": _action_label(method, name)}
            )
    try:
        return method(**kwargs)
    except TransitionNotAllowed as exc:
        raise InvalidTransition(
            _("Cannot %(action)s while the status is “%(state)s”.")
            % {"action": _action_label(method, name), "state": state_before},
            data={"transition": name, "state": getattr(obj, "status", None)},
        ) from exc


def _has_permission(method, user) -> bool:
    # django_fsm.has_transition_perm also checks the guards, so a failing guard would look like a
    # missing permission; the guard's failure must surface as InvalidTransition below instead.
    meta = method._django_fsm
    obj = method.__self__
    return meta.has_transition_perm(obj, meta.field.get_state(obj), user)


def _action_label(method, name: str) -> str:
    meta = getattr(method, "_django_fsm", None)
    if meta is not None:
        for transition in meta.transitions.values():
            label = (transition.custom or {}).get("label")
            if label:
                return str(label)
    return name.replace("_", " ")


def _state_display(obj) -> str:
    getter = getattr(obj, "get_status_display", None)
    return str(getter()) if getter else str(getattr(obj, "status", ""))
