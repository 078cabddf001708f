"""What a browser does, without a browser: HTTP with a cookie jar, and WebSocket tabs."""

from __future__ import annotations

import asyncio
import json
import re
import time
from http.cookiejar import CookieJar
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from .servers import Demo


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """A cookie jar and an opener: what a browser keeps between requests."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), NoRedirect())
        # A navigation, as a browser sends it (a refused page redirects; an API call gets 401).
        self.opener.addheaders = [("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")]
        self.username = ""  # who signed in

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)

    @property
    def session_key(self) -> str:
        """The Django session key the server set (empty before signing in)."""
        return next((cookie.value or "" for cookie in self.jar if cookie.name == "sessionid"), "")

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        try:
            response = self.opener.open(self.demo.url + path, timeout=10)
        except HTTPError as redirect:  # 3xx and 4xx arrive as errors without redirects
            return redirect.code, dict(redirect.headers), redirect.read().decode()
        return response.status, dict(response.headers), response.read().decode()

    def post(
        self, path: str, fields: dict[str, str], form_page: str | None = None
    ) -> tuple[int, dict[str, str]]:
        """Submit a form the way a browser does: with the CSRF token of the page it is on."""
        _, _, page = self.get(form_page or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page
        request = Request(
            self.demo.url + path,
            data=urlencode({**fields, "csrfmiddlewaretoken": token.group(1)}).encode(),
        )
        try:
            response = self.opener.open(request, timeout=10)
        except HTTPError as redirect:
            return redirect.code, dict(redirect.headers)
        return response.status, dict(response.headers)

    def sign_in(
        self, next_path: str = "/", username: str | None = None, password: str | None = None
    ) -> None:
        """Sign in as the demo's user, or as ``username`` with ``password``."""
        status, headers = self.post(
            f"/login?next={next_path}",
            {
                "username": username or self.demo.username,
                "password": password or self.demo.password,
                "next": next_path,
            },
        )
        assert (status, headers["Location"]) == (302, next_path)
        self.username = username or self.demo.username

    def tab(self, origin: str | None = None, on: Demo | None = None, pings: bool = True) -> Any:
        """A tab's socket, to this browser's server or, with ``on``, another process of it;
        without ``pings``, one that sends no WebSocket pings, as a browser sends none."""
        return self.socket(origin, on, ping_interval=20 if pings else None)

    def dashboard(self, on: Demo | None = None) -> Any:
        """The live-sessions dashboard's socket."""
        return self.socket(None, on, path="dashboard/")

    def socket(
        self,
        origin: str | None,
        on: Demo | None,
        path: str = "",
        extra_headers: dict[str, str] | None = None,
        ping_interval: float | None = 20,
    ) -> Any:
        server = on or self.demo
        return connect(
            server.ws_url + path,
            origin=origin or server.url,  # type: ignore[arg-type]
            additional_headers={"Cookie": self.cookie_header, **(extra_headers or {})},
            open_timeout=10,
            ping_interval=ping_interval,
        )


async def next_frame(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return data


async def close_code(ws: ClientConnection, timeout: float = 5) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), timeout)
    return closed.value.rcvd.code if closed.value.rcvd else None


async def frame_of(ws: ClientConnection, kind: str, timeout: float = 5) -> dict[str, Any]:
    """The next frame of type ``kind``, skipping others (e.g. ``warning`` repeated)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await next_frame(ws, max(0.01, deadline - time.monotonic()))
        if frame["type"] == kind:
            return frame
