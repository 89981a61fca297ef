import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from core.hooks import Hook

ROOT = Path(__file__).resolve().parents[2]


def test_hook_runs_handlers_in_order_once_each():
    hook: Hook[int] = Hook("test")
    seen = []

    def a(p):
        seen.append(("a", p))

    def b(p):
        seen.append(("b", p))

    hook.register(a)
    hook.register(b)
    hook.register(a)  # registering twice must not double the effect
    hook.fire(1)
    assert seen == [("a", 1), ("b", 1)]
    hook.unregister(a)
    hook.fire(2)
    assert seen[-1] == ("b", 2) and len(seen) == 3


def test_fire_many_uses_a_handlers_batch_variant_and_falls_back_to_one_by_one():
    hook: Hook[int] = Hook("test")
    seen = []

    def one(p):
        seen.append(("one", p))

    def batched(p):
        seen.append(("batched-one", p))

    hook.register(one)
    hook.register(batched, many=lambda ps: seen.append(("batch", tuple(ps))))
    hook.fire_many([1, 2])
    assert seen == [("one", 1), ("one", 2), ("batch", (1, 2))]
    hook.fire(3)  # a single payload still goes to the handler itself
    assert seen[-1] == ("batched-one", 3)
    hook.unregister(batched)
    hook.fire_many([4])
    hook.fire_many([])
    assert seen[-1] == ("one", 4) and len(seen) == 6


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "OMS_"))}
    env.update(env_extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


# Keys of personal data at rest (core/fieldcrypto.py): a Fernet key and a blind index key of their own.
FIELD_KEYS = {"OMS_FIELD_ENCRYPTION_KEYS": "b2zc8jQxWJ1S4mKp0vTq7yRn3LdEaFgHuI9oXcVbN6M=",
              "OMS_BLIND_INDEX_KEY": "a-real-random-blind-index-key-9876543210"}
PRODUCTION = {"DJANGO_DEBUG": "0",
              "DJANGO_SECRET_KEY": "x" * 20 + "a-real-long-random-production-secret-key-1234567890",
              "OMS_WEBHOOK_SECRET": "a-real-random-webhook-secret-0123456789", **FIELD_KEYS}


def test_production_settings_pass_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_extra={
        **PRODUCTION, "DJANGO_ALLOWED_HOSTS": "oms.example.com",
    })
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    """Issue 15: a new PostgreSQL connection per request (a server-side fork) is the default only in
    development; production keeps a process's connection for a minute, health-checked."""
    show = ("from django.conf import settings as s; d = s.DATABASES['default']; "
            "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])")
    production = _manage("shell", "-c", show, env_extra={**PRODUCTION, "DJANGO_ALLOWED_HOSTS": "oms.example.com",
                                                         "DATABASE_URL": "postgres://u@db.example/oms"})
    assert production.stdout.splitlines()[-1].split() == ["60", "True"], production.stderr
    development = _manage("shell", "-c", show, env_extra={"DJANGO_DEBUG": "1"})
    assert development.stdout.splitlines()[-1].split()[0] == "0", development.stderr


