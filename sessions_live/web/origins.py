"""Whether a WebSocket handshake comes from a page of this site: its ``Origin`` judged as
Django's CSRF check judges an unsafe request's (``CsrfViewMiddleware``), against the site's
own scheme, host and port, then ``CSRF_TRUSTED_ORIGINS``.

The site's own origin is the handshake's: the scheme of the socket (``wss`` is ``https``), or
``SECURE_PROXY_SSL_HEADER`` when the proxy sends it; the ``Host`` header (``X-Forwarded-Host``
with ``USE_X_FORWARDED_HOST``), which must be one of ``ALLOWED_HOSTS``. Origins compare by
scheme, host and port, the host without regard to case and a missing port as the scheme's
default. Anything else is refused: ``null``, another scheme, userinfo, a path, more than one
``Origin`` header, one longer than ``MAX_ORIGIN``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from sessions_live.conf import get_settings

#: Characters an ``Origin`` may have (scheme, host of at most 253, port): beyond, refused.
MAX_ORIGIN = 300
DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
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
    values = _headers(scope, name)
    return values[0] if values else None


def _is_secure(scope: Mapping[str, Any]) -> bool:
    """As ``HttpRequest.is_secure``: the proxy's header if configured and sent, else the
    socket's own scheme."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        value = _header(scope, name)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


def _host(scope: Mapping[str, Any]) -> str | None:
    """As ``HttpRequest.get_host``: the host the handshake was sent to, if it is one of
    ``ALLOWED_HOSTS`` (None otherwise)."""
    host = None
    if settings.USE_X_FORWARDED_HOST:
        host = _header(scope, b"x-forwarded-host")
    host = host or _header(scope, b"host")
    if not host and scope.get("server"):
        server_host, server_port = scope["server"][0], scope["server"][1]
        host = f"{server_host}:{server_port}" if server_port else str(server_host)
    if not host:
        return None
    domain, _ = split_domain_port(host)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # what Django allows then
    return host if domain and validate_host(domain, allowed) else None


def site_origin(scope: Mapping[str, Any]) -> Origin | None:
    """The origin of the site the handshake was sent to (None if its host is not allowed)."""
    host = _host(scope)
    if host is None:
        return None
    return parse(f"{'https' if _is_secure(scope) else 'http'}://{host}")


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
    if origin is None:
        return False
    return origin == site_origin(scope) or trusted(origin)
