"""A real Celery worker delivers the outbox (ARCHITECTURE.md rule 5), also after the broker was
down.

How the worker shares the test database
    The worker is a separate process (`python -m celery -A portal worker --pool solo`), so it
    must open the very database pytest-django created for this session, and these tests use
    `django_db(transaction=True)` so that what the test writes is committed and visible to it.
    The worker gets `DATABASE_URL` built from the test connection's settings:
    - PostgreSQL (CI): the test database, e.g. `test_portal_ci`, on the same server.
    - SQLite (the default): portal/settings.py makes the SQLite *test* database a file in the
      data folder (`DATABASES["default"]["TEST"]["NAME"]`) instead of pytest-django's in-memory
      default, which no other process can open. Should it be in memory anyway, the tests skip.

The broker
    - With `REDIS_URL` (CI): that Redis database, under the production settings' key names, the
      worker's queue emptied before each test. The test processes keep their own cache keys and
      queued tasks under a prefix there (tests/conftest.py, REDIS_KEY_PREFIX), so neither a
      cache clear nor a task of another test reaches this queue. One real worker runs at a time,
      whichever pytest-xdist worker runs the test (a lock file): two would take each other's
      tasks.
    - Without: kombu's filesystem transport in a folder of the test's own.
    The test process is pointed at the worker's broker for the duration of a test (the web side's
    Celery app is reconfigured and its connection pools dropped), or at an unreachable Redis to
    play "the broker is down".

The worker writes the emails with `EMAIL_URL=filemail://<tmp>`; the tests read those files.
It runs in its own process group, and is stopped (SIGTERM, then SIGKILL) whatever happens.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import kombu.pools
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from core.models import Notification
from core.outbox import send_email
from core.tasks import sweep_outbox
from portal.celery import app as celery_app
from tests.portal.test_settings import clean_environ

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

BROKER_DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1
# kombu's Redis keys of Celery's default queue, without a prefix as in production.
UNPREFIXED_BROKER_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")
RESET_CONTEXT = {"name": "Alice", "url": "/accounts/password/reset/"}


@dataclass
class Broker:
    url: str
    transport_options: dict[str, Any]
    worker_env: dict[str, str]


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    mail_dir: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output())
            if match:
                return match
            if self.process.poll() is not None:
                pytest.fail(f"The worker exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(0.1)
        pytest.fail(f"No {pattern!r} in the worker's log after {timeout} s:\n{self.output()}")

    def mails(self) -> list[str]:
        if not self.mail_dir.exists():
            return []
        return [path.read_text() for path in sorted(self.mail_dir.iterdir())]


def _wait_until(condition: Callable[[], bool], worker: Worker, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"Gave up waiting after {timeout} s. The worker's log:\n{worker.output()}")


def _test_database_url() -> str:
    """A DATABASE_URL for the database this test process is using right now."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            pytest.skip("The SQLite test database is in memory; a worker cannot share it.")
        return f"sqlite:///{Path(name).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = quote(db["USER"] or "", safe="")
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        host = db["HOST"] or ""
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"
    pytest.skip(f"No worker set-up for {db['ENGINE']}.")


