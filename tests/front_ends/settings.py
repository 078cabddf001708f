"""A project whose pages use htmx and Turbo Drive, with sessions-live installed as the README says.

Short timeouts (warn after 2 s, sign out after 8 s) so a scenario takes seconds; one session
per user, so signing in again ends the session before (``replaced``) and a test can end a
session without waiting. The environment supplies the database folder (DEMO_VAR_DIR, where the
test also writes htmx and Turbo under ``static/vendor/``), Redis (REDIS_URL) and the secret key.
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ["DEMO_VAR_DIR"])

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "sessions_live",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sessions_live.middleware.SessionsLiveMiddleware",
]

ROOT_URLCONF = "tests.front_ends.urls"
ASGI_APPLICATION = "tests.front_ends.asgi.application"

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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "db.sqlite3",
        "OPTIONS": {"timeout": 20},
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ["REDIS_URL"],
                    "socket_timeout": 10,
                    "health_check_interval": 10,
                }
            ]
        },
    }
}

SESSIONS_LIVE = {
    # 5 s: signing in and loading htmx fit before the warning on a busy machine (2 s did not:
    # the open dialog took the test's first click).
    "WARN_AFTER": 5,
    "EXPIRE_AFTER": 11,
    "PASSIVE_URLS": ["/htmx/board/"],  # polls itself: must not keep the session alive
    "MAX_SESSIONS_PER_USER": 1,
}
# 6 s of warning is far under the 20 s WCAG 2.2.1 asks for (W006): the test's choice.
SILENCED_SYSTEM_CHECKS = ["sessions_live.W006"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # test users: fast sign-ins

LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/htmx/"

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
STATICFILES_DIRS = [VAR_DIR / "static"]
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
