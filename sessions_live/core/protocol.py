"""One vocabulary for the WebSocket protocol: frame types, close codes, layer events.

The frames and close codes here are a public contract (docs/protocol.md): outside clients
depend on them. Parsing is pure, so every malformed input is tested without a socket.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, cast, get_args

from sessions_live.core.policy import ExpiryReason, is_number, is_seconds

#: Where the sockets are served (clients connect to "/" + the path).
TAB_SOCKET_PATH = "ws/sessions-live/"
DASHBOARD_SOCKET_PATH = "ws/sessions-live/dashboard/"

# Close codes (the 4xxx range is the application's own, RFC 6455 section 7.4.2).
CLOSE_NOT_AUTHENTICATED = 4401  # not signed in, or the session is over: do not reconnect
CLOSE_FORBIDDEN = 4403  # origin or permission refused
CLOSE_MALFORMED = 4400  # a frame that is not a JSON object
CLOSE_TOO_LARGE = 4413  # a frame over MAX_FRAME_BYTES
CLOSE_TOO_MANY = 4429  # more than MAX_FRAMES_PER_WINDOW frames in FRAME_WINDOW seconds
CLOSE_TOO_MANY_TABS = 4409  # the session or its user has MAX_TABS_PER_* tabs open already
CLOSE_SERVER_ERROR = 1011  # RFC 6455: the server cannot go on (the database is away)

MAX_FRAME_BYTES = 4096
MAX_FRAMES_PER_WINDOW = 60
FRAME_WINDOW = 10.0  # seconds

ClientFrameType = Literal["activity", "extend", "logout", "lease"]
CLIENT_FRAME_TYPES: frozenset[str] = frozenset(get_args(ClientFrameType))

# Error codes carried in `error` frames.
ERROR_MALFORMED = "malformed"
ERROR_UNKNOWN_TYPE = "unknown_type"
ERROR_INVALID_FIELD = "invalid_field"
ERROR_FORBIDDEN = "forbidden"
ERROR_NOT_FOUND = "not_found"
ERROR_TOO_MANY_TABS = "too_many_tabs"
ERROR_RATE_LIMITED = "rate_limited"

# Channel-layer event types (``sessions_live.x`` is handled by ``sessions_live_x``).
EVENT_ACTIVE = "sessions_live.active"
EVENT_EXPIRED = "sessions_live.expired"
EVENT_BROADCAST = "sessions_live.broadcast"

#: Characters in a message staff send to open tabs.
BROADCAST_MAX_CHARS = 500


class HelloFrame(TypedDict):
    type: Literal["hello"]
    warn_in: float
    expires_in: float
    warn_after: float
    expire_after: float
    activity_interval: float


class ActiveFrame(TypedDict):
    type: Literal["active"]
    warn_in: float
    expires_in: float


class WarningFrame(TypedDict):
    type: Literal["warning"]
    expires_in: float
    reason: ExpiryReason


class ExpiredFrame(TypedDict):
    type: Literal["expired"]
    #: An EndReason (sessions_live.core.vocabulary); a str, since one may come over the channel
    #: layer from a process of a newer release, with a reason this one does not know.
    reason: str
    redirect: str


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str


class BroadcastFrame(TypedDict):
    type: Literal["broadcast"]
    #: The message's id, the same in every tab it reaches (a page shows it once).
    id: str
    #: Staff's words, verbatim: plain text, never markup.
    text: str


ServerFrame = HelloFrame | ActiveFrame | WarningFrame | ExpiredFrame | ErrorFrame | BroadcastFrame


@dataclass(frozen=True, slots=True)
class ClientFrame:
    type: ClientFrameType
    idle: float | None = None  # `activity`: seconds since that input
    seconds: float | None = None  # `lease`: how long the page asks to keep the session


class FrameError(Exception):
    """A refused frame: ``close_code`` set means the socket is closed, else an error frame."""

    def __init__(self, code: str, message: str, close_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code

    def frame(self) -> ErrorFrame:
        return {"type": "error", "code": self.code, "message": self.message}


def decode_object(text: str | None, binary: bytes | None = None) -> dict[str, Any]:
    """A frame as a JSON object, or :class:`FrameError` with the close code that refuses it."""
    if binary is not None or text is None:
        raise FrameError(ERROR_MALFORMED, "Binary frames are not accepted.", CLOSE_MALFORMED)
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise FrameError(
            "too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.", CLOSE_TOO_LARGE
        )
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError(
            ERROR_MALFORMED, "A frame must be a JSON object.", CLOSE_MALFORMED
        ) from None
    if not isinstance(data, dict):
        raise FrameError(ERROR_MALFORMED, "A frame must be a JSON object.", CLOSE_MALFORMED)
    return data


def _unknown(frame_type: Any) -> FrameError:
    return FrameError(ERROR_UNKNOWN_TYPE, f"Unknown frame type {str(frame_type)[:40]!r}.")


def parse_client_frame(text: str | None, binary: bytes | None = None) -> ClientFrame:
    """Decode one frame from a tab, or raise :class:`FrameError` saying why not."""
    data = decode_object(text, binary)
    frame_type = data.get("type")
    # A type that is not a string (a list, an object) is unhashable: not a membership test.
    if not isinstance(frame_type, str) or frame_type not in CLIENT_FRAME_TYPES:
        raise _unknown(frame_type)
    if frame_type == "lease":
        seconds = data.get("seconds")
        if not is_seconds(seconds):
            raise FrameError(ERROR_INVALID_FIELD, "'seconds' must be a number above 0.")
        return ClientFrame(type="lease", seconds=float(seconds))
    if frame_type != "activity":
        return ClientFrame(type=cast(ClientFrameType, frame_type))
    idle = data.get("idle")
    if idle is not None and not is_number(idle):
        raise FrameError(ERROR_INVALID_FIELD, "'idle' must be a number of seconds.")
    return ClientFrame(type="activity", idle=None if idle is None else float(idle))


@dataclass(frozen=True, slots=True)
class DashboardFrame:
    type: Literal["end", "end_user"]
    target: str  # a row id for `end`, a user id for `end_user`


BroadcastTo = Literal["all", "user", "session"]


@dataclass(frozen=True, slots=True)
class BroadcastRequest:
    """A dashboard's ``broadcast``: ``text`` to every open tab, one user's or one session's."""

    to: BroadcastTo
    text: str
    target: str | None = None  # the user id for `user`, the row id for `session`


