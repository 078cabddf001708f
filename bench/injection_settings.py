"""Benchmark 8's project (bench/injection.py): the test suite's settings, with its own pages
(bench/injection_urls.py), the client put into every page, and a database file of the run."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "bench.injection_urls"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_INJECTION_DB"]}
}
SESSIONS_LIVE = {"INJECT_CLIENT": True, "WARN_AFTER": 3000, "EXPIRE_AFTER": 3600}
