"""Who is on the other end: X-Forwarded-For only from trusted proxies, and user agents."""

from __future__ import annotations

from typing import Any

import pytest

from sessions_live import checks
from sessions_live.core.useragent import describe
from sessions_live.web.clients import client_ip

PROXIES = ("10.0.0.0/8", "127.0.0.1")


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", (), "203.0.113.9"),  # never trusted by default
        ("203.0.113.9", "198.51.100.1", PROXIES, "203.0.113.9"),  # peer is no trusted proxy
        ("10.0.0.2", "198.51.100.1", PROXIES, "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.7", PROXIES, "198.51.100.1"),  # spoof left
        ("10.0.0.2", "", PROXIES, "10.0.0.2"),
        ("10.0.0.2", "not-an-ip", PROXIES, "10.0.0.2"),
        ("127.0.0.1", "2001:db8::1", PROXIES, "2001:db8::1"),
        (None, "198.51.100.1", PROXIES, None),
    ],
)
def test_client_ip(
    peer: str | None, header: str, trusted: tuple[str, ...], expected: str | None
) -> None:
    assert client_ip(peer, header, trusted) == expected


def test_bad_trusted_proxy_is_e009(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"TRUSTED_PROXIES": ["10.0.0.0/8", "proxy.local"]}
    assert [m.id for m in checks.check_settings()] == ["sessions_live.E009"]


def test_user_agent_is_described_for_people() -> None:
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    assert describe(firefox) == ("Firefox 128", "Windows 10")
    assert describe("<img src=x onerror=alert(1)>") == ("", "")
    assert describe("") == ("", "")
