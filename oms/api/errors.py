"""API error bodies per contract: `{"type": "<code>", "detail": "<text>", "errors": {"a.0.b": ["…"]}}`.

Domain errors from services keep their code and status; DRF's own errors (parsing, validation,
authentication, throttling) get the same shape, so a client handles one format. Field paths use
dots and list indexes (`lines.1.quantity`).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → `{"lines.0.sku": ["…"]}`."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = prefix if key in ("non_field_errors",) and prefix else (f"{prefix}.{key}" if prefix else str(key))
            if key == "non_field_errors" and not prefix:
                path = "non_field_errors"
            for sub_path, messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            flat.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item in ({}, []):
                    continue
                for sub_path, messages in flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    flat.setdefault(sub_path, []).extend(messages)
    else:
        flat.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return flat


def error_response(*, code: str, detail: str, http_status: int, errors: dict | None = None, headers=None) -> Response:
    body = {"type": code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return Response(body, status=http_status, headers=headers)


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return error_response(code=exc.code, detail=str(exc), http_status=exc.http_status,
                              errors={k: [str(m) for m in v] for k, v in exc.errors.items()} or None)
    if isinstance(exc, exceptions.ValidationError):
        return error_response(code="validation_error", detail=_("Invalid input."), http_status=400,
                              errors=flatten_errors(exc.detail))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code = "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else "authentication_failed"
        response.status_code = status.HTTP_401_UNAUTHORIZED
    else:
        # A specific code given where the error was raised (e.g. `missing_scope`) beats the class default.
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    detail = exc.detail if isinstance(exc.detail, str) else _("Request failed.")
    response.data = {"type": code, "detail": str(detail)}
    return response
