"""Settings of the sessions-live demo, read from the environment.

The same code runs the embedded default (SQLite, in-memory channel layer), the test suite and
a multi-process deployment (PostgreSQL via DATABASE_URL, Redis via REDIS_URL).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url
import django

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _demo_secret_key() -> str:
    """DJANGO_SECRET_KEY, or a key generated once for this checkout and kept in var/."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _demo_secret_key()
# Keys retired by a rotation, still accepted for what they signed (comma-separated, newest
# first): see docs/deploying.md, "Rotating SECRET_KEY".
SECRET_KEY_FALLBACKS = [
    key.strip()
    for key in os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split(",")
    if key.strip()
]
DEBUG = _env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    # daphne first, when it is installed, so that `manage.py runserver` serves ASGI (the
    # WebSocket too); under uvicorn it is not needed (docs/deploying.md).
    *(["daphne"] if importlib.util.find_spec("daphne") else []),
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "sessions_live",
    "project",
]

#: Django's own Content-Security-Policy (6.0+), nonce-only (SECURE_CSP below); before 6.0 the
#: demo's fixed policy (project/csp.py).
DJANGO_CSP = django.VERSION >= (6, 0)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    (
        "django.middleware.csp.ContentSecurityPolicyMiddleware"
        if DJANGO_CSP
        else "project.csp.ContentSecurityPolicyMiddleware"
    ),
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from Accept-Language (or the django_language cookie): the warning dialog
    # speaks French, German or Spanish to a browser that asks for it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sessions_live.middleware.SessionsLiveMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # csp_nonce, for Django's admin templates (6.1+ put it on their scripts).
                *(["django.template.context_processors.csp"] if DJANGO_CSP else []),
            ],
        },
    },
]

if DJANGO_CSP:
    from django.utils.csp import CSP

    # No script runs unless it carries this response's nonce. The demo's own templates never
    # read the nonce: sessions-live's tags do, and that is what puts it in the header.
    SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.NONCE, CSP.STRICT_DYNAMIC],
        "style-src": [CSP.SELF, CSP.NONCE],
        "img-src": [CSP.SELF],
        # 'self' matches ws: and wss: to this host too (CSP Level 3): the client's WebSocket.
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "form-action": [CSP.SELF],
        "frame-ancestors": [CSP.NONE],
    }
    if django.VERSION < (6, 1):
        # Django 6.0's admin templates put no nonce on their own scripts (6.1's do): let
        # same-origin scripts run there too, without 'strict-dynamic' (which ignores 'self').
        SECURE_CSP["script-src"] = [CSP.SELF, CSP.NONCE]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads of one process write; wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Keep each thread's connection: opening one for every database call was a sixth of the
    # work of a tab's handshake (docs/benchmarks.md, capacity).
    DATABASES["default"]["CONN_MAX_AGE"] = None
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every sync_to_async call may run in a new thread, and CONN_MAX_AGE cannot
    # keep a connection: psycopg's pool keeps them per process instead of a new one per query.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "20")),
        "timeout": 10,
    }

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # REDIS_LAYER=pubsub picks channels-redis' pub/sub layer (docs/benchmarks.md).
            "BACKEND": {
                "core": "channels_redis.core.RedisChannelLayer",
                "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
            }[os.environ.get("REDIS_LAYER", "core")],
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # Above the layer's 5 s blocking read (DESIGN.md, pitfalls).
                        "socket_timeout": 10,
                        # Ping a pooled connection idle this long before reuse, so one the
                        # server or a proxy closed is replaced instead of failing a push.
                        "health_check_interval": 10,
                        # redis-py refuses a command beyond its pool's 100 connections (it
                        # does not wait): bursts of tabs need more (docs/pitfalls.md).
                        "max_connections": 1000,
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# DJANGO_SESSION_ENGINE=django.contrib.sessions.backends.cache keeps sessions in the cache
# alone (benchmark 9 evicts them there): Redis when REDIS_URL is set, shared by the processes.
SESSION_ENGINE = os.environ.get("DJANGO_SESSION_ENGINE", "django.contrib.sessions.backends.db")
if REDIS_URL and SESSION_ENGINE == "django.contrib.sessions.backends.cache":
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

_WARN_AFTER = float(os.environ.get("SESSIONS_LIVE_WARN_AFTER", "40"))
SESSIONS_LIVE = {
    "WARN_AFTER": _WARN_AFTER,
    "EXPIRE_AFTER": float(os.environ.get("SESSIONS_LIVE_EXPIRE_AFTER", "60")),
    # The demo runs with short timeouts: report activity often enough for them.
    "ACTIVITY_INTERVAL": min(10.0, _WARN_AFTER / 4),
    "EXPIRE_WHEN_ALL_TABS_CLOSED": _env_bool("SESSIONS_LIVE_EXPIRE_WHEN_ALL_TABS_CLOSED", False),
}
if proxies := os.environ.get("SESSIONS_LIVE_TRUSTED_PROXIES", ""):
    # Behind a reverse proxy: the addresses (or networks) whose X-Forwarded-For is believed.
    SESSIONS_LIVE["TRUSTED_PROXIES"] = [p.strip() for p in proxies.split(",") if p.strip()]
if _env_bool("SESSIONS_LIVE_REAUTH_IN_PLACE", False):
    SESSIONS_LIVE["REAUTH_IN_PLACE"] = True
if "SESSIONS_LIVE_CLOSE_GRACE" in os.environ:
    SESSIONS_LIVE["CLOSE_GRACE"] = float(os.environ["SESSIONS_LIVE_CLOSE_GRACE"])
# Caps on open tabs (50 a session, 200 a user by default); "none" lifts one (the benchmarks).
for _cap in ("MAX_TABS_PER_SESSION", "MAX_TABS_PER_USER"):
    if (_value := os.environ.get(f"SESSIONS_LIVE_{_cap}")) is not None:
        SESSIONS_LIVE[_cap] = None if _value.lower() == "none" else int(_value)
# What the records keep of visitors: "full" (the default), "network"/"family", or "none".
for _keep in ("KEEP_IP", "KEEP_USER_AGENT"):
    if f"SESSIONS_LIVE_{_keep}" in os.environ:
        SESSIONS_LIVE[_keep] = os.environ[f"SESSIONS_LIVE_{_keep}"]

LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The end-to-end tests and the benchmarks sign in hundreds of times, each a quarter of a second
# of PBKDF2; they set this to hash with MD5 instead. Never set it where passwords matter.
if os.environ.get("DEMO_INSECURE_FAST_PASSWORDS") == "1":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Set in a deployment (the Dockerfile runs collectstatic into it); whitenoise serves it.
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or None
STATICFILES_DIRS = [BASE_DIR / "static"]
# Without a STATIC_ROOT (the demo), serve app and project static files straight from their
# folders, also with DEBUG off.
WHITENOISE_USE_FINDERS = STATIC_ROOT is None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # Not propagated: a server may give the root logger a handler too (daphne does), which
    # would print each line twice.
    "loggers": {
        "sessions_live": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "project": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
