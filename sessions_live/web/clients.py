"""Who is on the other end: a request's address and user agent, a WebSocket scope's address."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from sessions_live.conf import get_settings
from sessions_live.store import USER_AGENT_MAX


def client_ip(peer: str | None, forwarded_for: str, trusted: tuple[str, ...]) -> str | None:
    """The client's address: the peer's, or, behind trusted proxies, from X-Forwarded-For.

    The header is read right to left, skipping trusted proxies, and the first address no
    trusted proxy vouches for is the client's; a header from an untrusted peer is ignored.
    """
    networks = [ipaddress.ip_network(entry, strict=False) for entry in trusted]

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not peer or not is_trusted(peer):
        return peer or None
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a forged or garbled hop: keep the address we know
    return hops[0] if hops else peer


def request_ip(request: HttpRequest) -> str | None:
    return client_ip(
        request.META.get("REMOTE_ADDR"),
        str(request.META.get("HTTP_X_FORWARDED_FOR", "")),
        get_settings().TRUSTED_PROXIES,
    )


def request_user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]


def _scope_header(scope: Mapping[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def scope_ip(scope: Mapping[str, Any]) -> str | None:
    client = scope.get("client")
    return client_ip(
        str(client[0]) if client else None,
        _scope_header(scope, b"x-forwarded-for"),
        get_settings().TRUSTED_PROXIES,
    )


def request_from_scope(scope: Mapping[str, Any]) -> HttpRequest:
    """An HttpRequest describing a WebSocket handshake, for signal receivers that expect one."""
    request = HttpRequest()
    request.path = request.path_info = str(scope.get("path", ""))
    request.method = "GET"
    ip = scope_ip(scope)
    if ip:
        request.META["REMOTE_ADDR"] = ip
    for key, value in scope.get("headers", ()):
        name = "HTTP_" + bytes(key).decode("latin-1").upper().replace("-", "_")
        request.META[name] = bytes(value).decode("latin-1")
    if "session" in scope:
        request.session = scope["session"]
    if "user" in scope:
        request.user = scope["user"]
    return request
