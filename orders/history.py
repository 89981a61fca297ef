"""The audit history (django-simple-history) of orders and customers, as people read it.

`history_entries` turns historical rows into "who changed what from what to what": field names
translated, choices shown by label, money as `¥1,234.00`, related rows by name, and phones and
e-mails masked for users without the PII permission. The admin's history page and the review
workbench both use it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.fieldcrypto import DerivedSearchField
from core.money import MoneyField, format_cny
from core.pii import mask_email, mask_phone, user_can_view_pii

PII_FIELDS: dict[str, Callable[[str], str]] = {"phone": mask_phone, "email": mask_email}
HISTORY_TYPES = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime
    user: str
    kind: str
    kind_label: str
    changes: list[FieldChange] = field(default_factory=list)


def _display(model_field, value, *, can_view_pii: bool, related: dict, formatters: dict) -> str:
    name = model_field.name
    if value is None or value == "" or value == []:
        return "—"
    if name in formatters:
        return formatters[name](value)
    if name in PII_FIELDS and not can_view_pii:
        return PII_FIELDS[name](str(value))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return str(related.get((model_field.related_model, value), value))
    if isinstance(model_field, MoneyField):
        return format_cny(value)
    if isinstance(model_field, models.BooleanField):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def history_entries(records: Iterable, *, user, formatters: dict[str, Callable] | None = None) -> list[HistoryEntry]:
    """Entries newest first. `records` are one object's historical rows, newest first, with
    `history_user` selected; related rows named in changes are fetched in one query per model."""
    records = list(records)
    formatters = formatters or {}
    can_view_pii = user_can_view_pii(user)
    deltas = []
    wanted: dict[type, set] = defaultdict(set)
    for newer, older in zip(records, [*records[1:], None], strict=True):
        delta = newer.diff_against(older) if older is not None else None
        deltas.append(delta)
        for change in (delta.changes if delta else []):
            model_field = newer.instance_type._meta.get_field(change.field)
            if isinstance(model_field, models.ForeignKey):
                wanted[model_field.related_model].update(v for v in (change.old, change.new) if v is not None)
    related = {}
    for model, pks in wanted.items():
        for obj in model._default_manager.filter(pk__in=pks):
            related[(model, obj.pk)] = obj
    entries = []
    for record, delta in zip(records, deltas, strict=True):
        meta = record.instance_type._meta
        changes = []
        for change in (delta.changes if delta else []):
            model_field = meta.get_field(change.field)
            if isinstance(model_field, DerivedSearchField):
                continue  # a phone's search hash and last digits change with it: not a change of their own
            changes.append(FieldChange(
                field=change.field, label=capfirst(str(model_field.verbose_name)),
                old=_display(model_field, change.old, can_view_pii=can_view_pii, related=related,
                             formatters=formatters),
                new=_display(model_field, change.new, can_view_pii=can_view_pii, related=related,
                             formatters=formatters),
            ))
        entries.append(HistoryEntry(
            at=record.history_date,
            user=record.history_user.get_username() if record.history_user_id else str(_("system")),
            kind=record.history_type, kind_label=str(HISTORY_TYPES.get(record.history_type, record.history_type)),
            changes=changes,
        ))
    return entries
