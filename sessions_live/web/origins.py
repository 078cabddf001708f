"""Whether a WebSocket handshake comes from a page of this site: its ``Origin`` judged as
Django's CSRF check judges an unsafe request's (``CsrfViewMiddleware``), against the site's
own scheme, host and port, then ``CSRF_TRUSTED_ORIGINS``.

The site's own origin is the handshake's: the scheme of the socket (``wss`` is ``https``), or
``SECURE_PROXY_SSL_HEADER`` when the proxy sends it; the ``Host`` header (``X-Forwarded-Host``
with ``USE_X_FORWARDED_HOST``), which must be one of ``ALLOWED_HOSTS``. daphne puts no scheme
in a WebSocket's scope, even over its own TLS: there, a handshake that reached the server's
port directly (the ``Host`` names that port, or none and the port is 80 or 443) takes the
scheme that port speaks, which the ``Origin`` must then have. Origins compare by scheme, host
and port, the host without regard to case and a missing port as the scheme's default.
Anything else is refused: ``null``, another scheme, userinfo, a path, more than one
``Origin`` or ``Host`` header, one longer than ``MAX_ORIGIN``. A refusal is logged, at most
once a minute per process, with the origin expected.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from sessions_live.conf import get_settings
from sessions_live.core.sampled_log import SampledLog

logger = logging.getLogger(__name__)

#: Characters an ``Origin`` may have (scheme, host of at most 253, port): beyond, refused.
MAX_ORIGIN = 300
DEFAULT_PORTS = {"http": 80, "https": 443}
#: Seconds between two log lines about refused origins, in one process.
LOG_EVERY = 60.0


class Origin(NamedTuple):
    """An origin (RFC 6454): scheme, host (lower-cased, an IPv6 address in brackets), port."""

    scheme: str
    host: str
    port: int

    @property
    def netloc(self) -> str:
        """``host[:port]``, the port left out when it is the scheme's default."""
        if self.port == DEFAULT_PORTS[self.scheme]:
            return self.host
        return f"{self.host}:{self.port}"


def parse(origin: str) -> Origin | None:
    """The origin ``scheme://host[:port]`` names (the host lower-cased), or None if it is not
    one (RFC 6454: no userinfo, path, query or fragment; http or https only)."""
    if len(origin) > MAX_ORIGIN:
        return None
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    if parts.path or parts.query or parts.fragment or origin.endswith(("?", "#")):
        return None
    host = parts.hostname  # lower-cased by urlsplit; an IPv6 address without its brackets
    if ":" in host:
        host = f"[{host}]"
    return Origin(scheme, host, port if port is not None else DEFAULT_PORTS[scheme])


def _headers(scope: Mapping[str, Any], name: bytes) -> list[str]:
    return [
        bytes(value).decode("latin-1") for key, value in scope.get("headers", ()) if key == name
    ]


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    """The header's value; several are joined with commas, as ASGI servers give them to
    Django (so that two ``Host`` headers make no valid host)."""
    values = _headers(scope, name)
    return ",".join(values) if values else None


def _proxy_says_secure(scope: Mapping[str, Any]) -> bool | None:
    """As ``HttpRequest.is_secure`` reads ``SECURE_PROXY_SSL_HEADER``: whether the proxy's
    header says https, or None if it is not configured or not sent."""
    if not settings.SECURE_PROXY_SSL_HEADER:
        return None
    meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
    if not meta_name.startswith("HTTP_"):
        return None  # not a header: Django finds no such name in META either
    name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
    value = _header(scope, name)
    if value is None:
        return None
    return value.split(",", 1)[0].strip() == secure_value


def _scheme(scope: Mapping[str, Any], host: str, origin: Origin) -> str:
    """The site's scheme: the proxy's word, the socket's, or the port it reached (daphne
    says no scheme: see the module's docstring)."""
    secure = _proxy_says_secure(scope)
    if secure is not None:
        return "https" if secure else "http"
    if "scheme" in scope:
        return "https" if scope["scheme"] in ("wss", "https") else "http"
    server = scope.get("server")
    port = server[1] if server and len(server) > 1 else None
    _, host_port = split_domain_port(host)
    if port is None:
        return "http"
    if host_port:  # one port speaks one scheme: the page's, if it came to this very port
        return origin.scheme if host_port == str(port) else "http"
    return "https" if port == DEFAULT_PORTS["https"] else "http"


def _host(scope: Mapping[str, Any]) -> str | None:
    """As ``HttpRequest.get_host``: the host the handshake was sent to, if it is one of
    ``ALLOWED_HOSTS`` (None otherwise)."""
    forwarded = _header(scope, b"x-forwarded-host") if settings.USE_X_FORWARDED_HOST else None
    if forwarded is not None:
        host: str | None = forwarded  # even empty, as Django takes it (and refuses it)
    else:
        host = _header(scope, b"host")
    if host is None and scope.get("server"):
        server_host, server_port = scope["server"][0], scope["server"][1]
        host = f"{server_host}:{server_port}" if server_port else str(server_host)
    if not host:
        return None
    domain, _ = split_domain_port(host)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # what Django allows then
    return host if domain and validate_host(domain, allowed) else None


def site_origin(scope: Mapping[str, Any], origin: Origin) -> Origin | None:
    """The origin of the site the handshake with ``origin`` was sent to (None if its host is
    not allowed)."""
    host = _host(scope)
    if host is None:
        return None
    return parse(f"{_scheme(scope, host, origin)}://{host}")


def trusted(origin: Origin) -> bool:
    """Whether ``CSRF_TRUSTED_ORIGINS`` names ``origin``, exactly or by a ``*.`` wildcard."""
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        if "://*" in entry:
            scheme, _, pattern = entry.partition("://*")
            if scheme.lower() == origin.scheme and is_same_domain(origin.netloc, pattern):
                return True
        elif parse(entry) == origin:
            return True
    return False


def origin_allowed(scope: Mapping[str, Any]) -> bool:
    """Whether a WebSocket handshake comes from a page of this site (against cross-site
    WebSocket hijacking). A handshake without ``Origin`` (not a browser) is refused unless
    ``ALLOW_MISSING_ORIGIN`` is on."""
    values = _headers(scope, b"origin")
    if not values or values == [""]:
        return bool(get_settings().ALLOW_MISSING_ORIGIN)
    if len(values) > 1:
        return False  # which one would the browser have meant?
    origin = parse(values[0])
    own = site_origin(scope, origin) if origin is not None else None
    if origin is not None and (origin == own or trusted(origin)):
        return True
    _log_refusal(values[0], own)
    return False


#: This process's refused origins, for a log line at most every LOG_EVERY seconds.
refusals = SampledLog(LOG_EVERY)


def _log_refusal(origin: str, expected: Origin | None) -> None:
    if (refused := refusals.count()) is None:
        return
    logger.warning(
        "sessions_live: refused a WebSocket from origin %.100r; this site's origin here is"
        " %s (%d refused since the last line). A page of yours? Add it to"
        " CSRF_TRUSTED_ORIGINS, or set SECURE_PROXY_SSL_HEADER behind a TLS proxy.",
        origin,
        f"{expected.scheme}://{expected.netloc}" if expected else "unknown (Host not allowed)",
        refused,
    )
