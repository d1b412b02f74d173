"""Settings of the benchmark only: the portal's own, plus what the bench-only endpoints need.

DRF's stock `TokenAuthentication` needs its `authtoken` app (keys stored in clear, the comparison
the issue asks for), and the bench-only twins of the Newsletter list endpoint live in `bench.urls`.
"""

from __future__ import annotations

from portal.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "bench.wsgi.application"

# The organization that the unauthenticated twin and the stock-DRF twin serve (seeded by
# bench/seed.py).
BENCH_ORGANIZATION = "bench-sa"
