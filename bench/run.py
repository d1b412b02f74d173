"""Benchmark of the REST API's authentication (issue 4): `uv run python bench/run.py`.

In one run, on this machine's PostgreSQL (127.0.0.1:5432, user postgres) and Redis (database 13):

1. drops and creates the database `portal_bench`, migrates it with `bench.settings` (production
   settings: DEBUG=false) and seeds one person, one organization, a mailing list with a few
   subscribers, a Newsletter API token, a stock DRF token and an application password for the API;
2. measures in-process (timeit) one argon2 password check against one application-password check,
   and what each request costs without a server (SQL queries, time through Django's test client);
3. serves the portal with granian (WSGI, 2 workers, `--blocking-threads` each), checks that
   every endpoint answers and authenticates, and measures the requests per second of the bare
   view (the floor), the unauthenticated twin of the Newsletter list endpoint, the endpoint with
   a Bearer API token, with DRF's stock TokenAuthentication, with the token looked up on
   every request (its per-process cache emptied first) and with HTTP Basic and an application
   password — with wrk (Debian's
   package, installed when missing and possible) or a small Python client — each `--runs` times,
   interleaved, keeping the median; a run disturbed by other work on the machine is done again;
4. prints a Markdown report (the machine, the numbers, each target met or missed).

granian is stopped at the end whatever happens (its whole process group).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "portal_bench"
SERVER_URL = "postgresql://postgres@127.0.0.1:5432"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/13"
HOST = "127.0.0.1"
WORKERS = 2

# The issue's targets.
MAX_TOKEN_COST = 0.15
MIN_ARGON2_RATIO = 100


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    expect: str = ""  # a string the 200 response must contain


@dataclass
class Measure:
    rps: float
    latency_ms: float | None
    requests: int
    errors: int  # non-2xx answers
    socket_errors: int = 0  # connect, read, write, timeout (wrk)
    other_cpu: float = 0.0  # share of the machine's CPU that other work took meanwhile


def variants(creds: dict[str, str]) -> list[Variant]:
    org = creds["organization"]
    basic = base64.b64encode(f"{creds['email']}:{creds['app_password']}".encode()).decode()
    name = creds["list_name"]
    return [
        Variant("floor", "Bare Django view (floor)", "/bench/floor/", expect='"ok"'),
        Variant(
            "open",
            "Newsletter lists, unauthenticated twin",
            "/bench/open/newsletter/lists/",
            expect=name,
        ),
        Variant(
            "bearer",
            "Newsletter lists, `Authorization: Bearer` API token (ours)",
            "/api/v1/newsletter/lists/",
            {"Authorization": f"Bearer {creds['bearer']}"},
            name,
        ),
        Variant(
            "drf",
            "Same view, DRF stock `TokenAuthentication` (`?organization=`)",
            f"/bench/drf-token/newsletter/lists/?organization={org}",
            {"Authorization": f"Token {creds['drf_key']}"},
            name,
        ),
        Variant(
            "drf_fixed",
            "Same view, DRF stock `TokenAuthentication`, organization fixed, no membership check",
            "/bench/drf-token-fixed/newsletter/lists/",
            {"Authorization": f"Token {creds['drf_key']}"},
            name,
        ),
        Variant(
            "bearer_uncached",
            "Same, the token looked up on every request (per-process cache emptied first)",
            "/bench/bearer-uncached/newsletter/lists/",
            {"Authorization": f"Bearer {creds['bearer']}"},
            name,
        ),
        Variant(
            "basic",
            "Newsletter lists, HTTP Basic + application password",
            f"/api/v1/newsletter/lists/?organization={org}",
            {"Authorization": f"Basic {basic}"},
            name,
        ),
    ]


# --- The machine ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text()
    mem_kb = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    with psycopg.connect(f"{SERVER_URL}/postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "memory": f"{int(mem_kb.group(1)) / 1024 / 1024:.1f} GiB" if mem_kb else "unknown",
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": version("django"),
        "drf": version("djangorestframework"),
        "granian": version("granian"),
        "postgresql": str(row[0]).split()[0] if row else "unknown",
    }


# --- Database, seed, in-process measurements ------------------------------------------------------


def environment(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PORTAL_", "DATABASE_", "REDIS_", "EMAIL_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "false",
            "PORTAL_HTTPS": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
            "ALLOWED_HOSTS": HOST,
            "PORTAL_DATA_DIR": str(data_dir),
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def fresh_database() -> None:
    assert DATABASE == "portal_bench"  # never the default database
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    # Rate-limit counters, cache entries and queued tasks of an earlier run.
    redis.Redis.from_url(REDIS_URL).flushdb()


def python_module(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)  # noqa: S603


# --- Load generation ------------------------------------------------------------------------------


def ensure_wrk(client: str) -> str | None:
    """wrk's path; installs Debian's package when missing and this process may (root, apt-get)."""
    if client == "python":
        return None
    if not shutil.which("wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
        install = ["apt-get", "install", "-y", "wrk"]
        if _apt(install) != 0:
            _apt(["apt-get", "update"])
            _apt(install)
    return shutil.which("wrk")


def _apt(command: list[str]) -> int:
    print(f"$ {' '.join(command)}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(  # noqa: S603
        command, env=env, stdout=subprocess.DEVNULL, timeout=600, check=False
    )
    return done.returncode


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(
    wrk: str, port: int, variant: Variant, args: argparse.Namespace, seconds: int
) -> Measure:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
    ]
    for name, value in variant.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://{HOST}:{port}{variant.path}")
    out = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    rps = re.search(r"^Requests/sec:\s*([\d.]+)", out, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", out, re.MULTILINE)
    latency = re.search(r"^\s*Latency\s+([\d.]+)(us|ms|s)\b", out, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if rps is None or total is None:
        raise RuntimeError(f"Unexpected wrk output:\n{out}")
    return Measure(
        rps=float(rps.group(1)),
        latency_ms=float(latency.group(1)) * _UNITS[latency.group(2)] if latency else None,
        requests=int(total.group(1)),
        errors=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )


def run_python_client(
    port: int, variant: Variant, args: argparse.Namespace, seconds: int
) -> Measure:
    """A bounded keep-alive client: `--connections` threads for `seconds` seconds."""
    ok = [0] * args.connections
    errors = [0] * args.connections
    broken = [0] * args.connections
    latencies: list[list[float]] = [[] for _ in range(args.connections)]
    deadline = time.perf_counter() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", variant.path, headers=variant.headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                broken[i] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            latencies[i].append(time.perf_counter() - started)
            if response.status == 200:
                ok[i] += 1
            else:
                errors[i] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    all_latencies = [value for values in latencies for value in values]
    return Measure(
        rps=sum(ok) / elapsed,
        latency_ms=statistics.mean(all_latencies) * 1000 if all_latencies else None,
        requests=sum(ok) + sum(errors),
        errors=sum(errors),
        socket_errors=sum(broken),
    )


def load(
    wrk: str | None, port: int, variant: Variant, args: argparse.Namespace, seconds: int
) -> Measure:
    if wrk:
        return run_wrk(wrk, port, variant, args, seconds)
    return run_python_client(port, variant, args, seconds)


_TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    """CPU seconds all CPUs spent busy since boot (/proc/stat; idle and iowait excepted)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / _TICK


