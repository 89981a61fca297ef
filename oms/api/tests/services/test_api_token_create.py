import hashlib

import pytest

from core.errors import ValidationFailed
from oms.api.models import ApiToken
from oms.api.selectors import api_token_for_raw
from oms.api.services import api_token_create, api_token_revoke, api_token_update
from orders.models import Channel

pytestmark = pytest.mark.django_db


def test_stores_only_a_hash_and_finds_the_token_by_its_raw_value(reviewer):
    token, raw = api_token_create(name="tmall-connector", actor=reviewer)
    assert raw.startswith("oms_") and len(raw) > 40
    assert token.prefix == raw[:12]
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values()[0]
    assert raw not in {str(v) for v in stored.values()}
    assert token.scopes == ["orders:read", "orders:write", "stock:read"]  # pii:read never by default
    assert token.created_by == reviewer and token.active
    assert api_token_for_raw(raw) == token
    assert api_token_for_raw(raw + "x") is None


def test_two_tokens_differ():
    _a, raw_a = api_token_create(name="a", actor=None)
    _b, raw_b = api_token_create(name="b", actor=None)
    assert raw_a != raw_b


def test_scopes_and_channel_by_code():
    token, _raw = api_token_create(name="jd", scopes=["pii:read", "orders:read", "orders:read"], channel="jd",
                                   actor=None)
    assert token.scopes == ["orders:read", "pii:read"]
    assert token.channel == Channel.objects.get(code="jd")


def test_bad_name_scope_and_channel_are_all_reported():
    api_token_create(name="taken", actor=None)
    with pytest.raises(ValidationFailed) as exc:
        api_token_create(name="taken", scopes=["orders:delete"], channel="taobao", actor=None)
    assert set(exc.value.errors) == {"name", "scopes", "channel"}
    assert "orders:delete" in exc.value.errors["scopes"][0]
    with pytest.raises(ValidationFailed) as exc:
        api_token_create(name=" ", scopes=[], actor=None)
    assert set(exc.value.errors) == {"name", "scopes"}
    assert ApiToken.objects.count() == 1


def test_update_and_revoke(reviewer):
    token, _raw = api_token_create(name="web", actor=None)
    token = api_token_update(token=token, scopes=["stock:read"], channel="web", actor=reviewer)
    assert token.scopes == ["stock:read"] and token.channel.code == "web"
    token = api_token_revoke(token=token, actor=reviewer)
    assert not token.active and token.revoked_at is not None and token.revoked_by == reviewer
    revoked_at = token.revoked_at
    assert api_token_revoke(token=token, actor=None).revoked_at == revoked_at  # revoking twice changes nothing