def parse_dashboard_frame(
    text: str | None, binary: bytes | None = None
) -> DashboardFrame | BroadcastRequest:
    """Decode one frame from a dashboard: ``end`` (``id``), ``end_user`` (``user_id``) or
    ``broadcast`` (``text``, ``to``, and ``user_id`` or ``id``)."""
    data = decode_object(text, binary)
    frame_type = data.get("type")
    if frame_type == "broadcast":
        return _broadcast(data)
    if frame_type == "end":
        field = "id"
    elif frame_type == "end_user":
        field = "user_id"
    else:
        raise _unknown(frame_type)
    return DashboardFrame(type=frame_type, target=_target(data, field))


#: Characters of a row or user id in a dashboard frame: a UUID, or a user key as long as
#: Django's own (a 64-digit integer, an email address as key); a longer one is refused, not cut.
MAX_ID_CHARS = 254


def _target(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise FrameError(ERROR_INVALID_FIELD, f"'{field}' must be a string or an integer.")
    target = str(value)
    if len(target) > MAX_ID_CHARS:
        raise FrameError(ERROR_INVALID_FIELD, f"'{field}' is no id (too long).")
    return target


def _broadcast(data: dict[str, Any]) -> BroadcastRequest:
    message = data.get("text")
    if not isinstance(message, str) or not message.strip():
        raise FrameError(ERROR_INVALID_FIELD, "'text' must be a message.")
    if len(message) > BROADCAST_MAX_CHARS:
        raise FrameError(
            ERROR_INVALID_FIELD, f"'text' is limited to {BROADCAST_MAX_CHARS} characters."
        )
    to = data.get("to", "all")
    if to == "all":
        return BroadcastRequest(to="all", text=message.strip())
    if to == "user":
        return BroadcastRequest(to="user", text=message.strip(), target=_target(data, "user_id"))
    if to == "session":
        return BroadcastRequest(to="session", text=message.strip(), target=_target(data, "id"))
    raise FrameError(ERROR_INVALID_FIELD, "'to' must be 'all', 'user' or 'session'.")


def encode(frame: ServerFrame) -> str:
    return json.dumps(frame, separators=(",", ":"))


class FrameRate:
    """Counts frames in fixed windows of ``window`` seconds on a monotonic clock."""

    def __init__(self, limit: int = MAX_FRAMES_PER_WINDOW, window: float = FRAME_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._window_start = -math.inf
        self._count = 0

    def allow(self, now: float) -> bool:
        """Count one frame at ``now``; False once the window holds more than ``limit``."""
        if now - self._window_start >= self.window:
            self._window_start, self._count = now, 0
        self._count += 1
        return self._count <= self.limit
