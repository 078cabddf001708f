"""Same-origin for real: a WebSocket handshake's ``Origin`` must be the site's own scheme, host
and port (or one of ``CSRF_TRUSTED_ORIGINS``), as Django's CSRF check requires of a form."""

from __future__ import annotations

from typing import Any

import pytest

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
    assert site_origin(scope) == Origin("http", "127.0.0.1", 8000)
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
    assert origin_allowed(handshake(("origin", "https://example.com"), ("host", "example.com"),
                                    scheme="wss"))  # fmt: skip


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
