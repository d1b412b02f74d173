"""`uv run portal up`: the newcomer's first command starts, serves, stops cleanly, and restarts.

Each run gets a fresh data folder (PORTAL_DATA_DIR) and the embedded defaults (SQLite, the
filesystem broker, mail in files). Every process that `portal up` starts inherits that
PORTAL_DATA_DIR, so /proc/<pid>/environ tells which processes are left after a stop.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import User
from portal.demo import DEMO_LOGINS
from tests.portal.test_settings import clean_environ

pytestmark = pytest.mark.celery

START_TIMEOUT = 180  # a first start migrates a new database and hashes the demo passwords
STOP_TIMEOUT = 15


@dataclass
class Portal:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            match = re.search(r"The portal runs at (http://\S+)", self.output())
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                pytest.fail(f"portal up exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"portal up printed no URL in {START_TIMEOUT} s:\n{self.output()}")


def _command() -> list[str]:
    uv = shutil.which("uv")
    if uv:
        return [uv, "run", "portal", "up"]
    return [str(Path(sys.executable).with_name("portal")), "up"]  # the venv's entry point


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _processes_of(data_dir: Path) -> list[int]:
    """Processes (other than this one) whose environment names this data folder."""
    marker = f"PORTAL_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@contextmanager
def portal_up(data_dir: Path, port: int) -> Iterator[Portal]:
    env = clean_environ()
    env.update(PORTAL_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [*_command(), "--port", str(port)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    running = Portal(process=process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield running
    finally:
        # Whatever the test did: nothing of this run may outlive it.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
        for pid in _processes_of(data_dir):
            os.kill(pid, signal.SIGKILL)
        reader.join(timeout=5)


def _get(url: str) -> int:
    """The status of GET `url`, retried while the web server is still starting."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _stop_and_wait(portal: Portal, data_dir: Path, *, whole_group: bool) -> None:
    """Ctrl-C, then every process of this data folder must be gone within STOP_TIMEOUT."""
    if whole_group:  # as a terminal does: every process in the foreground group gets it
        os.killpg(portal.process.pid, signal.SIGINT)
    else:  # only the command itself: it must stop its children
        portal.process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT
    left = _processes_of(data_dir)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = _processes_of(data_dir)
    assert left == [], f"Still running {STOP_TIMEOUT} s after Ctrl-C: {left}\n{portal.output()}"
    portal.process.wait(timeout=5)


def _user_exists(data_dir: Path, email: str) -> bool:
    with sqlite3.connect(data_dir / "portal.sqlite3") as db:
        query = f"SELECT COUNT(*) FROM {User._meta.db_table} WHERE email = ?"  # noqa: S608
        return bool(db.execute(query, (email,)).fetchone()[0])


def test_portal_up_serves_the_demo_stops_cleanly_and_reuses_its_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = _free_port()

    with portal_up(data_dir, port) as first:
        url = first.wait_for_url()
        assert url == f"http://localhost:{port}/"
        assert _get(f"{url}accounts/login/") == 200
        assert "Demo data created." in first.output()
        assert "portal-demo-2026" in first.output()
        for email, *_ in DEMO_LOGINS:
            assert email in first.output()
        assert _user_exists(data_dir, "alice@example.com")
        assert _processes_of(data_dir), "portal up started no child process"
        _stop_and_wait(first, data_dir, whole_group=False)
    assert "Stopped." in first.output()

    with portal_up(data_dir, port) as second:
        url = second.wait_for_url()
        assert _get(f"{url}accounts/login/") == 200
        assert "Demo data created." not in second.output()
        assert "alice@example.com" in second.output()
        _stop_and_wait(second, data_dir, whole_group=True)


def test_portal_up_refuses_a_port_out_of_range(tmp_path: Path) -> None:
    with portal_up(tmp_path / "data", 70000) as portal:
        code = portal.process.wait(timeout=60)

    assert code == 2
    assert "--port must be between 1 and 65535" in portal.output()
