"""A Wagtail site whose admin warns and signs out idle editors (docs/recipes.md, "Wagtail"),
with nothing of sessions-live's but the install steps: no template, no Wagtail setting.

Between the "recipe" markers: the recipe, exactly as docs/recipes.md shows it
(tests/test_recipes.py compares them). The rest is an ordinary Wagtail project's settings and
what a test run varies: the database folder (DEMO_VAR_DIR), Redis (REDIS_URL), the secret key
and short timeouts (RECIPE_WARN_AFTER, RECIPE_EXPIRE_AFTER).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ["DEMO_VAR_DIR"])

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# recipe: wagtail settings
INSTALLED_APPS = [
    "daphne",  # first: its runserver serves WebSockets too
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "sessions_live",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sessions_live.middleware.SessionsLiveMiddleware",  # after AuthenticationMiddleware
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

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

SESSIONS_LIVE = {
    "WARN_AFTER": 540,  # seconds idle before every tab shows the warning
    "EXPIRE_AFTER": 600,  # seconds idle before the session ends
}
# end of recipe

ROOT_URLCONF = "tests.with_wagtail.urls"
ASGI_APPLICATION = "tests.with_wagtail.asgi.application"

# Served by daphne alone in the tests: static files through WhiteNoise, from the finders.
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
WHITENOISE_USE_FINDERS = True
STATIC_URL = "static/"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

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

# Short timeouts for the test, and a ping every second so that it falls inside them.
SESSIONS_LIVE["WARN_AFTER"] = float(os.environ.get("RECIPE_WARN_AFTER", "540"))
SESSIONS_LIVE["EXPIRE_AFTER"] = float(os.environ.get("RECIPE_EXPIRE_AFTER", "600"))
WAGTAIL_EDITING_SESSION_PING_INTERVAL = 1000  # milliseconds
# 2 s of warning is far under the 20 s WCAG 2.2.1 asks for (W006): the test's choice.
SILENCED_SYSTEM_CHECKS = ["sessions_live.W006"]

WAGTAIL_SITE_NAME = "Recipe site"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
# No request to the outside from the admin's pages: no release check, no Gravatar images.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast sign-ins

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
