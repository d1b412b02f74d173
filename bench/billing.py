"""Benchmark of the daily billing sweep (issue 5): `uv run python bench/billing.py`.

For each size (100,000 and 1,000,000 products by default), on this machine's PostgreSQL
(127.0.0.1:5432, user postgres):

1. drops and creates the database `portal_bench_billing`, migrates it (the production settings,
   DEBUG=false) and seeds it with SQL (`generate_series`): one organization per ten products, each
   with its legal representative (half of them Italian), an owner contact, a billing account with
   enough balance; the products' expiry dates spread over the coming year, one in three with
   automatic renewal, one in ten paid by a partner organization;
2. runs, in a fresh process, the sweep the hourly beat task runs (`billing.tasks`): the automatic
   renewals due, then the reminders due (queued, then sent as one digest per person through the
   outbox, each email's delivery task published to Redis as in production): first for the day
   before (on a new database that run catches up every reminder already due), then for the day
   measured, then that day again, which must find nothing left to do;
3. prints, per size: products per second, SQL queries per thousand products, the peak memory of
   the process (its maximum resident set size) and what the sweep did.

The issue's target: peak memory flat (under 300 MB whatever the size), time growing linearly.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "portal_bench_billing"
SERVER_URL = "postgresql://postgres@127.0.0.1:5432"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/12"
PRODUCTS_PER_ORGANIZATION = 10
MAX_PEAK_MB = 300


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "false",
        "PORTAL_HTTPS": "false",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "localhost",
        "EMAIL_URL": "dummymail://",
        # Each email's delivery task goes to Redis, as in production (database 12, emptied).
        "REDIS_URL": REDIS_URL,
        # The embedded broker's folder (each email's delivery task is queued there) and the rest
        # of the data folder, out of the repository.
        "PORTAL_DATA_DIR": str(Path(tempfile.gettempdir()) / "portal-bench-billing"),
    }


def recreate_database() -> None:
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=environment(),
        check=True,
    )


SEED = """
INSERT INTO organizations_organization
    (id, name, slug, address, postal_code, city, country, email, phone, created_at)
SELECT g, 'Organization ' || g, 'org-' || g, 'Rue ' || g, '1200', 'Genève', 'CH',
       'org' || g || '@example.com', '', now()
FROM generate_series(1, %(organizations)s) g;

INSERT INTO accounts_user
    (id, password, last_login, is_superuser, email, first_name, last_name, phone, language,
     email_verified_at, is_active, is_staff, date_joined)
SELECT g, '!', NULL, false, 'person' || g || '@example.com', 'Person', g::text, '',
       CASE WHEN g %% 2 = 0 THEN 'it' ELSE 'en' END, now(), true, false, now()
FROM generate_series(1, %(organizations)s) g;

INSERT INTO organizations_membership (organization_id, user_id, role, billing_rights, created_at)
SELECT g, g, 'legal_representative', false, now() FROM generate_series(1, %(organizations)s) g;

INSERT INTO billing_contact
    (id, organization_id, kind, name, company, email, phone, address, postal_code, city,
     country, user_id)
SELECT g, g, 'company', 'Organization ' || g, 'Organization ' || g, 'org' || g || '@example.com',
       '', 'Rue ' || g, '1200', 'Genève', 'CH', NULL
FROM generate_series(1, %(organizations)s) g;

INSERT INTO billing_billingaccount
    (organization_id, name, email, address, postal_code, city, country, vat_number, balance)
SELECT g, 'Organization ' || g, 'org' || g || '@example.com', 'Rue ' || g, '1200', 'Genève',
       'CH', '', 10000.00
FROM generate_series(1, %(organizations)s) g;

-- Expiry dates spread over the coming year (a multiplicative hash of the id, so neighbouring
-- products expire on different days); organization 1 is the partner that pays one in ten.
INSERT INTO billing_product
    (organization_id, kind, name, owner_id, payer_id, expires_on, auto_renew, renewal_months,
     price, created_at)
SELECT o, 'domain', 'example' || g || '.ch', o, CASE WHEN g %% 10 = 0 THEN 1 ELSE o END,
       %(today)s::date + ((g::bigint * 7919) %% 366)::int, g %% 3 = 0, 12, 15.00, now()
