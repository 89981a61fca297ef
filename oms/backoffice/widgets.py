"""The slot where other apps place panels on the home page (reports' charts, for one).

An app registers a widget from its `AppConfig.ready()`:

    from oms.backoffice.widgets import Widget, register
    register(Widget(key="sales-today", title=_("Sales today"), template="reports/widgets/sales_today.html",
                    context=lambda request: {...}, allowed=lambda user: user.has_perm("reports.view_report")))

The home page renders every widget the user may see, in `position` order, below the work queues;
a widget's context function runs only for the users who see it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class Widget:
    key: str
    title: str | Promise
    template: str
    context: Callable = field(default=lambda request: {})
    allowed: Callable = field(default=lambda user: True)
    position: int = 100
    wide: bool = False


WIDGETS: dict[str, Widget] = {}


def register(widget: Widget) -> None:
    WIDGETS[widget.key] = widget


def unregister(key: str) -> None:
    WIDGETS.pop(key, None)


@dataclass
class RenderedWidget:
    widget: Widget
    context: dict


def widgets_for(request) -> list[RenderedWidget]:
    shown = [w for w in WIDGETS.values() if w.allowed(request.user)]
    shown.sort(key=lambda w: (w.position, w.key))
    return [RenderedWidget(widget=w, context=w.context(request)) for w in shown]
