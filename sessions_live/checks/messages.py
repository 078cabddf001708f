"""The checks' ids' messages and hints, and the names they mention (docs/checks.md lists them)."""

from __future__ import annotations

#: The sweep refreshes this process's tabs; TAB_STALE_AFTER (20 s) must hold two refreshes.
MAX_SWEEP_INTERVAL = 10


MIDDLEWARE_PATH = "sessions_live.middleware.SessionsLiveMiddleware"


AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"


IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"


SIGNED_COOKIES_ENGINE = "django.contrib.sessions.backends.signed_cookies"


E001_MSG = "SESSIONS_LIVE['WARN_AFTER'] ({warn}) must be less than EXPIRE_AFTER ({expire})."


E001_HINT = "Warn before the session expires: for example WARN_AFTER=540 with EXPIRE_AFTER=600."


E002_MSG = "SESSIONS_LIVE['{key}'] must be a positive number of seconds, not {value!r}."


E002_HINT = "Set it to a number greater than 0 (seconds), or remove it to use the default."


E003_MSG = "No default channel layer is configured; tabs of one session cannot reach each other."


E003_HINT = (
    "Add CHANNEL_LAYERS = {'default': {'BACKEND': 'channels_redis.core.RedisChannelLayer', "
    "'CONFIG': {'hosts': [...]}}} (or channels.layers.InMemoryChannelLayer for one process)."
)


W001_MSG = "The in-memory channel layer is used with DEBUG=False."


W001_HINT = (
    "It only reaches tabs served by the same process: use channels_redis in production "
    "unless you run exactly one server process (one daphne, or uvicorn with one worker)."
)


E004_MSG = f"'{MIDDLEWARE_PATH}' is not in MIDDLEWARE; expired sessions are not refused on HTTP."


E004_HINT = f"Add '{MIDDLEWARE_PATH}' to MIDDLEWARE, after '{AUTH_MIDDLEWARE_PATH}'."


E005_MSG = f"'{MIDDLEWARE_PATH}' must come after '{AUTH_MIDDLEWARE_PATH}' in MIDDLEWARE."


E005_HINT = "Move it below AuthenticationMiddleware: it needs request.user."


E006_MSG = "The signed_cookies session engine is not supported: its key changes on every write."


E006_HINT = "Use a server-side engine such as django.contrib.sessions.backends.db or cache_db."


W002_MSG = "{names} from django-session-security are read as fallbacks."


W002_HINT = "Move them into SESSIONS_LIVE (e.g. SESSIONS_LIVE = {{'WARN_AFTER': 540}})."


W003_MSG = "SESSIONS_LIVE has unknown keys: {keys}."


W003_HINT = "Check the spelling against the settings table (docs/settings.md); they are ignored."


E007_MSG = "SESSIONS_LIVE['{key}'] must be {expected}, not {value!r}."


E007_HINT = "See the settings table (docs/settings.md) for the expected type."


W004_MSG = "SESSIONS_LIVE['ACTIVITY_INTERVAL'] ({interval}) is not below WARN_AFTER ({warn})."


W004_HINT = (
    "Activity is reported once per interval, so an active user could be warned: "
    "make ACTIVITY_INTERVAL a small fraction of WARN_AFTER."
)


DJANGO_TEMPLATES = "django.template.backends.django.DjangoTemplates"


REQUEST_PROCESSOR = "django.template.context_processors.request"


E013_MSG = (
    f"No DjangoTemplates backend in TEMPLATES has '{REQUEST_PROCESSOR}': "
    "{% sessions_live_script %} renders nothing without the request, so no page is warned."
)


E013_HINT = (
    f"Add '{REQUEST_PROCESSOR}' to OPTIONS['context_processors'] of your DjangoTemplates "
    "backend in TEMPLATES (startproject's settings have it)."
)


LEGACY_PING_URL_NAME = "session_security_ping"


W005_MSG = "django-session-security's ping URL ('session_security_ping') is still routed."


W005_HINT = (
    "Remove the include('session_security.urls') line from your urls.py: sessions-live "
    "pushes over its WebSocket and never pings that view."
)


#: WCAG 2.2.1 (Timing Adjustable): warn at least this long before the deadline (seconds).
MIN_WARNING = 20


