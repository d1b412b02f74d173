"""Settings come from the environment and a bad value stops the process, naming the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# Variables that the test process itself got from the environment (CI, tests/testenv.py);
# each subprocess starts from the embedded defaults instead.
PORTAL_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "PORTAL_HTTPS",
    "PORTAL_DATA_DIR",
    "PORTAL_BEHIND_PROXY",
    "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_HOURS",
    "REAUTH_MINUTES",
    "API_TOKEN_CACHE_SECONDS",
    "DATABASE_STATEMENT_TIMEOUT_MS",
    "WORKER_STATEMENT_TIMEOUT_MS",
    "NEWSLETTER_MAX_LISTS",
    "NEWSLETTER_MAX_SUBSCRIBERS",
)


def clean_environ() -> dict[str, str]:
    """This process's environment without what configures the portal or Django itself (tests
    elsewhere set DJANGO_ALLOW_ASYNC_UNSAFE, for example, which a deployment must not have)."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in PORTAL_VARIABLES and not name.startswith("DJANGO_")
    }


def _run_settings(data_dir: Path, code: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter with `env` on top of the defaults.

    Reading one setting evaluates the whole module; the apps are not loaded (faster).
    """
    clean = clean_environ()
    clean.update(DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings\nsettings.DEBUG\n{code}"],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_settings_load_with_the_defaults(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s\n"
        "import json\n"
        "print(json.dumps({'debug': s.DEBUG, 'https': s.HTTPS,"
        " 'engine': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL,"
        " 'mail': s.EMAIL_FILE_PATH, 'key': len(s.SECRET_KEY)}))"
    )

    result = _run_settings(tmp_path, code)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["debug"] is False
    assert values["https"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["broker"] == "filesystem://"
    assert values["mail"] == str(tmp_path / "mail")
    assert values["key"] >= 50
    assert (tmp_path / "secret_key").exists()


def test_settings_keep_the_generated_secret_key(tmp_path: Path) -> None:
    code = "from django.conf import settings\nprint(settings.SECRET_KEY)"

    first = _run_settings(tmp_path, code)
    second = _run_settings(tmp_path, code)

    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_use_a_secret_key_starting_with_a_dollar_as_given(tmp_path: Path) -> None:
    key = "$" + "k3y-" * 16
    code = "from django.conf import settings\nprint(settings.SECRET_KEY)"

    result = _run_settings(tmp_path, code, SECRET_KEY=key)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key
    assert not (tmp_path / "secret_key").exists()


def test_settings_read_an_absolute_filemail_path(tmp_path: Path) -> None:
    mail = tmp_path / "elsewhere"
    code = "from django.conf import settings\nprint(settings.EMAIL_FILE_PATH)"

    result = _run_settings(tmp_path, code, EMAIL_URL=f"filemail://{mail}")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(mail)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("PORTAL_HTTPS", "ture"),
        ("SECRET_KEY", "short"),
        ("SECRET_KEY", "a" * 64),
        ("REDIS_URL", "http://x"),
        ("DATABASE_URL", "nonsense://portal:hunter2-secret@db.example/portal"),
        ("DATABASE_URL", "postgres"),
        ("DATABASE_URL", "postgres://portal:hunter2-secret@db.example:5432"),
        ("EMAIL_URL", "bogus://mailer:hunter2-secret@smtp.example"),
        ("SESSION_IDLE_MINUTES", "an hour"),
        ("SESSION_ABSOLUTE_HOURS", "0"),
        ("REAUTH_MINUTES", "-5"),
        ("API_TOKEN_CACHE_SECONDS", "6"),
        ("API_TOKEN_CACHE_SECONDS", "-1"),
        ("API_TOKEN_CACHE_SECONDS", "5s"),
        ("DATABASE_STATEMENT_TIMEOUT_MS", "5s"),
        ("WORKER_STATEMENT_TIMEOUT_MS", "-1"),
        ("NEWSLETTER_MAX_SUBSCRIBERS", "0"),
    ],
)
def test_settings_with_a_bad_value_fail_loudly(tmp_path: Path, variable: str, value: str) -> None:
    result = _run_settings(tmp_path, **{variable: value})

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    assert variable in last_line
    assert "hunter2-secret" not in result.stderr
