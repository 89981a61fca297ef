"""The condition field's form builder (admin): a textarea that carries, in data attributes, what the
static script `workflow/rule_builder.js` needs to offer rows of (field, operator, value) joined by
all / any — the context's fields with their types, channel codes and province names — and writes
the rule-engine expression back into the textarea. No inline script (CSP); the server still
validates the expression on save (`rule_validate`)."""

from __future__ import annotations

import json

import rule_engine
from django import forms
from django.utils.translation import gettext as _

from core.regions import PROVINCES
from oms.workflow.automation.conditions import FIELDS


def _kind(type_) -> str:
    if type_ is rule_engine.DataType.FLOAT:
        return "number"
    if type_ is rule_engine.DataType.BOOLEAN:
        return "boolean"
    if type_ is rule_engine.DataType.STRING:
        return "string"
    return "array"


def builder_fields() -> list[dict]:
    return [{"name": name, "kind": _kind(type_), "label": str(label)} for name, (type_, label) in FIELDS.items()]


def builder_texts() -> dict:
    return {
        "title": _("Condition builder"), "all": _("all of these"), "any": _("any of these"),
        "match": _("Orders matching"), "add": _("Add a condition"), "remove": _("Remove"),
        "field": _("Field"), "operator": _("Operator"), "value": _("Value"),
        "cannot": _("The builder cannot show this expression: edit it as text, or start again with the "
                    "builder."),
        "restart": _("Start again with the builder"),
        "empty": _("No condition: every order matches."),
        "ops": {"==": _("equals"), "!=": _("does not equal"), ">": _("greater than"), ">=": _("at least"),
                "<": _("less than"), "<=": _("at most"), "starts": _("starts with"), "contains": _("contains"),
                "regex": _("matches the regular expression"), "true": _("is yes"), "false": _("is no"),
                "has": _("includes")},
    }


class ConditionBuilderWidget(forms.Textarea):
    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 3, "cols": 80, **(attrs or {})})

    def get_context(self, name, value, attrs):
        from orders.models import Channel

        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update({
            "data-rule-builder": json.dumps({
                "fields": builder_fields(), "texts": builder_texts(),
                "values": {"channel": list(Channel.objects.order_by("code").values_list("code", flat=True)),
                           "province": list(PROVINCES)},
            }, ensure_ascii=False),
        })
        return context

    class Media:
        js = ("workflow/rule_builder.js",)
        css = {"all": ("workflow/rule_builder.css",)}
