"""django-session-security's documented configuration, with sessions-live swapped in.

Only its setting names set the timeouts and the passive URLs. What changed from a
django-session-security project is marked "swapped" or "added"; everything else is what its
documentation and its own test project ask for. The environment supplies what a test run
varies: the database folder (DEMO_VAR_DIR), Redis (REDIS_URL) and the secret key.
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
    "daphne",  # added: serves HTTP and the WebSocket
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",  # added
    "sessions_live",  # swapped: was "session_security"
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # swapped: was "session_security.middleware.SessionSecurityMiddleware", in the same place
    "sessions_live.middleware.SessionsLiveMiddleware",
]

ROOT_URLCONF = "tests.migrating.urls"
ASGI_APPLICATION = "tests.migrating.asgi.application"  # added

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

# added: tabs of one session reach each other through the channel layer.
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

# django-session-security's settings, unchanged (short timeouts for the test).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SECURITY_WARN_AFTER = 2
SESSION_SECURITY_EXPIRE_AFTER = 4
SESSION_SECURITY_PASSIVE_URLS = ["/poll/"]
SESSION_SECURITY_PASSIVE_URL_NAMES = ["ignore"]

# added: 2 s of warning is far under the 20 s WCAG 2.2.1 asks for (W006); the test's choice.
SILENCED_SYSTEM_CHECKS = ["sessions_live.W006"]

LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login"

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
STATICFILES_DIRS = [HERE / "static"]
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
