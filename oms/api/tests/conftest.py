import pytest
from rest_framework.test import APIClient

from oms.api.scopes import Scope
from oms.api.tests.factories import bearer, make_token


@pytest.fixture
def api(db):
    """An API client authenticated with a default-scoped, unbound token (`api.token`)."""
    client = APIClient()
    client.token, raw = make_token()
    client.credentials(**bearer(raw))
    return client


@pytest.fixture
def pii_api(db):
    client = APIClient()
    client.token, raw = make_token(scopes=[Scope.ORDERS_READ, Scope.ORDERS_WRITE, Scope.PII_READ])
    client.credentials(**bearer(raw))
    return client


@pytest.fixture
def client_for(db):
    """`client_for(scopes=…, channel=…)` → an APIClient with its own token."""

    def make(**kwargs):
        client = APIClient()
        client.token, raw = make_token(**kwargs)
        client.credentials(**bearer(raw))
        return client

    return make