@pytest.fixture
def one_real_worker_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hold the test run's lock on the real worker's queue. The pytest-xdist workers of a run
    share the parent of their temporary folders, where the lock file lives."""
    lock = tmp_path_factory.getbasetemp().parent / "real-celery-worker.lock"
    with lock.open("w") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # released when the file is closed
        yield


@pytest.fixture
def broker(tmp_path: Path, one_real_worker_at_a_time: None) -> Broker:
    if settings.REDIS_URL:
        import redis

        url = settings.REDIS_URL
        # A previous run's messages must not be delivered: the queue, and the messages a stopped
        # worker had taken but not acknowledged (kombu puts those back in the queue).
        redis.Redis.from_url(url).delete(*UNPREFIXED_BROKER_KEYS)
        return Broker(url=url, transport_options={}, worker_env={"REDIS_URL": url})
    # The worker's settings put the filesystem broker under its own data folder; the test
    # process publishes into the same folders.
    worker_data = tmp_path / "worker"
    options: dict[str, Any] = {
        name: value.replace(str(settings.DATA_DIR), str(worker_data))
        if isinstance(value, str)
        else value
        for name, value in settings.CELERY_BROKER_TRANSPORT_OPTIONS.items()
    }
    for name in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if name in options:
            Path(options[name]).mkdir(parents=True, exist_ok=True)
    return Broker(url="filesystem://", transport_options=options, worker_env={})


@contextmanager
def publishing_to(url: str, transport_options: dict[str, Any]) -> Iterator[None]:
    """Point this process's Celery app (the web side) at another broker for a while."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options)

    def drop_pools() -> None:
        # Close kombu's shared pools and forget them, as Celery does after a fork: the next
        # publish opens a connection to whatever broker the configuration names then.
        kombu.pools.reset()
        celery_app._pool = None  # type: ignore[attr-defined]  # private, not in celery-types
        celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]  # the same

    drop_pools()
    conf.broker_url, conf.broker_transport_options = url, transport_options  # type: ignore[misc]
    try:
        yield
    finally:
        drop_pools()
        conf.broker_url, conf.broker_transport_options = saved  # type: ignore[misc]


@pytest.fixture
def worker(tmp_path: Path, broker: Broker, transactional_db: Any) -> Iterator[Worker]:
    mail_dir = tmp_path / "mail"
    log = tmp_path / "worker.log"
    env = clean_environ()
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        PORTAL_DATA_DIR=str(tmp_path / "worker"),
        DATABASE_URL=_test_database_url(),
        EMAIL_URL=f"filemail://{mail_dir}",
        PORTAL_HTTPS="false",
        PYTHONUNBUFFERED="1",
        **broker.worker_env,
    )
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
        "--hostname",
        f"test-{uuid.uuid4().hex[:8]}@%h",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Worker(process=process, log=log, mail_dir=mail_dir)
    try:
        running.wait_for_log(r" ready\.", timeout=60)
        with publishing_to(broker.url, broker.transport_options):
            yield running
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown, then kill: the worker's whole process group, never a stray process."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _status(notification: Notification) -> str:
    notification.refresh_from_db()
    return notification.status


def test_worker_delivers_an_email_written_in_a_service_transaction(
    alice: User, worker: Worker
) -> None:
    with transaction.atomic():
        alice.set_password("a brand new passphrase")
        alice.save(update_fields=["password"])
        notification = send_email(
            "password_changed", to_user=alice, key="worker-test:1", context=RESET_CONTEXT
        )

    _wait_until(lambda: _status(notification) == Notification.Status.SENT, worker)

    notification.refresh_from_db()
    assert notification.attempts == 1
    assert notification.sent_at is not None
    worker.wait_for_log(r"deliver_notification\[[\w-]+\] succeeded in \S+: True")
    mails = worker.mails()
    assert len(mails) == 1
    assert "To: alice@example.com" in mails[0]
    assert "Subject: Your password was changed" in mails[0]
    assert "Hello Alice," in mails[0]


def test_worker_sweep_delivers_once_what_was_written_while_the_broker_was_down(
    alice: User, worker: Worker
) -> None:
    with publishing_to(BROKER_DOWN, {}):
        started = time.monotonic()
        with transaction.atomic():
            notification = send_email(
                "password_changed", to_user=alice, key="worker-test:2", context=RESET_CONTEXT
            )
        elapsed = time.monotonic() - started

    assert elapsed < 10, f"Committing took {elapsed:.1f} s with the broker down."
    assert _status(notification) == Notification.Status.PENDING
    # The broker stays down for a while: longer than the sweep leaves fresh rows to their task.
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    assert worker.mails() == []

    first = sweep_outbox.delay()
    worker.wait_for_log(rf"sweep_outbox\[{first.id}\] succeeded in \S+: 1\b")

    assert _status(notification) == Notification.Status.SENT
    assert len(worker.mails()) == 1

    second = sweep_outbox.delay()
    worker.wait_for_log(rf"sweep_outbox\[{second.id}\] succeeded in \S+: 0\b")

    mails = worker.mails()
    assert len(mails) == 1
    assert "To: alice@example.com" in mails[0]
    notification.refresh_from_db()
    assert notification.attempts == 1
