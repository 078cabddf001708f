"""Same-origin for real: a WebSocket handshake's ``Origin`` must be the site's own scheme, host
and port (or one of ``CSRF_TRUSTED_ORIGINS``), as Django's CSRF check requires of a form."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from sessions_live.core.sampled_log import SampledLog
from sessions_live.web import origins
from sessions_live.web.origins import MAX_ORIGIN, Origin, origin_allowed, parse, site_origin


def handshake(*headers: tuple[str, str], scheme: str = "ws") -> dict[str, Any]:
    return {
        "type": "websocket",
        "scheme": scheme,
        "headers": [(name.encode(), value.encode()) for name, value in headers],
    }


def allowed(origin: str, host: str = "example.com", scheme: str = "ws") -> bool:
    return origin_allowed(handshake(("origin", origin), ("host", host), scheme=scheme))


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.ALLOWED_HOSTS = [".example.com", "127.0.0.1", "[::1]"]


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "expected"),
    [
        ("http://example.com", "example.com", "ws", True),
        ("https://example.com", "example.com", "wss", True),
        ("http://example.com:8000", "example.com:8000", "ws", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
        ("http://[::1]:8000", "[::1]:8000", "ws", True),
        # No port vs the default port, either way round: one origin.
        ("https://example.com:443", "example.com", "wss", True),
        ("https://example.com", "example.com:443", "wss", True),
        ("HTTPS://EXAMPLE.COM", "example.com", "wss", True),  # hosts compare without case
        ("http://example.com", "EXAMPLE.com", "ws", True),
        ("null", "example.com", "ws", False),
        ("http://evil.example", "example.com", "ws", False),
        ("http://sub.example.com", "example.com", "ws", False),  # a subdomain is another site
        ("http://example.com", "sub.example.com", "ws", False),
        ("http://example.com:8001", "example.com:8000", "ws", False),  # another port
        ("http://example.com", "example.com:8000", "ws", False),
        ("http://example.com", "example.com", "wss", False),  # an http page of an https site
        ("https://example.com", "example.com", "ws", False),
        ("http://example.com.", "example.com", "ws", False),  # a trailing dot: another origin
        ("http://user@example.com", "example.com", "ws", False),  # userinfo
        ("http://user:pw@example.com", "example.com", "ws", False),
        ("http://example.com/", "example.com", "ws", False),  # an origin has no path
        ("http://example.com?x", "example.com", "ws", False),
        ("http://example.com#x", "example.com", "ws", False),
        ("ftp://example.com", "example.com", "ws", False),
        ("file://", "example.com", "ws", False),
        ("http://example.com:99999", "example.com", "ws", False),  # no such port
        ("http://example.com:80x", "example.com", "ws", False),
        ("http://[::1", "example.com", "ws", False),
        ("http://" + "a" * 8192 + ".example.com", "example.com", "ws", False),  # 8 KB
        ("http://evil.example", "evil.example", "ws", False),  # a host not in ALLOWED_HOSTS
    ],
)
def test_an_origin_is_this_site_s_own_or_refused(
    origin: str, host: str, scheme: str, expected: bool
) -> None:
    assert allowed(origin, host, scheme) is expected


def test_more_than_one_origin_header_is_refused() -> None:
    same = ("origin", "http://example.com")
    assert origin_allowed(handshake(same, ("host", "example.com")))
    assert not origin_allowed(handshake(same, same, ("host", "example.com")))


def test_an_origin_longer_than_any_real_one_is_not_parsed() -> None:
    assert parse("http://" + "a" * MAX_ORIGIN) is None
    assert parse("http://example.com") == Origin("http", "example.com", 80)


def test_a_handshake_without_a_host_header_uses_the_server_it_reached() -> None:
    scope = handshake(("origin", "http://127.0.0.1:8000"))
    scope["server"] = ("127.0.0.1", 8000)
    assert site_origin(scope, Origin("http", "127.0.0.1", 8000)) == Origin(
        "http", "127.0.0.1", 8000
    )
    assert origin_allowed(scope)
    assert not origin_allowed(handshake(("origin", "http://127.0.0.1:8000")))  # nothing to match


def test_the_proxy_s_ssl_header_says_the_scheme_when_configured(settings: Any) -> None:
    behind_tls = (("x-forwarded-proto", "https"), ("host", "example.com"))
    assert not origin_allowed(handshake(("origin", "https://example.com"), *behind_tls))
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(handshake(("origin", "https://example.com"), *behind_tls))
    assert not origin_allowed(handshake(("origin", "http://example.com"), *behind_tls))
    plain = (("x-forwarded-proto", "http"), ("host", "example.com"))
    assert not origin_allowed(handshake(("origin", "https://example.com"), *plain, scheme="wss"))
    # Without the header, the socket's own scheme.
    plain_tls = handshake(("origin", "https://example.com"), ("host", "example.com"), scheme="wss")
    assert origin_allowed(plain_tls)
    # A header name that is not one (no HTTP_ prefix) is never read, as Django never does.
    settings.SECURE_PROXY_SSL_HEADER = ("X_FORWARDED_PROTO", "https")
    assert not origin_allowed(handshake(("origin", "https://example.com"), *behind_tls))


def daphne(*headers: tuple[str, str], port: int) -> dict[str, Any]:
    """A handshake as daphne gives it: no scheme in the scope, even over its own TLS."""
    scope = handshake(*headers)
    del scope["scheme"]
    scope["server"] = ("203.0.113.7", port)
    return scope


@pytest.mark.parametrize(
    ("origin", "host", "port", "expected"),
    [
        ("https://example.com", "example.com", 443, True),  # daphne's own TLS
        ("http://example.com", "example.com", 443, False),  # an http page of that https site
        ("http://example.com", "example.com", 80, True),
        ("https://example.com", "example.com", 80, False),
        ("http://example.com:8000", "example.com:8000", 8000, True),  # the port reached
        ("https://example.com:8443", "example.com:8443", 8443, True),
        ("http://example.com:8001", "example.com:8000", 8000, False),
        # Behind a proxy (the Host is not the port reached): http, unless the proxy says so.
        ("http://example.com", "example.com", 8000, True),
        ("https://example.com", "example.com", 8000, False),
    ],
)
def test_daphne_s_scopes_take_the_scheme_of_the_port_they_reached(
    origin: str, host: str, port: int, expected: bool
) -> None:
    assert origin_allowed(daphne(("origin", origin), ("host", host), port=port)) is expected


def test_two_host_headers_make_no_host() -> None:
    scope = handshake(
        ("origin", "http://example.com"), ("host", "example.com"), ("host", "a.example.com")
    )
    assert not origin_allowed(scope)


def test_a_refusal_is_logged_once_a_minute_with_the_origin_expected(
    caplog: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(origins, "refusals", SampledLog(origins.LOG_EVERY))
    caplog.set_level(logging.WARNING, logger="sessions_live.web.origins")
    for _ in range(3):
        assert not allowed("http://evil.example", "example.com", "wss")
    assert [r.getMessage() for r in caplog.records] == [
        "sessions_live: refused a WebSocket from origin 'http://evil.example'; this site's"
        " origin here is https://example.com (1 refused since the last line). A page of yours?"
        " Add it to CSRF_TRUSTED_ORIGINS, or set SECURE_PROXY_SSL_HEADER behind a TLS proxy."
    ]


def test_django_s_host_helpers_behave_as_the_origin_check_expects() -> None:
    """A canary on Django's undocumented helpers the check leans on, read as its CSRF check
    reads them."""
    assert split_domain_port("Example.com.:8000") == ("example.com", "8000")
    assert split_domain_port("[::1]:8000") == ("[::1]", "8000")
    assert split_domain_port("a,b") == ("", "")
    assert validate_host("sub.example.com", [".example.com"])
    assert not validate_host("example.org", [".example.com"])
    assert is_same_domain("www.example.net", ".example.net")
    assert not is_same_domain("www.example.net:8443", ".example.net")


def test_the_forwarded_host_counts_only_with_use_x_forwarded_host(settings: Any) -> None:
    scope = handshake(
        ("origin", "https://www.example.com"),
        ("host", "127.0.0.1:8000"),
        ("x-forwarded-host", "www.example.com"),
        scheme="wss",
    )
    assert not origin_allowed(scope)
    settings.USE_X_FORWARDED_HOST = True
    assert origin_allowed(scope)
    empty = handshake(
        ("origin", "https://www.example.com"),
        ("host", "www.example.com"),
        ("x-forwarded-host", ""),
        scheme="wss",
    )
    assert not origin_allowed(empty)  # an empty forwarded host is no host, as for Django


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://app.example.org", True),
        ("https://app.example.org:443", True),
        ("http://app.example.org", False),  # another scheme
        ("https://www.example.net", True),  # by the wildcard
        ("https://example.net", True),
        ("https://a.b.example.net", True),
        ("http://www.example.net", False),
        ("https://www.example.net:8443", False),  # Django's wildcard matches no other port
        ("https://example.org", False),
    ],
)
def test_csrf_trusted_origins_are_trusted_here_too(
    settings: Any, origin: str, expected: bool
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.org", "https://*.example.net"]
    assert allowed(origin, "example.com", "wss") is expected
