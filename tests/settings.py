"""Settings for the test suite, apart from the demo's (the demo has its own in project/)."""

from __future__ import annotations

import os
from typing import Any

import dj_database_url

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "sessions_live",
    "tests",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sessions_live.middleware.SessionsLiveMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {"timeout": 20},
        "TEST": {"NAME": os.environ.get("SESSIONS_LIVE_TEST_DB", "")},
    }
}
if os.environ.get("DATABASE_URL"):
    # The whole suite on another database, e.g. PostgreSQL: DATABASE_URL=postgres://...
    DATABASES["default"] = dict(dj_database_url.parse(os.environ["DATABASE_URL"]))

if os.environ.get("SESSIONS_LIVE_PRERELEASE_MIGRATIONS") == "1":
    # tests/test_migration_history.py: a database migrated the way it was before 0.1.0.
    MIGRATION_MODULES = {"sessions_live": "tests.prerelease_migrations"}

# Overridden per test by the `layer` fixture: in-memory, or channels-redis on a real Redis.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

SESSIONS_LIVE = {"WARN_AFTER": 540, "EXPIRE_AFTER": 600}
SILENCED_SYSTEM_CHECKS = ["sessions_live.W001"]  # the in-memory layer is the tests' default

LOGIN_URL = "/login/"
LOGOUT_REDIRECT_URL = "/login/"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
