"""Test set-up: a fresh test database with the real roles, and standing tenants.

The database is built as in production: roles spp_owner / spp_app / spp_maint,
migrations run as the owner, requests served as spp_app under row-level
security. The one test-only grant is TRUNCATE for spp_app, which Django's
per-test flush of committed (transactional) tests needs.

Tests that use both the request alias and the maintenance alias must commit
(`transaction=True`): two connections never see each other's open transaction.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings

from spp import dbsetup, runtime

BOTH_DATABASES = ["default", "maint"]
# Mark for tests that write as operators (maint) and read as partners (default).
committed_db = pytest.mark.django_db(transaction=True, databases=BOTH_DATABASES)

ARTIFACTS = settings.BASE_DIR / "var" / "test-artifacts"


def _admin_uri() -> str:
    if os.environ.get("DATABASE_URL"):
        uri = os.environ.get("DATABASE_ADMIN_URL")
        if not uri:
            pytest.exit("DATABASE_URL is set: set DATABASE_ADMIN_URL (a superuser) for the tests")
        return uri
    return runtime.postgres_admin_uri()


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    name = "test_" + settings.DATABASES["default"]["NAME"]
    dbsetup.setup(_admin_uri(), database=name, recreate=True, truncate_for_app=True)
    for alias in connections:
        connections[alias].close()
        settings.DATABASES[alias]["NAME"] = name
        connections[alias].settings_dict["NAME"] = name
    with django_db_blocker.unblock():
        call_command("migrate", database="owner", verbosity=0)
    yield
    for alias in connections:
        connections[alias].close()


@pytest.fixture(scope="session", autouse=True)
def _fast_and_isolated():
    """Cheap password hashing; a cache prefix and Celery queue of this session's own."""
    from spp.celery import app

    run = uuid.uuid4().hex[:8]
    queue = f"spp-test-{run}"
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CACHES={
            "default": {**settings.CACHES["default"], "KEY_PREFIX": f"spp-test-{run}"},
        },
    )
    overrides.enable()
    app.conf.task_default_queue = queue
    yield
    overrides.disable()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Forget this session's cache keys (rate limits, export jobs) before each test.

    Not cache.clear(): on Redis that is FLUSHDB, which would also wipe the Celery queues
    and the keys of anything else sharing the server.
    """
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def celery_worker():
    """A real Celery worker in this process (solo pool, a thread) on the session's queue."""
    from celery.contrib.testing.worker import start_worker

    from spp.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ----------------------------------------------------------------- standing tenants


@pytest.fixture
def tenants(request):
    """Partners A and B, each with an admin, an account manager and a viewer.

    Like Healthchecks' three standing users: B's people must never see A's data.
    """
    from tests.factories import make_tenants

    return make_tenants()


@pytest.fixture
def client_a(client, tenants):
    client.force_login(tenants.a_admin)
    return client


@pytest.fixture
def client_b(client, tenants):
    client.force_login(tenants.b_admin)
    return client


pytest_plugins = ["tests.browser"]
