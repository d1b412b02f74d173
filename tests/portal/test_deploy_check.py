"""Production settings pass Django's deployment check and send the security headers.

Each test runs `manage.py` in a subprocess with the environment of a production web process
(DEBUG=false, a real secret, a host name), because the settings of the test process are the
embedded ones (plain HTTP, see tests/testenv.py).
"""

from __future__ import annotations

import json
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.portal.test_settings import clean_environ

HOST = "portal.example.com"

PROBE = """
import json
import django
from django.conf import settings as s

django.setup()
from django.test import Client

client = Client(HTTP_HOST="portal.example.com")
secure = client.get("/healthz", secure=True)
plain = client.get("/accounts/login/")
plain_health = client.get("/healthz")
login = client.get("/accounts/login/", secure=True)
csrf = login.cookies.get(s.CSRF_COOKIE_NAME)
print(json.dumps({
    "SESSION_COOKIE_NAME": s.SESSION_COOKIE_NAME,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SESSION_COOKIE_DOMAIN": s.SESSION_COOKIE_DOMAIN,
    "SESSION_COOKIE_PATH": s.SESSION_COOKIE_PATH,
    "SESSION_COOKIE_AGE": s.SESSION_COOKIE_AGE,
    "CSRF_COOKIE_NAME": s.CSRF_COOKIE_NAME,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "PASSWORD_RESET_TIMEOUT": s.PASSWORD_RESET_TIMEOUT,
    "SESSION_IDLE_TIMEOUT": s.SESSION_IDLE_TIMEOUT.total_seconds(),
    "SESSION_ABSOLUTE_LIFETIME": s.SESSION_ABSOLUTE_LIFETIME.total_seconds(),
    "secure_status": secure.status_code,
    "secure_headers": dict(secure.headers),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
    "plain_health_status": plain_health.status_code,
    "login_status": login.status_code,
    "login_headers": dict(login.headers),
    "csrf_cookie_secure": bool(csrf and csrf["secure"]),
}))
"""


def _production_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = clean_environ()
    alphabet = string.ascii_letters + string.digits + string.punctuation
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(64)),
        ALLOWED_HOSTS=HOST,
        PORTAL_DATA_DIR=str(data_dir),
        **extra,
    )
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    result = _manage(_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_is_turned_off(tmp_path: Path) -> None:
    env = _production_env(tmp_path, PORTAL_HTTPS="false")

    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr + result.stdout


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What a production web process is configured with and answers, read from a subprocess."""
    data_dir = tmp_path_factory.mktemp("production")
    env = _production_env(data_dir)
    for args in (("migrate", "--noinput", "-v0"), ("collectstatic", "--noinput", "-v0")):
        done = _manage(env, *args)
        assert done.returncode == 0, done.stderr
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return values


def test_production_cookies_are_secure_and_host_prefixed(production: dict[str, Any]) -> None:
    assert production["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    # A __Host- cookie is refused by browsers unless it has no Domain and Path=/.
    assert production["SESSION_COOKIE_DOMAIN"] is None
    assert production["SESSION_COOKIE_PATH"] == "/"
    assert production["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["csrf_cookie_secure"] is True


def test_production_sends_hsts(production: dict[str, Any]) -> None:
    assert production["SECURE_HSTS_SECONDS"] >= 31_536_000
    hsts = production["secure_headers"]["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_production_redirects_plain_http(production: dict[str, Any]) -> None:
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["plain_status"] == 301
    assert production["plain_location"] == f"https://{HOST}/accounts/login/"


def test_production_health_check_answers_plain_http(production: dict[str, Any]) -> None:
    # Load balancers probe over plain HTTP inside the network (SECURE_REDIRECT_EXEMPT).
    assert production["plain_health_status"] == 200


@pytest.mark.parametrize("response", ["secure_headers", "login_headers"])
def test_production_sends_the_security_headers(production: dict[str, Any], response: str) -> None:
    headers = production[response]

    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_serves_the_login_page(production: dict[str, Any]) -> None:
    assert production["login_status"] == 200


def test_production_sessions_expire(production: dict[str, Any]) -> None:
    idle = production["SESSION_IDLE_TIMEOUT"]
    absolute = production["SESSION_ABSOLUTE_LIFETIME"]
    assert 0 < idle < absolute
    assert production["SESSION_COOKIE_AGE"] <= absolute


def test_production_password_reset_links_last_one_hour(production: dict[str, Any]) -> None:
    assert production["PASSWORD_RESET_TIMEOUT"] == 3600
