"""OpenAPI pieces shared by every API view: the bearer scheme, the error body, scope documentation."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "oms.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "`Authorization: Bearer <token>`. Tokens are created in the admin or with "
                "`manage.py create_api_token`; only a hash is stored. Scopes: `orders:read`, `orders:write`, "
                "`stock:read` (the defaults) and `pii:read` (unmasked phones and e-mails). Each operation names "
                "the scopes it needs (`x-required-scopes`). A token bound to a channel may only create and read "
                "that channel's orders: any other channel is answered with 403."
            ),
        }


class ErrorSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Machine code, e.g. `validation_error`, `not_authenticated`, "
                                           "`missing_scope`, `permission_denied`, `not_found`, "
                                           "`idempotency_conflict`, `duplicate_order`, `invalid_transition`.")
    detail = serializers.CharField(help_text="Human-readable explanation (in the request's language).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Validation errors only: dotted field path (`lines.0.sku`) → messages.",
    )

    class Meta:
        ref_name = "Error"


def error(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description, examples=list(examples))


UNAUTHORIZED = error("No token, or an invalid or revoked token.", OpenApiExample(
    "not_authenticated", value={"type": "not_authenticated", "detail": "Authentication credentials were not provided."},
    response_only=True, status_codes=["401"]))
FORBIDDEN_SCOPE = error("The token lacks a required scope.", OpenApiExample(
    "missing_scope", value={"type": "missing_scope", "detail": "This token lacks the scope(s) orders:write."},
    response_only=True, status_codes=["403"]))
FORBIDDEN_SCOPE_OR_CHANNEL = error(
    "The token lacks a required scope, or is bound to another channel than the order's (403, not 404, "
    "for an order of another channel).",
    OpenApiExample("missing_scope", value={"type": "missing_scope", "detail": "This token lacks the scope(s) "
                                                                              "orders:read."},
                   response_only=True, status_codes=["403"]),
    OpenApiExample("permission_denied", value={"type": "permission_denied",
                                               "detail": "This token is bound to channel “tmall” and cannot use "
                                                         "channel “jd”."},
                   response_only=True, status_codes=["403"]),
)
NOT_FOUND = error("No order with this number.", OpenApiExample(
    "not_found", value={"type": "not_found", "detail": "Order SO20261124000001 not found."},
    response_only=True, status_codes=["404"]))
BAD_REQUEST = error("Bad input; `errors` names every bad field by its dotted path.", OpenApiExample(
    "validation_error",
    value={"type": "validation_error", "detail": "Invalid input.",
           "errors": {"customer.name": ["This field is required."],
                      "lines.1.quantity": ["Must be a whole number (a JSON integer)."],
                      "lines.0.sku": ["Unknown SKU “SKU-404”."]}},
    response_only=True, status_codes=["400"]))


def scoped(*scopes: str, description: str = "", **kwargs):
    """`extend_schema` that states the scopes an operation needs, in words and as `x-required-scopes`.

    Tags come from the first path segment after `/api/v1/` (settings `SCHEMA_PATH_PREFIX`).
    """
    needs = ", ".join(f"`{s}`" for s in scopes)
    text = f"**Scope:** {needs}.\n\n{description}".strip()
    return extend_schema(description=text, extensions={"x-required-scopes": list(scopes)}, **kwargs)
