"""No statement of a web request runs longer than DATABASE_STATEMENT_TIMEOUT_MS on PostgreSQL; the
Celery worker's connections get WORKER_STATEMENT_TIMEOUT_MS (issue 12, finding 1: one API request
kept a backend at 100% CPU for 13 minutes after the client had left)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.db.backends.signals import connection_created

from portal.celery import use_worker_statement_timeout
from tests.portal.test_settings import _run_settings

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL): SQLite has no statement timeout",
)


def _timeout_ms(conn: object) -> int:
    with conn.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
        return int(cursor.fetchone()[0])


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
def test_a_web_connection_has_the_statement_timeout() -> None:
    assert settings.STATEMENT_TIMEOUT_MS == 5_000
    assert _timeout_ms(connection) == 5_000


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
def test_a_statement_longer_than_the_timeout_is_cancelled() -> None:
    with pytest.raises(OperationalError, match="statement timeout"), connection.cursor() as c:
        c.execute("SELECT pg_sleep(%s)", [settings.STATEMENT_TIMEOUT_MS / 1000 + 1])


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
def test_the_worker_connections_get_the_longer_timeout() -> None:
    use_worker_statement_timeout()
    worker_connection = connections.create_connection("default")
    try:
        assert _timeout_ms(worker_connection) == settings.WORKER_STATEMENT_TIMEOUT_MS == 300_000
    finally:
        worker_connection.close()
        connection_created.disconnect(dispatch_uid="worker-statement-timeout")


def _database_options(tmp_path: Path, **env: str) -> dict[str, str]:
    code = "import json\nprint(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    result = _run_settings(tmp_path, f"from django.conf import settings\n{code}", **env)
    assert result.returncode == 0, result.stderr
    options: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return options


def test_the_timeout_is_sent_when_connecting_to_postgresql(tmp_path: Path) -> None:
    url = "postgres://portal@db.example:5432/portal"

    default = _database_options(tmp_path, DATABASE_URL=url)
    set_to = _database_options(tmp_path, DATABASE_URL=url, DATABASE_STATEMENT_TIMEOUT_MS="800")
    with_own = _database_options(tmp_path, DATABASE_URL=f"{url}?options=-c%20search_path%3Dportal")

    assert default["options"] == "-c statement_timeout=5000"
    assert set_to["options"] == "-c statement_timeout=800"
    assert with_own["options"] == "-c search_path=portal -c statement_timeout=5000"


def test_sqlite_gets_no_statement_timeout_option(tmp_path: Path) -> None:
    assert "options" not in _database_options(tmp_path)