@pytest.mark.parametrize("env, message", [
    ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be a boolean"),
    ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY must be set"),
    ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL is not a valid database URL"),
    # Issue 17: production refuses weak or published secrets.
    ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "django-insecure-oms-development-key-do-not-use-in-production",
      "OMS_WEBHOOK_SECRET": "a-real-random-webhook-secret-0123456789"}, "DJANGO_SECRET_KEY is weak"),
    ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "short",
      "OMS_WEBHOOK_SECRET": "a-real-random-webhook-secret-0123456789"},
     "DJANGO_SECRET_KEY is weak"),
    ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 20 + "a-real-long-random-production-secret-key-1234567890",
      "OMS_WEBHOOK_SECRET": "abc"}, "OMS_WEBHOOK_SECRET is weak"),
    ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 20 + "a-real-long-random-production-secret-key-1234567890",
      "OMS_WEBHOOK_SECRET": "dev-webhook-secret"}, "OMS_WEBHOOK_SECRET is weak"),
    # Issue 17: personal data at rest needs keys of its own, never the published development ones.
    ({**PRODUCTION, "OMS_FIELD_ENCRYPTION_KEYS": ""}, "OMS_FIELD_ENCRYPTION_KEYS must be set"),
    ({**PRODUCTION, "OMS_FIELD_ENCRYPTION_KEYS": "n7c-9cXa8q1YUhvPKQmDqitEjbCKl9MqkcUG7y7EOdw="},
     "key 1 is unusable (the published development key)"),
    ({**PRODUCTION, "OMS_FIELD_ENCRYPTION_KEYS": f"{FIELD_KEYS['OMS_FIELD_ENCRYPTION_KEYS']},a-password"},
     "key 2 is unusable (not a Fernet key"),
    ({**PRODUCTION, "OMS_FIELD_ENCRYPTION_KEYS": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
     "key 1 is unusable (too few different bytes"),
    ({**PRODUCTION, "OMS_BLIND_INDEX_KEY": ""}, "OMS_BLIND_INDEX_KEY must be set"),
    ({**PRODUCTION, "OMS_BLIND_INDEX_KEY": "oms-development-blind-index-key-do-not-use-in-production"},
     "OMS_BLIND_INDEX_KEY is weak (a published default)"),
    ({**PRODUCTION, "OMS_BLIND_INDEX_KEY": PRODUCTION["OMS_WEBHOOK_SECRET"]},
     "OMS_BLIND_INDEX_KEY is weak (the same as another secret)"),
    # Payments from senders without their own secret: a development setting only.
    ({**PRODUCTION, "OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS": "1"},
     "OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS is a development setting"),
])
def test_bad_environment_is_refused_at_start(env, message):
    result = _manage("check", env_extra=env)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_wsgi_server_without_configuration_fails_closed():
    """Issue 17: DJANGO_DEBUG defaulted to 1 with a published key; a server started bare must refuse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "OMS_"))}
    env["DJANGO_SETTINGS_MODULE"] = "oms.settings"
    result = subprocess.run([sys.executable, "-c", "import oms.wsgi"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_demo_data_is_refused_in_production():
    result = _manage("demo_data", "--orders", "0", env_extra={
        **PRODUCTION, "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": "sqlite:////tmp/h17/demo-refused.sqlite3"})
    assert result.returncode != 0
    assert "demo_data is refused" in result.stderr


def test_numbers_in_chinese_are_grouped_by_thousands_with_commas():
    """Django's zh_Hans formats would print 30000 and 1234567.50; OMS writes amounts as ¥1,234.50."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation
    from django.utils.formats import date_format, number_format

    with translation.override("zh-hans"):
        assert intcomma(30000) == "30,000"
        assert number_format(1234567.5, 2, force_grouping=True) == "1,234,567.50"
        assert date_format(date(2026, 11, 26)) == "2026年11月26日"  # dates stay Django's


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_template_prints_ids_and_numbers_ungrouped_unless_asked(language):
    """An id in a form value must come back as digits: `value="1,234"` lost the order from bulk actions."""
    from django.template import Context, Template
    from django.utils import translation

    template = Template('{% load humanize %}<input value="{{ pk }}" max="{{ qty }}"> {{ qty|intcomma }}')
    with translation.override(language):
        assert template.render(Context({"pk": 12345, "qty": 1000})) == '<input value="12345" max="1000"> 1,000'


def test_hook_payloads_are_typed_dataclasses():
    """Each hook's payload is a frozen dataclass whose fields all name a type (no `Any`)."""
    import dataclasses

    from core import hooks

    payloads = [value for value in vars(hooks).values()
                if dataclasses.is_dataclass(value) and isinstance(value, type)]
    assert {p.__name__ for p in payloads} >= {"OrderCancelled", "OrderStatusChanged", "OrderAddressChanged",
                                              "StockReplenished", "ShippingInstruction"}
    for payload in payloads:
        assert payload.__dataclass_params__.frozen, payload
        for field in dataclasses.fields(payload):
            assert "Any" not in str(field.type) and str(field.type) not in ("dict", "object"), (payload, field)
