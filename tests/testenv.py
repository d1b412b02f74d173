"""A pytest plugin (`-p tests.testenv` in pyproject.toml) loaded before Django: the environment.

Tests speak plain HTTP to the test client and to the live server, so the HTTPS-only settings of
production (redirect, Secure and __Host- cookies) are off unless a test asks for them. Every
other setting comes from the environment as in production: CI sets DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("PORTAL_HTTPS", "false")
os.environ.setdefault("PORTAL_DATA_DIR", tempfile.mkdtemp(prefix="portal-test-"))
# pytest-xdist starts its workers with the environment of the main process, so they would all get
# its data folder: the SQLite database, the filesystem broker's queue, the SMS files and the
# generated secret key would be shared. Each worker takes a folder of its own inside it.
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["PORTAL_DATA_DIR"] = os.path.join(os.environ["PORTAL_DATA_DIR"], worker)
os.environ.setdefault("EMAIL_URL", "memorymail://")
# A page template that uses a method without calling it fails the test (portal/jinja2.py).
os.environ.setdefault("PORTAL_STRICT_TEMPLATES", "1")
