"""WSGI entry point of the benchmark: the portal with the bench-only endpoints of bench.urls."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

application = get_wsgi_application()