def _our_cpu(server_pid: int) -> dict[int, float]:
    """CPU seconds of the bench's long-lived processes: granian's process group and the
    PostgreSQL processes working on the bench database."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            ours = int(fields[2]) == server_pid  # process group
            if not ours and stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres":
                # Back ends and autovacuum workers name their database in their title.
                ours = DATABASE.encode() in (entry / "cmdline").read_bytes().split()
        except (OSError, ValueError):
            continue
        if ours:
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / _TICK
    return found


def _children_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once waited for
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def inprocess_alone(env: dict[str, str], tmp_dir: Path, args: argparse.Namespace) -> str:
    """The in-process measurements (bench/inprocess.py), done again (up to three times) when
    other work took more than `--quiet` of the CPUs meanwhile; returns that share."""
    for _attempt in range(3):
        busy0, ours0, mine0 = _machine_busy(), _our_cpu(-1), _children_cpu()
        started = time.monotonic()
        python_module(
            env, "-m", "bench.inprocess", str(tmp_dir / "plan.json"), str(tmp_dir / "inproc.json")
        )
        elapsed = time.monotonic() - started
        ours = sum(t - ours0.get(pid, 0.0) for pid, t in _our_cpu(-1).items())
        other = _machine_busy() - busy0 - ours - (_children_cpu() - mine0)
        share = max(other, 0.0) / elapsed / len(os.sched_getaffinity(0))
        if share <= args.quiet:
            break
        print(f"In-process: other work took {share:.0%} of the CPUs, again…", file=sys.stderr)
        wait_until_quiet(args.quiet, args.patience)
    return f"{share:.0%}"


def measure_alone(
    wrk: str | None,
    port: int,
    variant: Variant,
    args: argparse.Namespace,
    server_pid: int,
) -> Measure:
    """One run, with the share of CPU that other work on the machine took meanwhile (all busy
    time less the bench's own processes); a run disturbed beyond `--quiet` is done again, after
    waiting for quiet, up to three times."""
    for _attempt in range(3):
        busy0, ours0, mine0 = _machine_busy(), _our_cpu(server_pid), _children_cpu()
        started = time.monotonic()
        measure = load(wrk, port, variant, args, args.duration)
        elapsed = time.monotonic() - started
        ours1 = _our_cpu(server_pid)
        ours = sum(t - ours0.get(pid, 0.0) for pid, t in ours1.items())
        other = _machine_busy() - busy0 - ours - (_children_cpu() - mine0)
        measure.other_cpu = max(other, 0.0) / elapsed / len(os.sched_getaffinity(0))
        if measure.other_cpu <= args.quiet:
            break
        print(
            f"{variant.key}: other work took {measure.other_cpu:.0%} of the CPUs, again…",
            file=sys.stderr,
        )
        wait_until_quiet(args.quiet, args.patience)
    return measure


# --- The server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def start_server(
    env: dict[str, str],
    port: int,
    log: Path,
    blocking_threads: int,
    probe_path: str = "/bench/floor/",
) -> subprocess.Popen[bytes]:
    """granian serving the portal, once `probe_path` answers 200 (the bench-only view here;
    bench/pages.py, on the portal's own URLs, asks /healthz)."""
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--workers",
                str(WORKERS),
                # Each thread keeps its own PostgreSQL connection (CONN_MAX_AGE): granian's
                # default pool (up to 128 threads per worker) ran PostgreSQL out of connections
                # ("too many clients") under this load.
                "--blocking-threads",
                str(blocking_threads),
                "--no-ws",
                "--host",
                HOST,
                "--port",
                str(port),
                "bench.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, stopped as a whole
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"granian exited with {server.returncode}:\n{log.read_text()}")
        try:
            if fetch(port, probe_path)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"granian did not answer within 60 s:\n{log.read_text()}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)
    except ProcessLookupError:
        pass


def check_endpoints(port: int, plan: list[Variant], creds: dict[str, str]) -> None:
    """Every variant answers 200 with the seeded list, and the authenticated ones refuse a
    request without (or with a wrong) credential: what is measured really authenticates."""
    for variant in plan:
        status, body = fetch(port, variant.path, variant.headers)
        if status != 200 or variant.expect not in body:
            raise RuntimeError(f"{variant.key}: {status} {body[:300]}")
        if variant.headers:
            status, _body = fetch(port, variant.path)
            if status != 401:
                raise RuntimeError(f"{variant.key} without credentials: {status}, not 401")
    wrong = {"Authorization": f"Bearer {creds['bearer'][:-8]}{'0' * 8}"}
    status, _body = fetch(port, "/api/v1/newsletter/lists/", wrong)
    if status != 401:
        raise RuntimeError(f"A wrong Bearer token got {status}, not 401")


# --- The report -----------------------------------------------------------------------------------

STEPS = {
    "format_and_digest": "format and checksum check + HMAC-SHA256 digest",
    "token_query": "token look-up with user, organization and membership (cache emptied first)",
    "token_query_sql_only": "… of which building its SQL in Python",
    "token_kept": "token look-up, kept by the process (a copy of the cached token)",
    "round_trip": "for scale: one `SELECT 1` round trip to PostgreSQL",
}


def _noise(a: list[Measure], b: list[Measure]) -> str:
    """Says so when the runs of two rows overlap: a difference within the run-to-run spread."""
    low_a, high_a = min(m.rps for m in a), max(m.rps for m in a)
    low_b, high_b = min(m.rps for m in b), max(m.rps for m in b)
    return "; the runs overlap: within the noise" if low_a <= high_b and low_b <= high_a else ""


def report(
    info: dict[str, str],
    args: argparse.Namespace,
    client: str,
    plan: list[Variant],
    results: dict[str, list[Measure]],
    inproc: dict[str, Any],
) -> str:
    median = {key: statistics.median(m.rps for m in runs) for key, runs in results.items()}
    twin = median["open"]
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: `uv run python bench/run.py`",
        "",
        f"Machine: {info['nproc']} CPUs (nproc), {info['cpu']}, {info['memory']} RAM, "
        f"{info['kernel']}; Python {info['python']}, Django {info['django']}, "
        f"DRF {info['drf']}, granian {info['granian']} "
        f"(WSGI, {WORKERS} workers, {args.blocking_threads} blocking threads each), "
        f"PostgreSQL {info['postgresql']}, Redis; load generator and server on the same machine. "
        f"Other work on the machine took {info['other_inprocess']} of the CPUs during the "
        f"in-process timings (done again above {args.quiet:.0%}); CPUs busy just before the "
        f"HTTP runs: {info['busy_http']}.",
        f"Load: {client}, {args.runs} runs of {args.duration} s per row, interleaved, median.",
        "",
        "| Endpoint | req/s (median) | runs | vs twin | avg latency | SQL queries "
        "| in-process ms/request (test client) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for variant in plan:
        runs = results[variant.key]
        latencies = [m.latency_ms for m in runs if m.latency_ms is not None]
        request = inproc["requests"][variant.key]
        vs_twin = {"floor": "—", "open": "baseline"}.get(
            variant.key, f"{(median[variant.key] / twin - 1):+.1%}"
        )
        latency = f"{statistics.median(latencies):.2f} ms" if latencies else "—"
        lines.append(
            f"| {variant.label} | {median[variant.key]:,.0f} "
            f"| {' / '.join(f'{m.rps:,.0f}' for m in runs)} | {vs_twin} | {latency} "
            f"| {len(request['queries'])} | {request['request_s'] * 1000:.2f} |"
        )
    errors = sum(m.errors for runs in results.values() for m in runs)
    socket_errors = sum(m.socket_errors for runs in results.values() for m in runs)
    pw = inproc["passwords"]
    ratio = pw["argon2_s"] / pw["app_password_s"]
    auth = inproc["authenticate"]
    steps = inproc["bearer_steps"]
    lines += [
        "",
        f"Over all runs: {errors} non-2xx answers, {socket_errors} socket errors; other work on "
        f"the machine took at most {max(m.other_cpu for r in results.values() for m in r):.0%} "
        "of the CPUs during a kept run (a run above "
        f"{args.quiet:.0%} is done again).",
        "",
        "| In-process (timeit, median) | time per call |",
        "|---|---:|",
        f"| argon2 check of the account password ({pw['hasher']}, "
        + ", ".join(f"{k}={v}" for k, v in pw["hasher_params"].items())
        + f") | {pw['argon2_s'] * 1000:.2f} ms |",
        f"| application-password check (digest + indexed look-up, `find_for_api`) "
        f"| {pw['app_password_s'] * 1e6:.0f} µs |",
        f"| … of which the HMAC-SHA256 digest | {pw['digest_only_s'] * 1e6:.1f} µs |",
        f"| prototype: the same check reading only the values it needs (`values_list`) "
        f"| {pw['lean_lookup_s'] * 1e6:.0f} µs ({pw['argon2_s'] / pw['lean_lookup_s']:,.0f} "
        "times cheaper than argon2) |",
        f"| `BearerTokenAuthentication.authenticate()` (token kept by the process) "
        f"| {auth['bearer'] * 1e6:.0f} µs |",
        f"| DRF `TokenAuthentication.authenticate()` | {auth['drf'] * 1e6:.0f} µs |",
        f"| `AppPasswordBasicAuthentication.authenticate()` | {auth['basic'] * 1e6:.0f} µs |",
        f"| … the same, its token cache emptied first (one query) "
        f"| {auth['bearer_uncached'] * 1e6:.0f} µs |",
        "",
        "| Steps of `BearerTokenAuthentication.authenticate()` (in-process) | time per call |",
        "|---|---:|",
        *(f"| {label} | {steps[key] * 1e6:,.0f} µs |" for key, label in STEPS.items()),
        "",
    ]
    cost = 1 - median["bearer"] / twin

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    lines += [
        "| Target | Measured | |",
        "|---|---|---|",
        f"| Bearer token authentication costs at most {MAX_TOKEN_COST:.0%} against the "
        f"unauthenticated twin | {cost:.1%} | {verdict(cost <= MAX_TOKEN_COST)} |",
        *(
            f"| Not slower than DRF's stock TokenAuthentication ({label}) "
            f"| {median['bearer']:,.0f} vs {median[key]:,.0f} req/s "
            f"({median['bearer'] / median[key] - 1:+.1%}{_noise(results['bearer'], results[key])}"
            f"); in-process {inproc['requests']['bearer']['request_s'] * 1000:.2f} vs "
            f"{inproc['requests'][key]['request_s'] * 1000:.2f} ms/request "
            f"| {verdict(median['bearer'] >= median[key])} |"
            for key, label in (
                ("drf", "same view, `?organization=`"),
                ("drf_fixed", "organization fixed, no membership check"),
            )
        ),
        f"| Application-password check at least {MIN_ARGON2_RATIO} times cheaper than argon2 "
        f"| {ratio:,.0f} times | {verdict(ratio >= MIN_ARGON2_RATIO)} |",
        "",
        f"Without its cache (every request looks the token up): "
        f"{1 - median['bearer_uncached'] / twin:.1%} against the twin, "
        f"{median['bearer_uncached'] / median['drf'] - 1:+.1%} against DRF's stock class "
        f"(`?organization=`), {median['bearer_uncached'] / median['drf_fixed'] - 1:+.1%} against "
        "the stock class with no organization check.",
        "",
        "SQL queries of one request, by endpoint:",
        "",
    ]
    for variant in plan:
        lines.append(f"- {variant.key}:")
        lines += [f"  - `{_short(sql)}`" for sql in inproc["requests"][variant.key]["queries"]]
    return "\n".join(lines)


def _short(sql: str) -> str:
    sql = re.sub(r'"[a-z_]+"\."([a-z_]+)"', r"\1", sql)
    sql = re.sub(r"SELECT .+? FROM", "SELECT … FROM", sql, count=1)
    return sql if len(sql) <= 160 else sql[:157] + "…"


# --- Main -----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (10)")
    parser.add_argument("--runs", type=int, default=3, help="runs per endpoint (3)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up each (3)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=16, help="connections (16)")
    parser.add_argument(
        "--blocking-threads", type=int, default=2, help="granian threads per worker (2)"
    )
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--quiet",
        type=float,
        default=0.10,
        help="wait (at most --patience s) until the CPUs are less busy than this share (0.10)",
    )
    parser.add_argument("--patience", type=int, default=600, help="seconds to wait (600)")
    args = parser.parse_args()
    if not (
        1 <= args.duration <= 60
        and 1 <= args.runs <= 9
        and 1 <= args.connections <= 64
        and 1 <= args.blocking_threads <= 16
    ):
        parser.error(
            "keep it bounded: duration 1-60 s, runs 1-9, connections 1-64, blocking threads 1-16"
        )
    return args


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # so that `finally` stops granian


def cpu_busy(seconds: float = 3.0) -> float:
    """Share of all CPUs busy over the next `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values), idle

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def wait_until_quiet(limit: float, patience: int) -> str:
    """Other work on the machine skews every row: wait (bounded) until the CPUs are idle, then go
    on anyway; returns what the report says about it."""
    deadline = time.monotonic() + patience
    busy = cpu_busy()
    while busy > limit and time.monotonic() < deadline:
        print(f"CPUs {busy:.0%} busy (other work): waiting…", file=sys.stderr)
        time.sleep(10)
        busy = cpu_busy()
    return f"{busy:.0%}"


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    info = machine()
    wrk = ensure_wrk(args.client)
    if args.client == "wrk" and not wrk:
        sys.exit("wrk is not installed and could not be installed (apt-get install -y wrk).")
    client = (
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
        if wrk
        else f"Python client, {args.connections} keep-alive connections (wrk unavailable)"
    )
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        tmp_dir = Path(tmp)
        env = environment(tmp_dir / "data")
        print(f"Database {DATABASE}: drop, create, migrate, seed…", file=sys.stderr)
        fresh_database()
        python_module(env, "manage.py", "migrate", "--noinput", "-v", "0")
        python_module(env, "-m", "bench.seed", str(tmp_dir / "creds.json"))
        creds = json.loads((tmp_dir / "creds.json").read_text())
        plan = variants(creds)
        (tmp_dir / "plan.json").write_text(
            json.dumps(
                {
                    "credentials": creds,
                    "variants": [
                        {"key": v.key, "path": v.path, "headers": v.headers} for v in plan
                    ],
                }
            )
        )
        wait_until_quiet(args.quiet, args.patience)
        print("In-process measurements…", file=sys.stderr)
        info["other_inprocess"] = inprocess_alone(env, tmp_dir, args)
        inproc = json.loads((tmp_dir / "inproc.json").read_text())

        port = free_port()
        results: dict[str, list[Measure]] = {v.key: [] for v in plan}
        info["busy_http"] = wait_until_quiet(args.quiet, args.patience)
        server = None
        try:
            server = start_server(env, port, tmp_dir / "granian.log", args.blocking_threads)
            check_endpoints(port, plan, creds)
            for variant in plan:
                print(f"Warm-up {variant.key}…", file=sys.stderr)
                load(wrk, port, variant, args, args.warmup)
            for run in range(1, args.runs + 1):
                for variant in plan:
                    measure = measure_alone(wrk, port, variant, args, server.pid)
                    results[variant.key].append(measure)
                    print(
                        f"run {run} {variant.key}: {measure.rps:,.0f} req/s "
                        f"({measure.errors} non-2xx, {measure.socket_errors} socket errors, "
                        f"other work {measure.other_cpu:.0%})",
                        file=sys.stderr,
                    )
        finally:
            if server is not None:
                stop_server(server)
            log = tmp_dir / "granian.log"
            if log.exists() and any(m.errors for runs in results.values() for m in runs):
                problems = [line for line in log.read_text().splitlines() if "[INFO]" not in line]
                print("granian's log:", *problems[-40:], sep="\n", file=sys.stderr)
    print(report(info, args, client, plan, results, inproc))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "client": client,
                    "results": {key: [vars(m) for m in runs] for key, runs in results.items()},
                    "inprocess": inproc,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
