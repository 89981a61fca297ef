import hashlib
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oms.api.management.commands.create_api_token import Command
from oms.api.models import ApiToken

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_the_token_once_and_stores_its_hash():
    out, err = run("--name", "tmall-connector", "--channel", "tmall", "--scopes", "orders:read,orders:write")
    raw = out.strip()
    assert raw.startswith("oms_") and "\n" not in raw
    token = ApiToken.objects.get(name="tmall-connector")
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.channel.code == "tmall"
    assert token.scopes == ["orders:read", "orders:write"]
    assert "tmall-connector" in err and raw not in err


def test_default_scopes():
    run("--name", "erp")
    assert ApiToken.objects.get(name="erp").scopes == ["orders:read", "orders:write", "stock:read"]


@pytest.mark.parametrize("args, words", [
    (["--name", "x", "--channel", "taobao"], ["channel", "taobao", "tmall"]),
    (["--name", "x", "--scopes", "orders:read,orders:delete"], ["scopes", "orders:delete", "pii:read"]),
    (["--name", "x", "--scopes", ","], ["scopes"]),
    (["--name", ""], ["name"]),
])
def test_bad_arguments_are_a_clear_error(args, words):
    with pytest.raises(CommandError) as exc:
        run(*args)
    for word in words:
        assert word in str(exc.value)
    assert ApiToken.objects.count() == 0


def test_bad_channel_exits_non_zero(capsys):
    # run_from_argv is what manage.py runs; it closes connections at the end, which the test still needs.
    with mock.patch("django.core.management.base.connections.close_all"), pytest.raises(SystemExit) as exc:
        Command().run_from_argv(["manage.py", "create_api_token", "--name", "x", "--channel", "taobao"])
    assert exc.value.code != 0
    assert "taobao" in capsys.readouterr().err
    assert ApiToken.objects.count() == 0


def test_duplicate_name_exits_non_zero():
    run("--name", "erp")
    with pytest.raises(CommandError, match="erp"):
        run("--name", "erp")