W006_MSG = (
    "SESSIONS_LIVE warns {warning:g} seconds before the session ends (EXPIRE_AFTER - WARN_AFTER): "
    "under the {minimum} seconds WCAG 2.2.1 asks for."
)


W006_HINT = (
    "Let EXPIRE_AFTER come at least 20 seconds after WARN_AFTER (the defaults give 60), so "
    "anyone can read the warning and stay signed in in time; see docs/accessibility.md."
)


GZIP_MIDDLEWARE_PATH = "django.middleware.gzip.GZipMiddleware"


W007_MSG = (
    f"'{GZIP_MIDDLEWARE_PATH}' comes after '{MIDDLEWARE_PATH}' in MIDDLEWARE: pages are "
    "compressed before the client can be put into them (ADMIN_CLIENT, INJECT_CLIENT)."
)


W007_HINT = (
    "Move GZipMiddleware above SessionsLiveMiddleware (near the top of MIDDLEWARE), so that "
    "it compresses the page once the client is in it."
)


E009_MSG = "SESSIONS_LIVE['TRUSTED_PROXIES'] has entries that are not addresses: {entries}."


E009_HINT = "Write addresses or networks, e.g. ['127.0.0.1', '10.0.0.0/8']."


E010_MSG = "SESSIONS_LIVE['SWEEP_INTERVAL'] ({interval}) must be below {limit} seconds."


E010_HINT = (
    "The sweep also tells other processes this one's tabs are open; slower than that, they "
    "are taken for tabs of a dead process."
)


E011_MSG = (
    "SESSIONS_LIVE['MAX_SESSIONS_PER_USER'] must be None or a whole number above 0, not {value!r}."
)


E011_HINT = (
    "Set it to how many live sessions one user may hold at once (e.g. 3), or to None for no limit."
)


E015_MSG = (
    "SESSIONS_LIVE['BROADCASTS_PER_MINUTE'] must be None or a whole number above 0, not {value!r}."
)
E015_HINT = (
    "Set it to how many messages to open tabs one staff member may send per minute (e.g. 5), "
    "or to None for no limit."
)
E012_MSG = "SESSIONS_LIVE['TIMEOUTS_FOR'] ({value!r}) does not name a callable: {problem}."


E012_HINT = (
    "Give the dotted path of a function taking user= and request= (at sign-in) and returning "
    "a dict of "
    "WARN_AFTER / EXPIRE_AFTER / ABSOLUTE_EXPIRE_AFTER, e.g. 'myapp.sessions.timeouts_for'."
)


E008_MSG = "SESSIONS_LIVE must be a dict (or another mapping)."


E008_HINT = "Write it as SESSIONS_LIVE = {'WARN_AFTER': 540, 'EXPIRE_AFTER': 600}."


REAUTH_URL_NAME = "sessions_live:reauth"
W008_MSG = (
    "SESSIONS_LIVE['REAUTH_IN_PLACE'] is on, but sessions_live.urls is not included: pages "
    "cannot sign in again in place and go to the login page as before."
)
W008_HINT = (
    "Add path('account/sessions/', include('sessions_live.urls')) to your URLconf, or turn "
    "REAUTH_IN_PLACE off."
)
W009_MSG = (
    "SESSIONS_LIVE['REAUTH_IN_PLACE'] is on, but CSRF_USE_SESSIONS keeps the CSRF token in the "
    "session, which ends with it: every sign-in in place is refused by the CSRF check."
)
W009_HINT = (
    "Keep the CSRF token in its cookie (CSRF_USE_SESSIONS = False), or turn REAUTH_IN_PLACE off."
)
E016_MSG = "SESSIONS_LIVE['REAUTH_ALLOWED'] ({value!r}) does not name a callable: {problem}."
E016_HINT = (
    "Name a function that takes a user and returns whether they may sign in again in place, "
    "e.g. 'myproject.auth.may_reauth_in_place', or set it to None."
)
E017_MSG = "SESSIONS_LIVE['{key}'] must be None or a whole number above 0, not {value!r}."
E017_HINT = (
    "Set it to how many tabs may be open at once (MAX_TABS_PER_SESSION defaults to 50, "
    "MAX_TABS_PER_USER to 200), or to None for no limit."
)
