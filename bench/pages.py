"""The portal's pages against the stock Django admin changelist: `uv run python bench/pages.py`.

In one run, on this machine's PostgreSQL (127.0.0.1:5432, user postgres) and Redis (database 14,
emptied at start):

1. drops and creates the database `portal_bench_pages`, migrates it with the production settings
   (`portal.settings`, DEBUG=false), collects the static files (the manifest storage needs them)
   and seeds the demo (`python -m bench.pages_seed 25 OUT.json`: the cast of portal/demo.py, with
   Acme grown to 25 products carrying two tags each);
2. measures each page in a separate process through Django's test client (signed in with
   `force_login` and the session keys the real sign-in leaves): its SQL queries and its time;
3. serves the portal with granian (WSGI, 2 workers, 2 blocking threads each, bench/run.py's
   `start_server`) and signs in through the real sign-in flow over HTTP: alice (Acme's legal
   representative, kAuth preferred, so the authenticator-app method is opened from the "try
   another way" link) and support (staff, for the admin), each with a TOTP code of the demo key;
4. checks that every page answers 200 with its rows (and its seeded names) and that a request
   without the cookies is sent to the sign-in page; then loads every page with wrk and the
   session's cookies, every page once per round, `--rounds` rounds interleaved, median kept (a
   run disturbed by other work on the machine is done again, bench/run.py's `measure_alone`);
   after each run the page is fetched again, so a session that ended (a redirect, which wrk does
   not count as an error) cannot pass for a fast page;
5. grows Acme to 10,000 products (`bench.pages_seed 10000`, same database) and does 2 and 4 again.

How to read the output (stdout; progress goes to stderr): one table per size. "req/s" is the
median of the rounds (all runs listed), "vs admin" the ratio to the admin changelist measured in
the same rounds, "SQL queries" and "in-process ms" one request through the test client (no server,
no network: where the time goes). A target is met when the page's median is at least that many
times the admin's. At 10,000 products the admin shows 100 rows per page, the portal its own 25;
the query counts must not grow with the products. The last tables show whether the time grows
with the rows: each page's in-process time at both sizes, and the two product lists at 25 and 50
rows per page on 10,000 products (page size set in that process only), whose difference is the
cost of a row. The output ends with the tables in Markdown, ready for the README.

granian is stopped at the end whatever happens (its whole process group). A page failing (a 500,
or a redirect where the page was expected: someone may be editing the app) is retried after
`--retry-wait` seconds on a restarted server, up to `--retries` times.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import psycopg
import pyotp
import redis

from bench import run as bench_run
from bench.run import (
    Measure,
    Variant,
    ensure_wrk,
    free_port,
    machine,
    measure_alone,
    python_module,
    start_server,
    stop_server,
    wait_until_quiet,
)

DATABASE = "portal_bench_pages"
SERVER_URL = "postgresql://postgres@127.0.0.1:5432"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/14"
HOST = bench_run.HOST
SIZES = (25, 10_000)  # Acme's products: the measurement, then a large organization
ADMIN_PAGE_SIZE = 100  # Django's ModelAdmin.list_per_page
PORTAL_PAGE_SIZE = 25  # billing.views.products.PAGE_SIZE
PER_ROW_SIZES = (25, 50)  # rows per page of the product lists, in-process, at the larger size

TIMES = "\N{MULTIPLICATION SIGN}"

ALICE = "alice@example.com"  # Acme's legal representative (Italian; kAuth preferred)
SUPPORT = "support@example.com"  # staff: the admin


def up_to(page_size: int) -> Callable[[int], int]:
    """A product list's rows: one page of the organization's products."""
    return lambda products: min(products, page_size)


def exactly(rows: int) -> Callable[[int], int]:
    return lambda _products: rows


@dataclass(frozen=True)
class Page:
    key: str
    name: str
    path: str
    person: str
    target: float | None  # at least this many times the admin's req/s; None: the reference
    expect: tuple[str, ...] = ()  # seeded names the page must show
    rows: Callable[[int], int] | None = None  # rows of its first <tbody>, by Acme's products


# The pages measured: the first is the reference the others are compared with.
PAGES = [
    Page(
        "admin",
        "Admin changelist (reference)",
        "/admin/billing/product/",
        SUPPORT,
        None,
        ("acme.ch",),
        up_to(ADMIN_PAGE_SIZE),
    ),
    Page(
        "products",
        "Products list",
        "/orgs/acme/products/",
        ALICE,
        2.0,
        ("acme.ch",),
        up_to(PORTAL_PAGE_SIZE),
    ),
    Page("dashboard", "Dashboard", "/orgs/acme/", ALICE, 3.0, ("Acme SA", "acme.ch")),
    Page("security", "Security review", "/security/", ALICE, 3.0, (ALICE, "Old domain script")),
    Page(
        "members",
        "Members",
        "/orgs/acme/members/",
        ALICE,
        3.0,
        ("Alice Rossi", "Bob Meier"),
        exactly(2),
    ),
    Page(
        "tags",
        "Tags",
        "/orgs/acme/tags/",
        ALICE,
        3.0,
        ("Website", "Client: Bianchi", "Renew first", "Archive"),
        exactly(4),
    ),
    Page(
        "app_passwords",
        "Application passwords",
        "/security/app-passwords/",
        ALICE,
        3.0,
        ("Thunderbird", "Phone calendar"),
        exactly(2),
    ),
    Page(
        "tokens",
        "API tokens",
        "/tokens/",
        ALICE,
        3.0,
        ("Newsletter import", "Old domain script"),
        exactly(2),
    ),
    Page(
        "billing",
        "Billing overview",
        "/orgs/acme/billing/",
        ALICE,
        3.0,
        ("Bank transfer", "acme.ch"),
    ),
]
REFERENCE = PAGES[0]
PER_ROW_PAGES = ("admin", "products")  # the product lists, measured at PER_ROW_SIZES rows too


# --- Checking a page ------------------------------------------------------------------------------


def first_tbody_rows(body: str) -> int | None:
    tbody = re.search(r"<tbody\b.*?</tbody>", body, re.DOTALL)
    return tbody.group(0).count("<tr") if tbody else None


def page_problem(page: Page, status: int, body: str, rows: int | None) -> str | None:
    """What is wrong with this answer (None: it is the page, with `rows` rows if given)."""
    if status != 200:
        return f"{page.key}: {status}, not 200"
    missing = [text for text in page.expect if text not in body]
    if missing:
        return f"{page.key}: 200 without {', '.join(missing)}"
    found = first_tbody_rows(body)
    if rows is not None and found != rows:
        return f"{page.key}: {found} rows in its first <tbody>, not {rows}"
    return None


def expected_rows(page: Page, products: int) -> int | None:
    return page.rows(products) if page.rows else None


# --- A browser that signs in ----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    location: str
    body: str


@dataclass
class Browser:
    """Keeps its cookies and follows no redirect (each step checks where it is sent)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Cookie": self.cookie_header} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            answer = Answer(
                response.status, response.getheader("Location", ""), response.read().decode()
            )
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return answer
        finally:
            conn.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Answer:
        return self.request("POST", path, form)


