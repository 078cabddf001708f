"""Who is on the other end: address and user agent of a request or a WebSocket scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from .store import USER_AGENT_MAX


def request_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def request_user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]


def _scope_header(scope: Mapping[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def scope_ip(scope: Mapping[str, Any]) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def scope_user_agent(scope: Mapping[str, Any]) -> str:
    return _scope_header(scope, b"user-agent")[:USER_AGENT_MAX]


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
