"""Bearer tokens: 401 for missing, malformed, invalid and revoked tokens; 403 for missing scopes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from oms.api.models import ApiToken
from oms.api.permissions import required_scopes_for
from oms.api.services import api_token_revoke
from oms.api.tests.factories import bearer, make_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders"


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Token abc"])
def test_missing_token_is_401(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["type"] == "not_authenticated"
    assert set(response.json()) == {"type", "detail"}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer oms_nope_nope", "Bearer short"])
def test_malformed_or_unknown_token_is_401(header):
    make_token()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["type"] == "authentication_failed"


def test_right_prefix_wrong_secret_is_401():
    _token, raw = make_token()
    client = APIClient()
    client.credentials(**bearer(raw[:-4] + "AAAA"))
    assert client.get(URL).status_code == 401


def test_revoked_token_is_401():
    token, raw = make_token()
    client = APIClient()
    client.credentials(**bearer(raw))
    assert client.get(URL).status_code == 200
    api_token_revoke(token=token, actor=None)
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["type"] == "authentication_failed"


def test_bearer_keyword_is_case_insensitive():
    _token, raw = make_token()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {raw}")
    assert client.get(URL).status_code == 200


def test_missing_scope_is_403_naming_the_scope(client_for):
    response = client_for(scopes=["stock:read"]).get(URL)
    assert response.status_code == 403
    assert response.json()["type"] == "missing_scope"
    assert "orders:read" in response.json()["detail"]


def test_last_used_at_is_written_at_most_once_a_minute(api, django_assert_num_queries):
    assert api.token.last_used_at is None
    api.get("/api/v1/products")
    first = ApiToken.objects.get(pk=api.token.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(2):  # token lookup, products — no UPDATE within the minute
        api.get("/api/v1/products")
    assert ApiToken.objects.get(pk=api.token.pk).last_used_at == first
    ApiToken.objects.filter(pk=api.token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get("/api/v1/products")
    assert ApiToken.objects.get(pk=api.token.pk).last_used_at > first


def test_methods_a_view_does_not_have_are_405(api):
    for response in (api.delete(URL), api.put("/api/v1/orders/SO1", {}, format="json"),
                     api.get("/api/v1/orders/SO1/cancel")):
        assert response.status_code == 405
        assert response.json()["type"] == "method_not_allowed"


def test_health_needs_no_token():
    assert APIClient().get("/healthz").status_code == 200


def test_a_view_without_declared_scopes_is_refused_loudly():
    class Forgetful:
        pass

    class PerMethod:
        required_scopes = {"GET": ("orders:read",)}

    with pytest.raises(ImproperlyConfigured):
        required_scopes_for(Forgetful(), "GET")
    with pytest.raises(ImproperlyConfigured):
        required_scopes_for(PerMethod(), "DELETE")
    assert required_scopes_for(PerMethod(), "HEAD") == ("orders:read",)


def test_messages_follow_the_request_language(client_for):
    reader = client_for(scopes=["stock:read"])
    assert reader.get(URL).json()["detail"] == "此令牌缺少权限范围 orders:read。"
    english = reader.get(URL, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english == {"type": "missing_scope", "detail": "This token lacks the scope(s) orders:read."}
