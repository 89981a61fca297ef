"""Project-wide test fixtures: actors per role, database-kind markers."""

import os

import pytest
from django.db import connection
from django.db.backends.signals import connection_created

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would
# otherwise refuse ORM calls from the live-server tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _shared_cache_readers_take_no_table_locks(sender, connection, **kwargs):
    """SQLite test databases live in memory in shared-cache mode, where a reader holds a table lock
    that makes a concurrent writer fail at once with "database table is locked" (the busy timeout
    does not apply). Browser tests have exactly that: the live server's thread polls an import's
    progress while the job's thread writes it. `read_uncommitted` lets shared-cache readers skip
    those locks; it has no effect on the file databases the product runs on."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


connection_created.connect(_shared_cache_readers_take_no_table_locks, weak=False)


def _hypothesis_draws_ignore_imported_modules():
    """Hypothesis (since 6.131) draws about 1 value in 20 from the literals of the project modules
    that happen to be in `sys.modules` when it draws (parsed within a time budget). So what earlier
    tests imported, and how busy the machine was, changed what a `derandomize=True` test drew:
    the after-sales property test passed alone and missed its coverage in the suite. A fixed
    (empty) pool makes each derandomised run the same wherever it runs; the regression test is
    tests/test_hypothesis_determinism.py (it fails loudly if a Hypothesis upgrade moves this)."""
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants

    no_local_constants = Constants()
    providers._get_local_constants = lambda: no_local_constants
    providers.CONSTANTS_CACHE.cache.clear()


_hypothesis_draws_ignore_imported_modules()


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…); SQLite has no row locks")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def follow_ups_run(django_capture_on_commit_callbacks, monkeypatch):
    """`with follow_ups_run(): approve_order(…)` — at the end of the block the test's transaction
    counts as committed: its on-commit callbacks run and django-q2 runs the queued jobs in-process
    (`Conf.SYNC`), so the order's follow-ups (invoice, shipments, notifications) are done."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    from core.roles import group_for, sync_roles

    synced = []

    def make(username="user", *roles, password="pass-Word-123", **extra):
        if not synced:
            sync_roles()
            synced.append(True)
        user = get_user_model().objects.create_user(username=username, password=password, **extra)
        for role in roles:
            user.groups.add(group_for(role))
        return user

    return make


@pytest.fixture
def reviewer(make_user):
    from core.enums import Role

    return make_user("reviewer", Role.REVIEWER)


@pytest.fixture
def warehouse_clerk(make_user):
    from core.enums import Role

    return make_user("warehouse", Role.WAREHOUSE)


@pytest.fixture
def finance_director(make_user):
    from core.enums import Role

    return make_user("director", Role.REVIEWER, Role.FINANCE_DIRECTOR)


@pytest.fixture
def manager(make_user):
    from core.enums import Role

    return make_user("manager", Role.MANAGER)


@pytest.fixture
def stock_everything(db, monkeypatch):
    """Every product made by `ProductFactory` gets 1,000 units in warehouse SH01.

    For tests about something else than stock: the review pipeline reserves stock, and an order
    for a product without stock goes on hold (`stock_shortage`). Use it per module with
    `pytestmark = pytest.mark.usefixtures("stock_everything")`; tests about stock use
    `inventory.tests.factories.stock_up` instead.
    """
    from catalog.tests.factories import ProductFactory
    from inventory.tests.factories import stock_up

    original = ProductFactory._create.__func__

    def create_with_stock(cls, model_class, *args, **kwargs):
        product = original(cls, model_class, *args, **kwargs)
        stock_up(product, 1000)
        return product

    monkeypatch.setattr(ProductFactory, "_create", classmethod(create_with_stock))


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = os.path.join(os.path.dirname(__file__), "test-artifacts")


@pytest.fixture
def browser_page(live_server, settings):
    """A Playwright page in Debian's Chromium, pointed at the live server; Chinese UI by default.

    Screenshots go to test-artifacts/ (git-ignored) so people can look at them after a run. The
    Content-Security-Policy stays on (an inline script without the nonce, or an inline handler, is
    blocked as in production); only 'unsafe-eval' is added, because Playwright's
    `wait_for_function("…")` evaluates its string in the page.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (scripts/system-deps.sh installs it)")
    import copy

    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["script-src"] = [*policy["DIRECTIVES"]["script-src"], "'unsafe-eval'"]
    settings.CONTENT_SECURITY_POLICY = policy
    from playwright.sync_api import sync_playwright

    os.makedirs(ARTIFACTS, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900},
                                      base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # While Playwright's event loop runs, the test's ORM calls get connections of their own
            # (asgiref's per-context storage); close them here or PostgreSQL refuses to drop the test
            # database at the end ("being accessed by other users").
            from django.db import connections

            connections.close_all()


@pytest.fixture
def login(browser_page):
    """Log a user in through the admin login form (the real login screen)."""

    def do_login(username, password="pass-Word-123"):
        browser_page.goto("/admin/login/")
        browser_page.fill("#id_username", username)
        browser_page.fill("#id_password", password)
        browser_page.click("input[type=submit]")
        browser_page.wait_for_load_state("networkidle")

    return do_login


@pytest.fixture(autouse=True)
def _forget_cached_review_rules():
    """The order intake reads review rules from the cache; tests change rules through the ORM."""
    from django.core.cache import cache

    # and the webhook subscribers, and the channels
    from core.shared_values import forget_all_here

    keys = ["workflow:active_review_rules", "integrations:anyone_listening", "orders:active_channels"]
    cache.delete_many(keys)
    forget_all_here()
    yield
    cache.delete_many(keys)
    forget_all_here()  # this process's copies too: a test's changes roll back without a commit
    # The automation engine trusts its compiled rules for a few seconds per process; a test's rules
    # roll back with its transaction (no after-commit bump), so the next test must not see them.
    from oms.workflow.automation import engine

    engine._cache.generation = None
    engine._cache.by_trigger = {}
    engine._cache.change_pending = None
