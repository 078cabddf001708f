"""Settings of the reference project, read from the environment like the demo's.

SESSION_SECURITY_WARN_AFTER and SESSION_SECURITY_EXPIRE_AFTER (seconds) are the timeouts the
benchmark gives sessions-live too. Static files are served by whitenoise, as in the demo, so
both pay the same for them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
import django
from django.core.exceptions import ImproperlyConfigured

HERE = Path(__file__).resolve().parent


def _seconds(name: str, default: str) -> int | float:
    """A timeout from the environment; whole numbers stay ints so the page shows ``54``."""
    value = float(os.environ.get(name, default))
    return int(value) if value.is_integer() else value


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY for the reference project.")
DEBUG = False
# testserver: the benchmark counts the SQL of one ping with django.test.Client.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "session_security",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication, as its documentation asks.
    "session_security.middleware.SessionSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bench.reference.urls"
ASGI_APPLICATION = "bench.reference.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

# Django's default: a connection per request, closed at its end (no pool, unlike the demo).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get(
            "DATABASE_URL",
            f"sqlite:///{Path(tempfile.gettempdir()) / 'sessions-live-reference.sqlite3'}",
        ),
        conn_max_age=0,
    )
}

# django-session-security refuses to start without it (a session must not outlive the browser).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SECURITY_WARN_AFTER = _seconds("SESSION_SECURITY_WARN_AFTER", "540")
SESSION_SECURITY_EXPIRE_AFTER = _seconds("SESSION_SECURITY_EXPIRE_AFTER", "600")

LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login"

USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = None
# session_security/script.js needs jQuery and the package ships none. Django's admin ships
# jQuery 3.7.1 (MIT, its LICENSE.txt beside it): serve that file at static/jquery/, so nothing
# is fetched from a CDN and nothing is copied into this repository.
STATICFILES_DIRS = [
    ("jquery", Path(django.__file__).parent / "contrib/admin/static/admin/js/vendor/jquery"),
]
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
