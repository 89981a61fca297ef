from unittest import mock

import pytest
from django.db import DatabaseError
from rest_framework import serializers

from oms.api.errors import flatten_errors

pytestmark = pytest.mark.django_db


def test_healthz_ok_without_auth(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(client):
    with mock.patch("oms.api.views.connection.cursor", side_effect=DatabaseError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_schema_and_docs_served_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from drf-spectacular-sidecar's static files, not from a CDN.
    assert b"cdn.jsdelivr" not in docs.content and b"unpkg.com" not in docs.content


def test_flatten_errors_uses_dotted_paths():
    class Line(serializers.Serializer):
        sku = serializers.CharField()
        quantity = serializers.IntegerField(min_value=1)

    class OrderIn(serializers.Serializer):
        customer = serializers.DictField()
        lines = Line(many=True)

    s = OrderIn(data={"lines": [{"sku": "A", "quantity": 1}, {"quantity": 0}]})
    assert not s.is_valid()
    flat = flatten_errors(s.errors)
    assert set(flat) == {"customer", "lines.1.sku", "lines.1.quantity"}