def _csrf_token(answer: Answer, step: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.body)
    if answer.status != 200 or not found:
        raise RuntimeError(f"{step}: {answer.status} {answer.location} without a CSRF token")
    return found.group(1)


def sign_in(port: int, email: str, password: str, totp_key: str) -> Browser:
    """The real sign-in: the password on /accounts/login/, then the authenticator app's code on
    /security/verify/ (opened from "try another way" when another method is preferred)."""
    browser = Browser(port)
    token = _csrf_token(browser.get("/accounts/login/"), "GET /accounts/login/")
    sent = browser.post(
        "/accounts/login/", {"csrfmiddlewaretoken": token, "email": email, "password": password}
    )
    if sent.status != 302 or not sent.location.startswith("/security/verify/"):
        raise RuntimeError(f"{email}: the password got {sent.status} {sent.location}")
    verify = browser.get("/security/verify/")
    method = re.search(r'name="method" value="(security\.totpdevice/\d+)"', verify.body)
    if method is None:  # another method is preferred: the link to the authenticator app
        link = re.search(r'href="\?method=(security\.totpdevice[^"]+)"', verify.body)
        if link is None:
            raise RuntimeError(f"{email}: no authenticator-app method on the second step")
        method_id = unquote(link.group(1))
        verify = browser.get(f"/security/verify/?method={quote(method_id)}")
    else:
        method_id = method.group(1)
    path = f"/security/verify/?method={quote(method_id)}"
    for _attempt in range(2):  # a refused code: once more, with the next step's code
        token = _csrf_token(verify, f"GET {path}")
        code = pyotp.TOTP(totp_key).now()
        done = browser.post(path, {"csrfmiddlewaretoken": token, "method": method_id, "code": code})
        if done.status == 302 and not done.location.startswith(("/security/verify", "/accounts")):
            return browser
        print(f"{email}: the code got {done.status} {done.location}, again…", file=sys.stderr)
        time.sleep(31 - time.time() % 30)  # the next step: a new code
        verify = browser.get(path)
    raise RuntimeError(f"{email}: the authenticator code was refused twice")


