"""Tokens in the admin: the raw value appears once, in a message; revoking is an action."""

import hashlib
import re

import pytest
from django.contrib.messages import get_messages

from oms.api.models import ApiToken
from oms.api.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    from core.enums import Role

    user = make_user("tokenadmin", Role.ADMIN, is_staff=True)
    client.force_login(user)
    client.user = user
    return client


def test_add_shows_the_raw_token_once(admin_client):
    response = admin_client.post("/admin/api/apitoken/add/", {"name": "jd-connector", "scopes": ["orders:read",
                                                                                                  "stock:read"],
                                                              "channel": ""}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="jd-connector")
    texts = [str(m) for m in get_messages(response.wsgi_request)] or [
        m.message for m in response.context["messages"]]
    raws = [found for text in texts for found in re.findall(r"oms_[A-Za-z0-9]{8}_[\w-]+", text)]
    assert len(raws) == 1
    assert hashlib.sha256(raws[0].encode()).hexdigest() == token.key_hash
    assert token.scopes == ["orders:read", "stock:read"] and token.created_by == admin_client.user
    # Not shown again: the change page has the prefix, never the token.
    page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert token.prefix in page and raws[0] not in page and token.key_hash not in page


def test_add_refuses_a_taken_name(admin_client):
    api_token_create(name="dup", actor=None)
    response = admin_client.post("/admin/api/apitoken/add/", {"name": "dup", "scopes": ["orders:read"]})
    assert response.status_code == 200  # the form again, with the error
    assert ApiToken.objects.filter(name="dup").count() == 1


def test_revoke_action(admin_client):
    token, _raw = api_token_create(name="old", actor=None)
    response = admin_client.post("/admin/api/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]},
                                 follow=True)
    assert response.status_code == 200
    token.refresh_from_db()
    assert not token.active and token.revoked_by == admin_client.user


def test_change_scopes(admin_client):
    token, _raw = api_token_create(name="web", actor=None)
    admin_client.post(f"/admin/api/apitoken/{token.pk}/change/", {"scopes": ["orders:read", "pii:read"],
                                                                   "channel": ""})
    token.refresh_from_db()
    assert token.scopes == ["orders:read", "pii:read"]


def test_clerks_cannot_see_tokens(client, reviewer):
    reviewer.is_staff = True
    reviewer.save()
    client.force_login(reviewer)
    assert client.get("/admin/api/apitoken/").status_code == 403
