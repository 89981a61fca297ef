"""Settings for OMS.

Defaults run on one machine with nothing installed (SQLite file, django-q2 ORM broker).
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis; DJANGO_DEBUG=0 turns on the
production hardening that `check --deploy` asks for.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from oms.env import env_bool, env_int, env_list, env_str, fernet_key_problem, weak_secret

BASE_DIR = Path(__file__).resolve().parent.parent

# Fail closed: without DJANGO_DEBUG, debug mode and the development defaults (a published secret key
# and webhook secret) apply only to the development tools — `manage.py` (so `make run` stays one
# command) and the test runner. A WSGI/ASGI server (gunicorn, uwsgi, daphne …) started without
# configuration runs with DJANGO_DEBUG=0 and refuses to start without real secrets.
_DEVELOPMENT_TOOL = Path(sys.argv[0] if sys.argv else "").name in ("manage.py", "django-admin") \
    or "pytest" in sys.modules
DEBUG = env_bool("DJANGO_DEBUG", _DEVELOPMENT_TOOL)
# Demo data (users with a published password) only where DEBUG was configured on; read from here
# because the test runner switches DEBUG off for the tests themselves.
OMS_DEMO_DATA_ALLOWED = DEBUG
_INSECURE_DEV_KEY = "django-insecure-oms-development-key-do-not-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _INSECURE_DEV_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
if not DEBUG and weak_secret(SECRET_KEY, min_length=50):
    raise ImproperlyConfigured(f"DJANGO_SECRET_KEY is weak ({weak_secret(SECRET_KEY, min_length=50)}); "
                               "use 50+ random characters when DJANGO_DEBUG=0")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_q",
    "simple_history",
    "import_export",
    "axes",  # login throttling and lockout
    "django_otp",  # second factor (TOTP) for finance and administrators
    "django_otp.plugins.otp_totp",
    "csp",
    # Stages, lowest first: an app imports only from apps above it in this list.
    "core",
    "catalog",
    "documents",
    "orders",
    "inventory",
    "finance",
    "logistics",
    "aftersales",
    # Composing apps on top.
    "oms.workflow",
    "oms.imports",
    "oms.integrations",
    "oms.api",
    "oms.reports",
    "oms.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "oms.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "oms.security.SlidingSessionMiddleware",
    "oms.security.RequireSecondFactorMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "oms.middleware.DomainErrorPageMiddleware",
    "oms.workflow.middleware.FollowUpsAfterCommit",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"
ASGI_APPLICATION = "oms.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "oms.backoffice.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    # Production keeps a web or worker process's connection for a minute (checked before reuse)
    # instead of a new PostgreSQL connection (a backend fork on the server) for every request;
    # the development server opens one per request thread anyway.
    DATABASES = {"default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60), conn_health_checks=True)}
except ValueError as exc:  # unknown scheme or malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the django-q2 worker read while the other writes; the busy
    # timeout makes a writer wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while locked out (must come first)
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): 5 wrong passwords for a user from one address lock that pair out
# for 15 minutes; 30 from one address lock the address. Resetting: `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env_int("OMS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("OMS_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "security/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("OMS_PROXY_COUNT", 0)
AXES_VERBOSE = False

# Sessions end after an idle hour (activity moves the deadline, see oms.security.SlidingSessionMiddleware)
# and with the browser.
SESSION_COOKIE_AGE = env_int("OMS_SESSION_IDLE_SECONDS", 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# TOTP second factor (django-otp), required for these roles and superusers; on by default in production.
OMS_REQUIRE_SECOND_FACTOR = env_bool("OMS_REQUIRE_SECOND_FACTOR", not DEBUG)
OMS_SECOND_FACTOR_ROLES = ["finance", "finance_director", "admin"]
OTP_TOTP_ISSUER = "OMS"

# Content-Security-Policy (django-csp): scripts only from our origin or with the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": [SELF, NONCE],  # NONCE: django-csp adds this response's nonce (templates use request.csp_nonce)
        # No 'unsafe-inline' (injected CSS can leak a page's content): style sheets from OMS, or a
        # <style> with the nonce; no style="" attributes, scripts set element.style (docs/security.md).
        "style-src": [SELF, NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],  # the label PDF (framed by the packing bench) allows 'self' itself
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Thousands separators only where a template asks for them (`intcomma`, `floatformat:"2g"`): with
# USE_THOUSAND_SEPARATOR every number a template prints is grouped, ids in form values and numeric
# attributes too (`value="1,234"`), and bulk actions silently lose the orders past the 999th.
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["oms.formats"]  # zh_Hans: intcomma gives 30,000 rather than Django's 30000 (oms/formats)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("OMS_MEDIA_ROOT", str(BASE_DIR / "media")))

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "backoffice:home"

# Report subscriptions send e-mail: console by default, SMTP (or any backend) through the environment.
EMAIL_BACKEND = env_str("OMS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("OMS_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("OMS_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("OMS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("OMS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("OMS_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("OMS_EMAIL_FROM", "oms@localhost")

REDIS_URL = env_str("REDIS_URL", "")
# The cache (rate limits such as the phone search's) is shared by all web processes through Redis when
# there is one; otherwise each process keeps its own.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": "oms"}} if REDIS_URL else {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
Q_CLUSTER = {
    "name": "oms",
    "workers": env_int("OMS_Q_WORKERS", 2),
    "timeout": 600,
    "retry": 900,
    "max_attempts": 3,
    "catch_up": False,
    "label": _("Background jobs"),
    "sync": env_bool("OMS_Q_SYNC", False),
    # Large legacy imports check and write in forked worker processes (oms/imports/parallel.py);
    # daemonic processes may not start children.
    "daemonize_workers": False,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # One cache for every web and worker process: the order intake reads review rules from it, and
    # a rule changed in the admin must reach all of them at once (oms.workflow.services.cached_active_rules).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "oms"}}
else:
    Q_CLUSTER["orm"] = "default"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["oms.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["oms.api.permissions.HasTokenScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["oms.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "oms.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS API",
    "DESCRIPTION": "Order management REST API v1 for channel connectors, warehouses and carriers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",  # tag operations by resource: orders, products, stock, …
    "ENUM_NAME_OVERRIDES": {"InvoiceTypeEnum": "orders.api.serializers.INVOICE_TYPES"},
}

# Business settings (editable per deployment; rules that clerks change live in the database).
OMS_WEBHOOK_SECRET = env_str("OMS_WEBHOOK_SECRET", "dev-webhook-secret" if DEBUG else "")
OMS_WEBHOOK_TOLERANCE_SECONDS = 300
# Personal data at rest (core/fieldcrypto.py, docs/security.md "Personal data at rest"): Fernet keys,
# comma-separated, newest first (new values use the first; `rotate_field_keys` moves old rows onto it),
# and the separate key of the blind indexes that exact search by phone and e-mail goes through.
# The development defaults are published here: production refuses them.
_DEV_FIELD_ENCRYPTION_KEY = "n7c-9cXa8q1YUhvPKQmDqitEjbCKl9MqkcUG7y7EOdw="
_DEV_BLIND_INDEX_KEY = "oms-development-blind-index-key-do-not-use-in-production"
OMS_FIELD_ENCRYPTION_KEYS = env_list("OMS_FIELD_ENCRYPTION_KEYS", [_DEV_FIELD_ENCRYPTION_KEY] if DEBUG else [])
OMS_BLIND_INDEX_KEY = env_str("OMS_BLIND_INDEX_KEY", _DEV_BLIND_INDEX_KEY if DEBUG else "")
# Set only while `rotate_field_keys` re-indexes after a change of OMS_BLIND_INDEX_KEY: searches try both.
OMS_BLIND_INDEX_PREVIOUS_KEY = env_str("OMS_BLIND_INDEX_PREVIOUS_KEY", "")
# Events still pending this long after they were stored are processed by the worker's schedule.
OMS_WEBHOOK_PENDING_GRACE_SECONDS = env_int("OMS_WEBHOOK_PENDING_GRACE_SECONDS", 60)
# Only senders registered in the admin, each with its own secret (contract: with DJANGO_DEBUG=0).
OMS_WEBHOOK_REGISTERED_SENDERS_ONLY = env_bool("OMS_WEBHOOK_REGISTERED_SENDERS_ONLY", not DEBUG)
# Otherwise (development) a sender without its own secret signs with one derived from OMS_WEBHOOK_SECRET
# for it alone; payments and refunds from such senders are refused unless this is switched on.
OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = env_bool("OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS", False)
OMS_CURRENCY = "CNY"
# Legacy order import (oms.imports): largest file accepted, most rows read, orders written per
# transaction, and up to which size a file is checked/imported in the request instead of a job.
OMS_IMPORT_MAX_BYTES = env_int("OMS_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
OMS_IMPORT_MAX_ROWS = env_int("OMS_IMPORT_MAX_ROWS", 1_000_000)
# Workbooks are read whole into memory (python-calamine): bounds checked before reading (oms/imports/guards.py).
OMS_IMPORT_MAX_CELLS = env_int("OMS_IMPORT_MAX_CELLS", 12_000_000)
OMS_IMPORT_MAX_UNPACKED_BYTES = env_int("OMS_IMPORT_MAX_UNPACKED_BYTES", 1024 ** 3)
OMS_IMPORT_MAX_SHARED_STRINGS_BYTES = env_int("OMS_IMPORT_MAX_SHARED_STRINGS_BYTES", 128 * 1024 ** 2)
OMS_IMPORT_MAX_SHARED_STRINGS = env_int("OMS_IMPORT_MAX_SHARED_STRINGS", 2_000_000)
OMS_IMPORT_BATCH_ORDERS = env_int("OMS_IMPORT_BATCH_ORDERS", 2000)
# Worker processes that check and write a large import's batches (1: all in the importing process).
OMS_IMPORT_WORKERS = env_int("OMS_IMPORT_WORKERS", 2 if (os.cpu_count() or 1) >= 2 else 1)
OMS_IMPORT_INLINE_MAX_BYTES = env_int("OMS_IMPORT_INLINE_MAX_BYTES", 256 * 1024)
# A running import with no progress report for this long is failed (its worker died) and can be resumed.
OMS_IMPORT_STALLED_MINUTES = env_int("OMS_IMPORT_STALLED_MINUTES", 15)
# Uploaded import files (customer lists) are deleted this many days after upload; batches keep their report.
OMS_IMPORT_FILE_RETENTION_DAYS = env_int("OMS_IMPORT_FILE_RETENTION_DAYS", 30)

# Finance (see docs/architecture.md "Finance"). The seller printed on invoices.
OMS_SELLER = {
    "name": env_str("OMS_SELLER_NAME", "上海示例零售有限公司"),
    "tax_id": env_str("OMS_SELLER_TAX_ID", "91310000MA1K000001"),
    "address": env_str("OMS_SELLER_ADDRESS", "上海市浦东新区世纪大道100号 021-60000000"),
    "bank": env_str("OMS_SELLER_BANK", "招商银行上海分行 121900000010001"),
}
# A refund outside a return above this amount needs the finance director (finance.approve_refund).
OMS_REFUND_APPROVAL_LIMIT = env_str("OMS_REFUND_APPROVAL_LIMIT", "2000.00")
OMS_INVOICE_ON_PAYMENT = env_bool("OMS_INVOICE_ON_PAYMENT", True)  # issue the invoice once paid in full
# Reports count a shipment as late when it leaves more than this many hours after the order was placed.
OMS_PROMISED_SHIP_HOURS = env_int("OMS_PROMISED_SHIP_HOURS", 48)
OMS_SHIPPING_TAX_RATE = "0.130"  # freight sold with the goods is taxed at the goods rate
OMS_PAYMENT_CONNECTORS = {"console": "finance.connectors.console.ConsoleConnector"}
OMS_DEFAULT_PAYMENT_CONNECTOR = env_str("OMS_DEFAULT_PAYMENT_CONNECTOR", "console")
# PDFs: a GB2312 subset of this face is built once into OMS_PDF_FONT_DIR (see documents/fonts.py).
OMS_PDF_SOURCE_FONT = {
    "path": env_str("OMS_PDF_SOURCE_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "family": env_str("OMS_PDF_SOURCE_FAMILY", "Noto Sans Mono CJK SC"),
}
OMS_PDF_FONT_DIR = Path(env_str("OMS_PDF_FONT_DIR", str(BASE_DIR / "var" / "fonts")))
OMS_PRIVATE_MEDIA_ROOT = Path(env_str("OMS_PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
OMS_PRINT_SYNC_LIMIT = env_int("OMS_PRINT_SYNC_LIMIT", 20)  # larger print batches run as background jobs

# Logistics (see docs/architecture.md "Logistics").
OMS_DEFAULT_CARRIER = env_str("OMS_DEFAULT_CARRIER", "sf")  # carrier a new shipment starts with
OMS_WAREHOUSE_CARRIERS: dict[str, str] = {}  # warehouse code → carrier code, overrides the default
OMS_DEFAULT_CARRIER_CONNECTOR = "logistics.carriers.SequenceConnector"  # where waybill numbers come from
OMS_CARRIER_CONNECTORS: dict[str, str] = {}  # carrier code → connector class, e.g. a real e-waybill API
OMS_AUTO_COMPLETE_DAYS = env_int("OMS_AUTO_COMPLETE_DAYS", 10)  # complete orders N days after shipment
OMS_TRACKING_STALE_HOURS = env_int("OMS_TRACKING_STALE_HOURS", 72)  # no carrier news that long → exceptions
OMS_NOTIFICATION_BACKENDS = env_list("OMS_NOTIFICATION_BACKENDS", ["logistics.notifications.ConsoleBackend"])
OMS_SMS_GATEWAY_URL = env_str("OMS_SMS_GATEWAY_URL", "")
# Where customers reach the public pages (satisfaction surveys): the links in texts and e-mails start here.
OMS_PUBLIC_BASE_URL = env_str("OMS_PUBLIC_BASE_URL", "http://localhost:8000")
OMS_SHIPPER = {  # the sender printed on shipping labels; the address is the shipping warehouse's
    "name": env_str("OMS_SHIPPER_NAME", "OMS 示例零售"),
    "phone": env_str("OMS_SHIPPER_PHONE", "400-820-8820"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("OMS_LOG_LEVEL", "INFO")},
    # PDF libraries log every layout step and glyph at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if not OMS_WEBHOOK_SECRET:
        raise ImproperlyConfigured("OMS_WEBHOOK_SECRET must be set when DJANGO_DEBUG=0")
    if weak_secret(OMS_WEBHOOK_SECRET):
        raise ImproperlyConfigured(f"OMS_WEBHOOK_SECRET is weak ({weak_secret(OMS_WEBHOOK_SECRET)}); "
                                   "use 32+ random characters when DJANGO_DEBUG=0")
    if OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS:
        raise ImproperlyConfigured("OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS is a development setting: with "
                                   "DJANGO_DEBUG=0 payments and refunds come only from registered senders")
    if not OMS_FIELD_ENCRYPTION_KEYS:
        raise ImproperlyConfigured("OMS_FIELD_ENCRYPTION_KEYS must be set when DJANGO_DEBUG=0")
    for _position, _key in enumerate(OMS_FIELD_ENCRYPTION_KEYS, start=1):
        _problem = "the published development key" if _key == _DEV_FIELD_ENCRYPTION_KEY else fernet_key_problem(_key)
        if _problem:
            raise ImproperlyConfigured(f"OMS_FIELD_ENCRYPTION_KEYS: key {_position} is unusable ({_problem})")
    if not OMS_BLIND_INDEX_KEY:
        raise ImproperlyConfigured("OMS_BLIND_INDEX_KEY must be set when DJANGO_DEBUG=0")
    _problem = weak_secret(OMS_BLIND_INDEX_KEY) or (
        "the same as another secret" if OMS_BLIND_INDEX_KEY in {SECRET_KEY, OMS_WEBHOOK_SECRET,
                                                                *OMS_FIELD_ENCRYPTION_KEYS} else None)
    if _problem:
        raise ImproperlyConfigured(f"OMS_BLIND_INDEX_KEY is weak ({_problem}); "
                                   "use 32+ random characters of its own when DJANGO_DEBUG=0")
