"""What a page does on the network, from the Chrome DevTools Protocol's Network domain: its
HTTP requests and WebSocket frames, and their bytes as CDP estimates them."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import BrowserContext, Page


def ws_frame_bytes(payload: int, masked: bool) -> int:
    """A WebSocket frame's size: payload, 2-byte header (4 from 126 bytes on, 10 from 64 KiB),
    and the 4-byte mask of frames a browser sends (RFC 6455, 5.2)."""
    header = 2 if payload < 126 else 4 if payload < 65536 else 10
    return payload + header + (4 if masked else 0)


def payload_length(response: dict[str, Any]) -> int:
    data = str(response.get("payloadData", ""))
    if response.get("opcode") == 2:  # binary frames arrive base64-encoded
        return len(base64.b64decode(data))
    return len(data.encode())


def request_head_bytes(method: str, url: str, headers: dict[str, str]) -> int:
    """An HTTP/1.1 request line and headers as sent, rebuilt from what CDP reports."""
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
    line = f"{method} {path} HTTP/1.1\r\n"
    return len(line) + sum(len(k) + len(str(v)) + 4 for k, v in headers.items()) + 2


@dataclass
class TabTraffic:
    """What CDP saw the tab do; only what happens after :meth:`begin` counts."""

    begun: bool = False
    frozen: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)  # (requestId, what)
    counted: set[str] = field(default_factory=set)  # requestIds sent in the window
    cached: set[str] = field(default_factory=set)  # ... answered by the browser's cache
    heads: dict[str, int] = field(default_factory=dict)  # requestId -> request head bytes
    bodies: int = 0
    received: int = 0  # HTTP bytes received (encodedDataLength: headers and body)
    frames_sent: list[int] = field(default_factory=list)
    frames_received: list[int] = field(default_factory=list)
    handshakes: int = 0
    started: float = 0.0

    def begin(self) -> None:
        self.begun, self.started = True, time.monotonic()

    @property
    def counting(self) -> bool:
        return self.begun and not self.frozen

    def listen(self, page: Page, context: BrowserContext) -> None:
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "Network.requestWillBeSent": self._request,
            "Network.requestWillBeSentExtraInfo": self._request_head,
            "Network.loadingFinished": self._finished,
            "Network.requestServedFromCache": self._from_cache,
            "Network.responseReceived": self._response,
            "Network.webSocketFrameSent": lambda event: self._frame(event, self.frames_sent),
            "Network.webSocketFrameReceived": lambda event: self._frame(
                event, self.frames_received
            ),
            "Network.webSocketWillSendHandshakeRequest": self._handshake,
        }
        for name, handler in handlers.items():
            session.on(name, handler)

    def _request(self, event: dict[str, Any]) -> None:
        request = event["request"]
        if not self.counting or not request["url"].startswith("http"):
            return
        if redirect := event.get("redirectResponse"):  # the same requestId, one hop on
            self.received += int(redirect.get("encodedDataLength", 0))
        self.counted.add(event["requestId"])
        offset = time.monotonic() - self.started
        what = f"+{offset:.1f}s {request['method']} {request['url'][:100]}"
        self.requests.append((event["requestId"], what))
        self.bodies += len(str(request.get("postData", "")).encode())

    def _request_head(self, event: dict[str, Any]) -> None:
        # Sent before or after requestWillBeSent; added up for the counted ids at the end. The
        # method and URL are not in it: "GET" and the id stand in (a few bytes off).
        key = event["requestId"]
        self.heads[key] = self.heads.get(key, 0) + request_head_bytes(
            "GET", "http://h/", event.get("headers", {})
        )

    def _finished(self, event: dict[str, Any]) -> None:
        if self.counting and event["requestId"] in self.counted:
            self.received += int(event.get("encodedDataLength", 0))

    def _from_cache(self, event: dict[str, Any]) -> None:
        self.cached.add(event["requestId"])

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        if any(response.get(key) for key in ("fromDiskCache", "fromPrefetchCache")):
            self.cached.add(event["requestId"])

    def _frame(self, event: dict[str, Any], frames: list[int]) -> None:
        if self.counting:
            frames.append(payload_length(event["response"]))

    def _handshake(self, event: dict[str, Any]) -> None:
        if self.counting:
            self.handshakes += 1

    def summary(self) -> dict[str, Any]:
        self.frozen = True
        head_bytes = sum(size for key, size in self.heads.items() if key in self.counted)
        sent = [what for key, what in self.requests if key not in self.cached]
        return {
            "http_requests": len(sent),
            "cache_hits": len(self.requests) - len(sent),
            "ws_frames": len(self.frames_sent) + len(self.frames_received),
            "ws_frames_sent": len(self.frames_sent),
            "ws_frames_received": len(self.frames_received),
            "ws_handshakes": self.handshakes,
            "cdp_bytes_up": head_bytes
            + self.bodies
            + sum(ws_frame_bytes(size, True) for size in self.frames_sent),
            "cdp_bytes_down": self.received
            + sum(ws_frame_bytes(size, False) for size in self.frames_received),
            "requests": sent[:30],
        }
