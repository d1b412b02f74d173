"""The `portal` command.

    uv run portal up [--port N]    migrate, seed the demo once, run web + worker + beat
    uv run portal kauth ...        the reference kAuth device (enroll, pending, approve, deny, code)
    uv run portal demo-code        the current 2FA code of the demo logins that have one
    uv run portal manage ARGS...   any manage.py command

`up` is the embedded mode: SQLite, the filesystem broker and mail written to files, all in the
data folder (var/ or PORTAL_DATA_DIR), unless DATABASE_URL / REDIS_URL / EMAIL_URL say otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from types import FrameType

STOP_TIMEOUT = 10


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def up(port: int, host: str) -> int:
    os.environ.setdefault("DEBUG", "true")
    # Served on 127.0.0.1 but named "localhost": security keys (WebAuthn) refuse IP addresses.
    public_host = "localhost" if host in {"127.0.0.1", "::1"} else host
    os.environ.setdefault("PORTAL_BASE_URL", f"http://{public_host}:{port}")
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from portal import demo

    print(f"Data folder: {settings.DATA_DIR}")
    call_command("migrate", interactive=False, verbosity=0)
    if demo.seed():
        print("Demo data created.")
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)

    schedule = settings.DATA_DIR / "celerybeat-schedule"
    # From here on a signal asks for a stop: the children never outlive this command.
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)

    children = [
        subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                host,
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-ws",
                "portal.wsgi:application",
            ],
            # Each child in a process group of its own: Ctrl-C reaches only this command, which
            # stops the children in order. Had granian got the terminal's SIGINT as well, our
            # SIGTERM would interrupt its shutdown and leave its worker process running.
            process_group=0,
        ),
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--beat",
                "--schedule",
                str(schedule),
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
            ],
            process_group=0,
        ),
    ]

    url = f"{settings.PORTAL_BASE_URL}/"
    print(f"\nThe portal runs at {url}")
    print(f"Sign in with any of these (password {settings.DEMO_PASSWORD}):")
    for email, _first, _last, what in demo.DEMO_LOGINS:
        print(f"  {email:<22} {what}")
    print("Second factors: alice approves with her kAuth phone, played by")
    print(f"  uv run portal kauth approve <number> --state {demo.kauth_state_file()}")
    print("  or, under 'Try another way', her authenticator app. The authenticator code of alice")
    print("  and support: `uv run portal demo-code` (or add this key to an authenticator app:")
    print(f"  {demo.DEMO_TOTP_KEY}).")
    if settings.DEBUG:
        print(f"Emails and SMS sent: {url}dev/outbox/")
    print("Press Ctrl-C to stop.\n", flush=True)

    exit_code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(f"A process stopped (exit {child.returncode}); stopping the others.")
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.3)

    for child in children:
        if child.poll() is None:
            child.terminate()  # the child's main process shuts its own workers down
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        _kill_group(child.pid)
    print("Stopped.")
    return exit_code


def _kill_group(pgid: int) -> None:
    """Kill whatever is left in a child's process group (a worker its main process orphaned)."""
    # ProcessLookupError: the group is empty, everything stopped by itself.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="run the portal with web server, worker and beat")
    p_up.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p_up.add_argument("--host", default="127.0.0.1")
    sub.add_parser(
        "demo-code", help="print the current 2FA code of the demo authenticator (alice, support)"
    )
    p_kauth = sub.add_parser("kauth", help="the reference kAuth device (see `portal kauth -h`)")
    p_kauth.add_argument("args", nargs=argparse.REMAINDER)
    p_manage = sub.add_parser("manage", help="run a manage.py command")
    p_manage.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.command == "up":
        if not 0 < args.port < 65536:
            parser.error("--port must be between 1 and 65535")
        return up(args.port, args.host)
    if args.command == "kauth":
        from portal.kauth_device import main as kauth_main

        return kauth_main(args.args)
    if args.command == "demo-code":
        _setup_django()
        from portal import demo

        print(demo.current_demo_code())
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["portal manage", *args.args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