FROM generate_series(1, %(products)s) g, LATERAL (SELECT 1 + (g - 1) / %(per_org)s AS o) org;
"""

RESET_SEQUENCES = [
    "organizations_organization",
    "accounts_user",
    "organizations_membership",
    "billing_contact",
    "billing_billingaccount",
    "billing_product",
]


def seed(products: int, today: str) -> float:
    started = time.perf_counter()
    organizations = -(-products // PRODUCTS_PER_ORGANIZATION)
    with psycopg.connect(f"{SERVER_URL}/{DATABASE}", autocommit=True) as conn:
        params = {
            "organizations": organizations,
            "products": products,
            "today": today,
            "per_org": PRODUCTS_PER_ORGANIZATION,
        }
        for statement in SEED.split(";\n"):
            if statement.strip():
                conn.execute(statement, params)  # type: ignore[arg-type]
        for table in RESET_SEQUENCES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


# --- The sweep, in a fresh process -----------------------------------------------------------


def sweep_in_child(today: str) -> dict[str, Any]:
    """The sweep twice, in a child process whose peak memory is the sweep's own."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(__file__).resolve()), "--child", today],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def child(today_text: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import date, timedelta

    from django.db import connection

    from billing import reminders, renewals
    from billing.models import Product, Reminder
    from core.models import Notification

    today = date.fromisoformat(today_text)
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    products = Product.objects.count()
    runs = []
    # The day before first: on a new database that run catches up every reminder already due
    # (each product expiring within its lead time gets one). Then the day measured — a normal
    # day's sweep — and that day once more, which must do nothing.
    for day in (today - timedelta(days=1), today, today):
        queries = 0
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            renewed = renewals.renew_due_products(today=day)
            renew_s = time.perf_counter() - started
            started = time.perf_counter()
            reminded = reminders.send_due_reminders(today=day)
            remind_s = time.perf_counter() - started
        runs.append(
            {
                "renewed": renewed,
                "reminders_sent": reminded,
                "renew_s": renew_s,
                "remind_s": remind_s,
                "queries": queries,
            }
        )
    result = {
        "products": products,
        "runs": runs,
        "reminder_rows": Reminder.objects.count(),
        "emails": Notification.objects.count(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(result))


# --- The report ----------------------------------------------------------------------------------


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text()
    mem_kb = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    with psycopg.connect(f"{SERVER_URL}/postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return (
        f"{len(os.sched_getaffinity(0))} CPUs (nproc), "
        f"{model.group(1).strip() if model else platform.processor()}, "
        f"{int(mem_kb.group(1)) / 1024 / 1024:.1f} GiB RAM"
        if mem_kb
        else "?"
    ) + (
        f", {platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"Django {version('django')}, PostgreSQL {str(row[0]).split()[0] if row else '?'}"
    )


def report(results: list[dict[str, Any]], today: str) -> str:
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: `uv run python bench/billing.py`, "
        f"the day measured {today}.",
        "",
        f"Machine: {machine()}; database, Redis and sweep on the same machine.",
        "",
        "| Products | sweep | renewals | reminders | products/s | queries per 1,000 products "
        "| renewed | reminders sent | the same day again | peak memory |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for result in results:
        catch_up, daily, again = result["runs"]
        for label, run in (("first run (catch-up)", catch_up), ("a day", daily)):
            whole = run["renew_s"] + run["remind_s"]
            lines.append(
                f"| {result['products']:,} | {label} | {run['renew_s']:.1f} s "
                f"| {run['remind_s']:.1f} s | {result['products'] / whole:,.0f} "
                f"| {run['queries'] * 1000 / result['products']:.1f} | {run['renewed']:,} "
                f"| {run['reminders_sent']:,} "
                + (
                    f"| {again['renewed']} renewed, {again['reminders_sent']} sent, "
                    f"{again['renew_s'] + again['remind_s']:.1f} s "
                    if run is daily
                    else "| "
                )
                + f"| {result['peak_rss_mb']:.0f} MB |"
            )
    peak = max(r["peak_rss_mb"] for r in results)
    lines += [
        "",
        f"Peak memory (the process's maximum resident set, all three runs) under {MAX_PEAK_MB} MB "
        f"at every size: {'**met**' if peak < MAX_PEAK_MB else '**missed**'} ({peak:.0f} MB at "
        "most).",
    ]
    if len(results) >= 2:
        small, large = results[0], results[-1]

        def seconds(result: dict[str, Any]) -> float:
            return float(result["runs"][1]["renew_s"] + result["runs"][1]["remind_s"])

        lines.append(
            f"A day's sweep from {small['products']:,} to {large['products']:,} products: "
            f"{seconds(large) / seconds(small):.1f} times as long for "
            f"{large['products'] / small['products']:.0f} times the products."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="products"
    )
    parser.add_argument("--today", default="2026-12-01", help="the sweep's day (ISO date)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    results = []
    for size in args.sizes:
        print(f"{size:,} products: database, migrate…", file=sys.stderr)
        redis.Redis.from_url(REDIS_URL).flushdb()
        recreate_database()
        print(f"{size:,} products: seed…", file=sys.stderr)
        seed_s = seed(size, args.today)
        print(f"{size:,} products: sweep (twice)…", file=sys.stderr)
        result = sweep_in_child(args.today)
        result["seed_s"] = seed_s
        print(json.dumps(result), file=sys.stderr)
        results.append(result)
    redis.Redis.from_url(REDIS_URL).flushdb()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(report(results, args.today))


if __name__ == "__main__":
    main()