# --- Database, server, in-process measurements ---------------------------------------------------


def environment(data_dir: Path) -> dict[str, str]:
    """bench/run.py's environment, with the portal's own production settings."""
    env = bench_run.environment(data_dir)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "EMAIL_URL": "dummymail://",
        }
    )
    return env


def fresh_database(env: dict[str, str]) -> None:
    assert DATABASE == "portal_bench_pages"  # never the default database
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    redis.Redis.from_url(REDIS_URL).flushdb()  # rate limits, cache, tasks of an earlier run
    python_module(env, "manage.py", "migrate", "--noinput", "-v", "0")
    python_module(env, "manage.py", "collectstatic", "--noinput", "-v", "0")


def seed(env: dict[str, str], products: int, out: Path) -> dict[str, Any]:
    python_module(env, "-m", "bench.pages_seed", str(products), str(out))
    with psycopg.connect(f"{SERVER_URL}/{DATABASE}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # the planner's statistics, as autovacuum would keep them
    seeded: dict[str, Any] = json.loads(out.read_text())
    if seeded["products"] != products or seeded["organization"] != "acme":
        raise RuntimeError(f"bench.pages_seed {products}: {seeded}")
    return seeded


@dataclass
class Server:
    env: dict[str, str]
    log: Path
    blocking_threads: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = start_server(
            self.env, self.port, self.log, self.blocking_threads, probe_path="/healthz"
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_server(self.process)
            self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def inprocess(env: dict[str, str], tmp_dir: Path, products: int, args: argparse.Namespace) -> Any:
    """This script's `--inprocess` in a fresh process; again after `--retry-wait` when a page
    fails (the app may be being edited)."""
    plan, out = tmp_dir / f"plan-{products}.json", tmp_dir / f"inproc-{products}.json"
    plan.write_text(
        json.dumps(
            {
                "products": products,
                "calls": 3 if args.quick else 30,
                "per_row": products >= max(PER_ROW_SIZES),
            }
        )
    )
    command = ("-m", "bench.pages", "--inprocess", str(plan), str(out))
    for _attempt in range(args.retries):
        try:
            python_module(env, *command)
            return json.loads(out.read_text())
        except subprocess.CalledProcessError:
            print(f"In-process failed: again in {args.retry_wait} s…", file=sys.stderr)
            time.sleep(args.retry_wait)
    python_module(env, *command)  # the last try: a failure stops the run
    return json.loads(out.read_text())


def run_inprocess(plan_path: Path, out_path: Path) -> None:
    """`--inprocess PLAN OUT` (DJANGO_SETTINGS_MODULE=portal.settings, the seeded database): each
    page's SQL queries and time through Django's test client, signed in as the sign-in would."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.inprocess import per_call

    plan = json.loads(plan_path.read_text())
    products, calls = plan["products"], plan["calls"]
    clients = {email: _signed_in(email) for email in {page.person for page in PAGES}}

    def measure(page: Page, rows: int | None) -> dict[str, Any]:
        client = clients[page.person]
        response = client.get(page.path)
        body = response.content.decode()
        problem = page_problem(page, response.status_code, body, rows)
        if problem:
            raise RuntimeError(f"In-process {problem}")
        with CaptureQueriesContext(connection) as queries:
            client.get(page.path)
        return {
            "rows": first_tbody_rows(body),
            "queries": [query["sql"] for query in queries.captured_queries],
            "ms": per_call(lambda: client.get(page.path), calls, repeat=3) * 1000,
        }

    found: dict[str, Any] = {
        page.key: measure(page, expected_rows(page, products)) for page in PAGES
    }
    if plan["per_row"]:
        per_row: dict[str, dict[str, Any]] = {key: {} for key in PER_ROW_PAGES}
        for page in (page for page in PAGES if page.key in PER_ROW_PAGES):
            for size in PER_ROW_SIZES:
                with _page_size(page.key, size):
                    per_row[page.key][str(size)] = measure(page, size)
        found["per_row"] = per_row
    out_path.write_text(json.dumps(found, indent=2))


def _signed_in(email: str) -> Any:
    """A test client signed in as tests/conftest.py's `signed_in()` does: the password confirmed
    a moment ago and the second factor passed at sign-in (what the real sign-in leaves)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import User
    from accounts.reauth import SESSION_KEY as REAUTH_SESSION_KEY
    from security.models import TOTPDevice
    from security.second_step import SECOND_FACTOR_AT_SIGN_IN

    user = User.objects.get(email=email)
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    session = client.session
    session[REAUTH_SESSION_KEY] = time.time()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SECOND_FACTOR_AT_SIGN_IN] = True
    session.save()
    return client


@contextmanager
def _page_size(key: str, size: int) -> Iterator[None]:
    """This product list shows `size` rows per page meanwhile (in this process only)."""
    from django.contrib import admin

    from billing.models import Product
    from billing.views import products as product_views

    admin_class = type(admin.site._registry[Product])
    saved = admin_class.list_per_page, product_views.PAGE_SIZE
    if key == "admin":
        admin_class.list_per_page = size
    else:
        product_views.PAGE_SIZE = size
    try:
        yield
    finally:
        admin_class.list_per_page, product_views.PAGE_SIZE = saved


# --- Load -----------------------------------------------------------------------------------------


def variant(page: Page, browsers: dict[str, Browser]) -> Variant:
    return Variant(page.key, page.name, page.path, {"Cookie": browsers[page.person].cookie_header})


def check_over_http(page: Page, browsers: dict[str, Browser], products: int) -> str | None:
    answer = browsers[page.person].get(page.path)
    return page_problem(page, answer.status, answer.body, expected_rows(page, products))


def check_pages(server: Server, browsers: dict[str, Browser], products: int) -> None:
    """Every page answers 200 with its rows to its person, and sends a request without cookies
    to the sign-in page."""
    for page in PAGES:
        problem = check_over_http(page, browsers, products)
        if problem:
            raise PageFailed(problem)
        anonymous = Browser(server.port).get(page.path)
        if anonymous.status not in (301, 302, 303) or "login" not in anonymous.location:
            raise RuntimeError(
                f"{page.key} without cookies: {anonymous.status} {anonymous.location}, "
                "not a redirect to the sign-in page"
            )


class PageFailed(RuntimeError):
    pass


def recover(server: Server, args: argparse.Namespace, problem: str) -> None:
    """A page failed: wait (someone may be editing the app), then restart granian so that its
    processes load the code and templates as they are now."""
    print(f"{problem}: again in {args.retry_wait} s, on a restarted server…", file=sys.stderr)
    time.sleep(args.retry_wait)
    server.stop()
    server.start()


def sign_in_everyone(
    server: Server, seeded: dict[str, Any], args: argparse.Namespace
) -> dict[str, Browser]:
    browsers: dict[str, Browser] = {}
    for email in sorted({page.person for page in PAGES}):
        for attempt in range(args.retries + 1):
            try:
                browsers[email] = sign_in(
                    server.port, email, seeded["password"], seeded["totp_key"]
                )
                break
            except RuntimeError as failed:
                if attempt == args.retries:
                    raise
                recover(server, args, str(failed))
    return browsers


def measure_pages(
    server: Server,
    browsers: dict[str, Browser],
    products: int,
    wrk: str | None,
    args: argparse.Namespace,
) -> dict[str, list[Measure]]:
    for attempt in range(args.retries + 1):
        try:
            check_pages(server, browsers, products)
            break
        except PageFailed as failed:
            if attempt == args.retries:
                raise
            recover(server, args, str(failed))
    for page in PAGES:
        print(f"Warm-up {page.key}…", file=sys.stderr)
        bench_run.load(wrk, server.port, variant(page, browsers), args, args.warmup)
    results: dict[str, list[Measure]] = {page.key: [] for page in PAGES}
    for round_ in range(1, args.rounds + 1):
        for page in PAGES:
            results[page.key].append(measure_checked(server, browsers, products, wrk, page, args))
            last = results[page.key][-1]
            print(
                f"{products:,} products, round {round_} {page.key}: {last.rps:,.0f} req/s "
                f"({last.errors} non-2xx, {last.socket_errors} socket errors, "
                f"other work {last.other_cpu:.0%})",
                file=sys.stderr,
            )
    return results


def measure_checked(
    server: Server,
    browsers: dict[str, Browser],
    products: int,
    wrk: str | None,
    page: Page,
    args: argparse.Namespace,
) -> Measure:
    """One run; done again (on a restarted server) when it had errors or the page, fetched right
    after, is not the page any more."""
    for attempt in range(args.retries + 1):
        measure = measure_alone(wrk, server.port, variant(page, browsers), args, server.pid)
        problem = check_over_http(page, browsers, products)
        if measure.errors or measure.socket_errors:
            problem = f"{page.key}: {measure.errors} non-2xx, {measure.socket_errors} socket errors"
        if problem is None:
            return measure
        if attempt < args.retries:
            recover(server, args, problem)
    raise PageFailed(f"{problem} (after {args.retries} retries)")


# --- The report -----------------------------------------------------------------------------------


@dataclass
class Size:
    products: int
    results: dict[str, list[Measure]]
    inproc: dict[str, Any]
    code: str  # the app's code the measurements ran (see `code_version`)


def code_version() -> str:
    """The commit and the digest of the uncommitted changes: the app may be edited during a run,
    and a query count that changed between the sizes may be that."""

    def git(*command: str) -> bytes:
        return subprocess.run(  # noqa: S603
            ["git", *command],  # noqa: S607
            cwd=bench_run.ROOT,
            capture_output=True,
            check=False,
        ).stdout

    changes = hashlib.sha256(git("diff", "HEAD")).hexdigest()[:8]
    return f"{git('rev-parse', '--short', 'HEAD').decode().strip()}+{changes}"


def _median(runs: list[Measure]) -> float:
    return statistics.median(m.rps for m in runs)


def size_table(size: Size, first: Size | None) -> list[str]:
    """One size's table; `first` (the smaller size) to show query counts that changed."""
    admin = _median(size.results[REFERENCE.key])
    lines = [
        f"| Page ({size.products:,} products) | URL | req/s (median) | runs | vs admin "
        "| SQL queries | in-process ms/request | target | |",
        "|---|---|---:|---|---:|---:|---:|---|---|",
    ]
    for page in PAGES:
        runs = size.results[page.key]
        median = _median(runs)
        queries = f"{len(size.inproc[page.key]['queries'])}"
        before = f"{len(first.inproc[page.key]['queries'])}" if first else queries
        if before != queries and first:
            queries += f" ({before} at {first.products:,})"
        if page.target is None:
            ratio, target, verdict = "baseline", "reference", "—"
        else:
            ratio = f"{median / admin:.2f}{TIMES}"
            target = f"≥ {page.target:g}{TIMES} admin"
            verdict = "**met**" if median >= page.target * admin else "**missed**"
        lines.append(
            f"| {page.name} | `{page.path}` | {median:,.0f} "
            f"| {' / '.join(f'{m.rps:,.0f}' for m in runs)} | {ratio} "
            f"| {queries} "
            f"| {size.inproc[page.key]['ms']:.2f} | {target} | {verdict} |"
        )
    return lines


def rows_tables(sizes: list[Size]) -> list[str]:
    small, large = sizes[0], sizes[-1]
    lines = [
        f"| In-process (test client) | rows at {small.products:,} | ms/request "
        f"| rows at {large.products:,} | ms/request | SQL queries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page in PAGES:
        a, b = small.inproc[page.key], large.inproc[page.key]
        queries = (
            f"{len(a['queries'])}"
            if len(a["queries"]) == len(b["queries"])
            else f"{len(a['queries'])} → {len(b['queries'])}"
        )
        lines.append(
            f"| {page.name} | {a['rows'] if a['rows'] is not None else '—'} | {a['ms']:.2f} "
            f"| {b['rows'] if b['rows'] is not None else '—'} | {b['ms']:.2f} | {queries} |"
        )
    per_row = large.inproc.get("per_row")
    if per_row:
        low, high = (str(n) for n in PER_ROW_SIZES)
        lines += [
            "",
            f"| Product list at {large.products:,} products (in-process) | {low} rows/page "
            f"| {high} rows/page | per row | SQL queries ({low} / {high} rows) |",
            "|---|---:|---:|---:|---:|",
        ]
        for page in PAGES:
            if page.key in per_row:
                a, b = per_row[page.key][low], per_row[page.key][high]
                cost = (b["ms"] - a["ms"]) / (int(high) - int(low))
                lines.append(
                    f"| {page.name} | {a['ms']:.2f} ms | {b['ms']:.2f} ms | {cost:.3f} ms "
                    f"| {len(a['queries'])} / {len(b['queries'])} |"
                )
    return lines


def report(info: dict[str, str], args: argparse.Namespace, client: str, sizes: list[Size]) -> str:
    all_runs = [m for size in sizes for runs in size.results.values() for m in runs]
    lines = [
        f"Run {info['date']}: `uv run python bench/pages.py`",
        "",
        machine_line(info, args),
        f"Load: {client}, with each person's session and csrftoken cookies from the real "
        f"sign-in; {args.rounds} round{'s' if args.rounds > 1 else ''} of {args.duration} s per "
        "page, interleaved, median.",
        "",
    ]
    for i, size in enumerate(sizes):
        lines += [*size_table(size, sizes[0] if i else None), ""]
    counts = {
        page.name: [len(size.inproc[page.key]["queries"]) for size in (sizes[0], sizes[-1])]
        for page in PAGES
    }
    changed = [f"{name} {a} → {b}" for name, (a, b) in counts.items() if a != b]
    lines += [
        f"Over all runs: {sum(m.errors for m in all_runs)} non-2xx answers, "
        f"{sum(m.socket_errors for m in all_runs)} socket errors; other work on the machine took "
        f"at most {max(m.other_cpu for m in all_runs):.0%} of the CPUs during a kept run (a run "
        f"above {args.quiet:.0%} is done again). SQL queries per page from "
        f"{sizes[0].products:,} to {sizes[-1].products:,} products: "
        + (f"not the same: {', '.join(changed)}." if changed else "the same on every page.")
        + (
            f" The app's code changed between the two sizes ({sizes[0].code} → "
            f"{sizes[-1].code}, commit+digest of the uncommitted changes)."
            if sizes[0].code != sizes[-1].code
            else ""
        ),
        "",
        *rows_tables(sizes),
    ]
    return "\n".join(lines)


def machine_line(info: dict[str, str], args: argparse.Namespace) -> str:
    return (
        f"Machine: {info['nproc']} CPUs (nproc), {info['cpu']}, {info['memory']} RAM, "
        f"{info['kernel']}; Python {info['python']}, Django {info['django']}, "
        f"granian {info['granian']} (WSGI, {bench_run.WORKERS} workers, "
        f"{args.blocking_threads} blocking threads each), PostgreSQL {info['postgresql']}, Redis; "
        "load generator and server on the same machine."
    )


# --- Main -----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per run (8)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, every page once each (3)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per page (2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=8, help="connections (8)")
    parser.add_argument(
        "--blocking-threads", type=int, default=2, help="granian threads per worker (2)"
    )
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 1 round of 2 s, few in-process calls"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--quiet",
        type=float,
        default=0.10,
        help="wait (at most --patience s) until the CPUs are less busy than this share (0.10)",
    )
    parser.add_argument("--patience", type=int, default=600, help="seconds to wait (600)")
    parser.add_argument("--retries", type=int, default=3, help="tries again of a failing page (3)")
    parser.add_argument(
        "--retry-wait", type=int, default=60, help="seconds before trying again (60)"
    )
    parser.add_argument("--inprocess", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.duration, args.rounds, args.warmup = 2, 1, 1
    if not (
        1 <= args.duration <= 60
        and 1 <= args.rounds <= 9
        and 1 <= args.connections <= 64
        and 1 <= args.blocking_threads <= 16
        and 0 <= args.retries <= 10
    ):
        parser.error(
            "keep it bounded: duration 1-60 s, rounds 1-9, connections 1-64, "
            "blocking threads 1-16, retries 0-10"
        )
    return args


def main() -> None:
    args = parse_args()
    if args.inprocess:
        run_inprocess(*args.inprocess)
        return
    signal.signal(signal.SIGTERM, bench_run._terminate)
    signal.signal(signal.SIGHUP, bench_run._terminate)
    # bench/run.py's CPU accounting counts the PostgreSQL processes of its own database as the
    # bench's: here, those of this one.
    bench_run.DATABASE = DATABASE
    info = machine()
    info["date"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"Date: {info['date']}\n{machine_line(info, args)}", file=sys.stderr)
    wrk = ensure_wrk(args.client)
    if args.client == "wrk" and not wrk:
        sys.exit("wrk is not installed and could not be installed (apt-get install -y wrk).")
    client = (
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
        if wrk
        else f"Python client, {args.connections} keep-alive connections (wrk unavailable)"
    )
    sizes: list[Size] = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-pages-") as tmp:
        tmp_dir = Path(tmp)
        env = environment(tmp_dir / "data")
        print(f"Database {DATABASE}: drop, create, migrate, seed…", file=sys.stderr)
        fresh_database(env)
        seeded = seed(env, SIZES[0], tmp_dir / f"seed-{SIZES[0]}.json")
        server = Server(env, tmp_dir / "granian.log", args.blocking_threads)
        browsers: dict[str, Browser] = {}
        try:
            for products in SIZES:
                if products != SIZES[0]:
                    print(f"Acme grows to {products:,} products…", file=sys.stderr)
                    seed(env, products, tmp_dir / f"seed-{products}.json")
                wait_until_quiet(args.quiet, args.patience)
                print(f"In-process measurements, {products:,} products…", file=sys.stderr)
                code = code_version()
                inproc = inprocess(env, tmp_dir, products, args)
                if not browsers:  # the server starts after the first in-process measurements
                    server.start()
                    browsers = sign_in_everyone(server, seeded, args)
                wait_until_quiet(args.quiet, args.patience)
                results = measure_pages(server, browsers, products, wrk, args)
                sizes.append(Size(products, results, inproc, code))
                print("\n".join(size_table(sizes[-1], sizes[0] if products != SIZES[0] else None)))
                print(flush=True)
        finally:
            server.stop()
            log = tmp_dir / "granian.log"
            if log.exists() and len(sizes) < len(SIZES):
                problems = [line for line in log.read_text().splitlines() if "[INFO]" not in line]
                print("granian's log:", *problems[-40:], sep="\n", file=sys.stderr)
    print("Markdown for the README:\n")
    print(report(info, args, client, sizes))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "client": client,
                    "sizes": [
                        {
                            "products": size.products,
                            "results": {
                                k: [vars(m) for m in runs] for k, runs in size.results.items()
                            },
                            "inprocess": size.inproc,
                            "code": size.code,
                        }
                        for size in sizes
                    ],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
