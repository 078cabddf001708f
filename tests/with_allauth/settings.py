"""A site signing in through django-allauth, with sessions-live (docs/recipes.md,
"django-allauth").

Between the "recipe" markers: the recipe, exactly as docs/recipes.md shows it
(tests/test_recipes.py compares them). The rest is what any project has and what a test run
varies: the database folder (DEMO_VAR_DIR), Redis (REDIS_URL), the secret key and short
timeouts (RECIPE_WARN_AFTER, RECIPE_EXPIRE_AFTER).
"""

from __future__ import annotations

import os
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ["DEMO_VAR_DIR"])

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# recipe: allauth settings
INSTALLED_APPS = [
    "daphne",  # first: its runserver serves WebSockets too
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
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
    "allauth.account.middleware.AccountMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # the site's own templates
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",  # allauth and sessions-live
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Signed-out tabs and refused pages go to allauth's sign-in page, told why.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

SESSIONS_LIVE = {
    "WARN_AFTER": 540,  # seconds idle before every tab shows the warning
    "EXPIRE_AFTER": 600,  # seconds idle before the session ends
    # allauth's pages (email, password, sign-out) carry the client, with no template edits.
    "INJECT_CLIENT": True,
    # A third sign-in of one account ends its oldest session (reason "replaced").
    "MAX_SESSIONS_PER_USER": 2,
}
# end of recipe

ROOT_URLCONF = "tests.with_allauth.urls"
ASGI_APPLICATION = "tests.with_allauth.asgi.application"

# Served by daphne alone in the tests: static files through WhiteNoise, from the finders.
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
WHITENOISE_USE_FINDERS = True
STATIC_URL = "static/"

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

# A nonce-only Content-Security-Policy, as a strict site has: no script or style of
# sessions-live's may run without the request's nonce (Django's own CSP from 6.0, django-csp
# before). allauth's own inline scripts (on its email page) are blocked by it, and no test
# relies on them.
if django.VERSION >= (6, 0):
    from django.utils.csp import CSP

    MIDDLEWARE.insert(1, "django.middleware.csp.ContentSecurityPolicyMiddleware")
    SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.NONCE, CSP.STRICT_DYNAMIC],
        "style-src": [CSP.SELF, CSP.NONCE],
    }
else:
    MIDDLEWARE.insert(1, "csp.middleware.CSPMiddleware")
    CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'nonce'", "'strict-dynamic'"],
            "style-src": ["'self'", "'nonce'"],
        }
    }

# Short timeouts for the test.
SESSIONS_LIVE["WARN_AFTER"] = float(os.environ.get("RECIPE_WARN_AFTER", "540"))
SESSIONS_LIVE["EXPIRE_AFTER"] = float(os.environ.get("RECIPE_EXPIRE_AFTER", "600"))
# 2 s of warning is far under the 20 s WCAG 2.2.1 asks for (W006): the test's choice.
SILENCED_SYSTEM_CHECKS = ["sessions_live.W006"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast sign-ins
# Nothing leaves the machine. Django 6.1 replaces EMAIL_BACKEND by MAILERS (and deprecates it).
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
