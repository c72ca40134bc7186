"""Production settings: `masthead check --deploy --fail-level WARNING` passes, and what they
turn on (HSTS, the https redirect, secure cookies, 2FA) does what it says."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from .conftest import log_in

PRODUCTION = {
    "SITE_URL": "https://news.example.org",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "news.example.org",
    "SECURE_PROXY": "true",
}
SECURITY_SETTINGS = [
    "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "REQUIRE_2FA_FOR_ADMINS", "SECURE_PROXY",
]
# The variables the test settings put into this process's environment.
TEST_ONLY = {"DJANGO_SETTINGS_MODULE", "VAR_DIR", "SECRET_KEY", "TASK_BACKEND", "EMAIL_URL",
             "PAGE_CACHE_SECONDS", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    return {**env, **PRODUCTION, "VAR_DIR": str(tmp_path),
            "SECRET_KEY": secrets.token_urlsafe(48)[:50]}


def test_check_deploy_passes_with_production_settings(tmp_path):
    masthead = Path(sys.executable).with_name("masthead")
    result = subprocess.run(
        [str(masthead), "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """The security settings the production environment computes, read in a fresh process."""
    code = (
        "import json, masthead.settings as s; "
        f"print(json.dumps({{k: getattr(s, k, None) for k in {SECURITY_SETTINGS!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=production_env(tmp_path_factory.mktemp("prod")),
        capture_output=True, text=True, timeout=60, check=True,
    )
    values = json.loads(result.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_production_turns_on_secure_cookies_hsts_and_2fa(production):
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["REQUIRE_2FA_FOR_ADMINS"] is True


@pytest.fixture
def as_production(settings, production):
    for name, value in production.items():
        setattr(settings, name, value)
    settings.CONTENT_SECURITY_POLICY = {
        **django_settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {**django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
                       "upgrade-insecure-requests": True},
    }
    settings.REQUIRE_2FA_FOR_ADMINS = False  # this test is about transport, not sign-in


@pytest.mark.django_db
def test_over_tls_hsts_secure_cookies(client, as_production, superuser):
    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "upgrade-insecure-requests" in response["Content-Security-Policy"]
    client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    login = log_in(client, superuser.username, HTTP_X_FORWARDED_PROTO="https")
    assert login.status_code == 302
    assert login.cookies[django_settings.SESSION_COOKIE_NAME]["secure"]
    assert client.cookies[django_settings.CSRF_COOKIE_NAME]["secure"]


@pytest.mark.django_db
def test_plain_http_is_redirected_except_the_health_check(client, as_production):
    response = client.get("/articles/", HTTP_HOST="news.example.org")
    assert response.status_code == 301
    assert response["Location"] == "https://news.example.org/articles/"
    assert "Strict-Transport-Security" not in response  # only ever sent over TLS
    assert client.get("/healthz").status_code == 200  # the proxy's probe over http
