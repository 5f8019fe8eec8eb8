"""TOTP two-factor sign-in, and production settings that pass `check --deploy`."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.conf import settings
from django.urls import reverse

from tests.conftest import committed_db
from tests.factories import PASSWORD, make_tenants


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@committed_db
def test_totp_activation_then_sign_in_asks_for_the_code(client):
    make_tenants()
    client.post(reverse("account_login"), {"login": "admin@a.example", "password": PASSWORD})
    # Adding a second factor asks for the password again (allauth's reauthentication).
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked.status_code == 302 and "reauthenticate" in asked["Location"]
    client.post(asked["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.using("maint").exists()
    done = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.using("maint").filter(type="totp").count() == 1

    client.post(reverse("account_logout"))
    step = client.post(reverse("account_login"), {"login": "admin@a.example", "password": PASSWORD})
    assert step["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("dashboard")).status_code == 302  # not signed in yet
    signed = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert signed.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_production_settings_pass_check_deploy():
    # Not the test process's own environment: the browser fixture relaxes Django's
    # async-safety check there, which check --deploy would rightly report.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "SPP_HTTPS": "1",
        "SPP_SECRET_KEY": secrets.token_urlsafe(60),
        "SPP_ALLOWED_HOSTS": "spp.example.com",
        "SPP_DEBUG": "0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
