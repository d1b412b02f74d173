"""Peak memory of the web server under 50 parallel sign-ins (issue 12, finding 2):
`uv run python bench/hashing_memory.py`.

Each sign-in uses a different unknown address, so each costs one (dummy) Argon2 hash and none is
stopped by a rate limit. In one run, for the portal's settings and for the reference (Django's
default Argon2, 100 MiB a hash, no bound on concurrent hashes; `bench/hashing_reference.py`):

1. a fresh SQLite data folder (the embedded mode), migrated;
2. granian (WSGI, 2 workers, granian's default thread pool: the bound must come from the portal);
3. 50 clients fetch the sign-in page (CSRF cookie and token), wait at a barrier, and post at once;
4. the resident memory of granian's whole process tree is sampled every 10 ms; the peak is kept,
   with the answers' status codes (429 = "busy, try again" from `core.hashing`).

Prints a Markdown table. granian is stopped at the end whatever happens (its process group).
"""

from __future__ import annotations

import http.client
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLIENTS = 50
WORKERS = 2
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def environment(data_dir: Path, settings: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PORTAL_", "DATABASE_", "REDIS_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings,
            "DEBUG": "false",
            "PORTAL_HTTPS": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": HOST,
            "PORTAL_DATA_DIR": str(data_dir),
            "EMAIL_URL": f"filemail://{data_dir}/mail",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            statm = Path(f"/proc/{entry}/statm").read_text().split()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(statm[1]) * PAGE_SIZE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def prepare(port: int, n: int) -> tuple[http.client.HTTPConnection, str, str]:
    """A browser on the sign-in page: its connection, CSRF cookie and the form to post."""
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    conn.request("GET", "/accounts/login/")
    page = conn.getresponse()
    body = page.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if cookie is None or token is None:
        raise RuntimeError(f"no CSRF token on the sign-in page ({page.status})")
    form = (
        f"csrfmiddlewaretoken={token.group(1)}"
        f"&email=nobody{n}%40example.com&password=wrong-{n}-guess"
    )
    return conn, cookie.group(1), form


def sign_in(
    port: int,
    browser: tuple[http.client.HTTPConnection, str, str],
    barrier: threading.Barrier,
    answers: list[int],
) -> None:
    conn, cookie, form = browser
    barrier.wait()
    conn.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "Referer": f"http://{HOST}:{port}/accounts/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    answers.append(response.status)


def measure(settings: str) -> tuple[int, int, Counter[int], float]:
    with tempfile.TemporaryDirectory(prefix="bench-hashing-") as tmp:
        data = Path(tmp)
        env = environment(data, settings)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        # Production settings serve the hashed static files.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--workers",
                str(WORKERS),
                "--no-ws",
                "--host",
                HOST,
                "--port",
                str(port),
                "portal.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    http.client.HTTPConnection(HOST, port, timeout=2).request("GET", "/healthz")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            time.sleep(1)
            idle = tree_rss(server.pid)  # before the sign-in pages are served
            peak, stop = idle, threading.Event()

            def sample() -> None:
                nonlocal peak
                while not stop.is_set():
                    peak = max(peak, tree_rss(server.pid))
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample)
            sampler.start()
            browsers = [prepare(port, n) for n in range(CLIENTS)]
            barrier = threading.Barrier(CLIENTS)
            answers: list[int] = []
            started = time.monotonic()
            clients = [
                threading.Thread(target=sign_in, args=(port, b, barrier, answers)) for b in browsers
            ]
            for c in clients:
                c.start()
            for c in clients:
                c.join()
            elapsed = time.monotonic() - started
            time.sleep(0.5)
            stop.set()
            sampler.join()
            return idle, peak, Counter(answers), elapsed
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def main() -> None:
    mib = 1024 * 1024
    rows = []
    for name, settings in (
        ("portal (19 MiB, bounded)", "portal.settings"),
        ("reference (Django default, 100 MiB)", "bench.hashing_reference"),
    ):
        idle, peak, answers, elapsed = measure(settings)
        rows.append((name, idle // mib, peak // mib, dict(sorted(answers.items())), elapsed))
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; granian {WORKERS} workers; "
        f"{CLIENTS} parallel sign-ins with unknown addresses\n"
    )
    print("| settings | idle RSS (MiB) | peak RSS (MiB) | answers | time (s) |")
    print("|---|---|---|---|---|")
    for name, idle, peak, answers, elapsed in rows:
        print(f"| {name} | {idle} | {peak} | {answers} | {elapsed:.1f} |")
    portal_peak, reference_peak = rows[0][2], rows[1][2]
    print(
        f"\nPeak ratio portal/reference: {portal_peak / reference_peak:.2f}; "
        f"target < 1024 MiB: {'met' if portal_peak < 1024 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
