"""Keyset ("cursor") pagination: `{"results": [...], "next": "<url>" | null}`.

The cursor is an opaque, URL-safe encoding of the last row's ordering values, so a page costs one
indexed query however deep the client walks, and rows inserted while walking neither repeat nor
shift later pages. The ordering must end in a unique field (`id`, `sku`).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class KeysetPagination(BasePagination):
    ordering: tuple[str, ...] = ("-created_at", "-id")
    page_size = 100
    cursor_query_param = "cursor"
    limit_query_param = "limit"
    invalid_cursor_message = _("Invalid cursor.")
    invalid_limit_message = _("Must be a whole number from 1 to %(max)d.")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        limit = self._limit(request)
        queryset = queryset.order_by(*self.ordering)
        position = self._decode(request.query_params.get(self.cursor_query_param), queryset.model)
        if position is not None:
            queryset = queryset.filter(self._after(position))
        rows = list(queryset[: limit + 1])
        self.next_position = self._position_of(rows[limit - 1]) if len(rows) > limit else None
        return rows[:limit]

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link()})

    def get_next_link(self) -> str | None:
        if self.next_position is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self._encode(self.next_position))

    # -- cursor ------------------------------------------------------------------------------------
    def _fields(self) -> list[tuple[str, bool]]:
        return [(name.lstrip("-"), name.startswith("-")) for name in self.ordering]

    def _position_of(self, row) -> list:
        return [getattr(row, name) for name, _desc in self._fields()]

    def _after(self, position: list) -> Q:
        """Rows strictly after `position`: a ≤ x AND ((a < x) | (a = x & b < y) | …) for descending a, b.

        The leading range on the first field lets both SQLite and PostgreSQL walk its index.
        """
        fields = self._fields()
        first, first_desc = fields[0]
        bound = Q(**{f"{first}__{'lte' if first_desc else 'gte'}": position[0]})
        condition = Q()
        equal = Q()
        for (name, descending), value in zip(fields, position, strict=True):
            step = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
            condition |= equal & step
            equal &= Q(**{name: value})
        return bound & condition if len(fields) > 1 else condition

    def _encode(self, position: list) -> str:
        values = [v.isoformat() if isinstance(v, datetime) else v for v in position]
        raw = json.dumps(values, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def _decode(self, cursor: str | None, model) -> list | None:
        if cursor is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = json.loads(raw.decode("utf-8"))
            fields = self._fields()
            if not isinstance(values, list) or len(values) != len(fields):
                raise ValueError("wrong shape")
            position = []
            for (name, _desc), value in zip(fields, values, strict=True):
                if not isinstance(value, str | int) or isinstance(value, bool):
                    raise ValueError("wrong type")
                parsed = model._meta.get_field(name).to_python(value)
                if parsed is None:
                    raise ValueError("empty value")
                if isinstance(parsed, datetime):
                    parsed.astimezone(UTC)  # OverflowError for year-1 values with a positive offset
                position.append(parsed)
            return position
        except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error, DjangoValidationError):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def _limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.page_size:
            raise ValidationError({self.limit_query_param: [self.invalid_limit_message % {"max": self.page_size}]})
        return int(raw)

    # -- OpenAPI ----------------------------------------------------------------------------------
    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query", "schema": {"type": "string"},
             "description": "Opaque cursor from the previous page's `next` URL."},
            {"name": self.limit_query_param, "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.page_size, "default": self.page_size},
             "description": f"Page size, at most {self.page_size}."},
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "format": "uri", "nullable": True,
                         "description": "URL of the next page, null on the last page."},
            },
        }


class OrderPagination(KeysetPagination):
    """Newest first."""

    ordering = ("-created_at", "-id")


class ProductPagination(KeysetPagination):
    ordering = ("sku",)
