"""A corpus of bad frames against both sockets of a real daphne process.

Each frame gets an ``error`` frame or a documented close code; a sibling tab of the same
session and the server carry on; and the server's memory after many rounds is within 10% of
what it was after the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidMessage

from .servers import Demo, demo_fixture
from .web import Browser, close_code, frame_of, next_frame

pytestmark = pytest.mark.slow

demo = demo_fixture(SESSIONS_LIVE_WARN_AFTER="300", SESSIONS_LIVE_EXPIRE_AFTER="600")

#: Close codes the README documents; a frame over daphne's --websocket-max-message-size
#: (1 MiB unless set) is cut by daphne with no close frame at all (1006 at the client).
DOCUMENTED_CLOSES = {4400, 4413, 4429}
ROUNDS = 4

CORPUS: dict[str, str | bytes] = {
    "malformed JSON": '{"type": "activity"',
    "binary": b"\x00\xff\x13\x37",
    "empty": "",
    "nested deep": "[" * 2000 + "]" * 2000,
    "nested deep object": '{"a":' * 1000 + "1" + "}" * 1000,
    "64 KiB": json.dumps({"type": "activity", "pad": "x" * 65536}),
    "2 MiB": "x" * (2 * 1024 * 1024),
    "unknown type": '{"type": "become_admin"}',
    "type not a string": '{"type": ["activity"]}',
    "idle not a number": '{"type": "activity", "idle": "forever"}',
    "idle infinite": '{"type": "activity", "idle": 1e999}',
    "dashboard end without id": '{"type": "end"}',
    "dashboard end with a number": '{"type": "end", "id": 12}',
    "not an object": "[1, 2, 3]",
    "dashboard end_user beyond any integer": '{"type": "end_user", "user_id": ' + "9" * 64 + "}",
    "dashboard end_user negative": '{"type": "end_user", "user_id": -1}',
    "dashboard end_user a fraction": '{"type": "end_user", "user_id": 1.5}',
    "dashboard end with 10,000 ids": json.dumps({"type": "end", "id": list(range(10_000))}),
}


Outcome = tuple[list[str], int | None]  # error codes sent back, close code (None if open)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def answer(ws: ClientConnection) -> Outcome:
    """The error codes sent back, and the close code if the socket was closed (1006 when the
    connection was dropped without a close frame)."""
    errors: list[str] = []
    try:
        while True:
            frame = await next_frame(ws, timeout=0.3 if errors else 2)
            if frame["type"] == "error":
                errors.append(frame["code"])
    except TimeoutError:
        return errors, None
    except ConnectionClosed as closed:
        return errors, closed.rcvd.code if closed.rcvd else 1006


async def throw(browser: Browser, dashboard: bool, payload: str | bytes) -> Outcome:
    ws = await (browser.dashboard() if dashboard else browser.tab())
    try:
        await next_frame(ws)  # hello or snapshot
        with contextlib.suppress(ConnectionClosed):
            await ws.send(payload)
        return await answer(ws)
    finally:
        with contextlib.suppress(ConnectionClosed, OSError):
            await ws.close()


async def flood(browser: Browser, dashboard: bool) -> Outcome:
    ws = await (browser.dashboard() if dashboard else browser.tab())
    try:
        await next_frame(ws)
        with contextlib.suppress(ConnectionClosed):
            for _ in range(1000):
                await ws.send('{"type": "activity", "idle": 0}')
        return await answer(ws)
    finally:
        with contextlib.suppress(ConnectionClosed, OSError):
            await ws.close()


@pytest.fixture
def staff(demo: Demo) -> Browser:
    browser = Browser(demo)
    browser.sign_in()
    return browser


async def run_corpus(
    staff: Browser, outcomes: dict[tuple[str, bool], tuple[list[str], int | None]]
) -> None:
    for dashboard in (False, True):
        for name, payload in CORPUS.items():
            outcomes[(name, dashboard)] = await throw(staff, dashboard, payload)
        outcomes[("1000 frames in a second", dashboard)] = await flood(staff, dashboard)


async def test_bad_frames_are_answered_and_nothing_else_suffers(demo: Demo, staff: Browser) -> None:
    sibling_session = Browser(demo)
    sibling_session.sign_in()
    async with staff.tab() as sibling, sibling_session.tab() as other:
        await frame_of(sibling, "hello")
        await frame_of(other, "hello")

        outcomes: dict[tuple[str, bool], Outcome] = {}
        await run_corpus(staff, outcomes)  # the first round warms caches and pools
        pid = demo.process.process.pid  # type: ignore[union-attr]
        before = rss_kib(pid)
        for _ in range(ROUNDS):
            await run_corpus(staff, outcomes)
        await asyncio.sleep(1)
        after = rss_kib(pid)

        for dashboard in (False, True):
            assert outcomes.pop(("2 MiB", dashboard)) == ([], 1006)
        for (name, dashboard), (errors, close) in outcomes.items():
            where = f"{name} on the {'dashboard' if dashboard else 'tab'} socket"
            assert errors or close in DOCUMENTED_CLOSES, f"{where}: no answer"
            assert close is None or close in DOCUMENTED_CLOSES, f"{where}: closed {close}"
        assert outcomes[("unknown type", False)] == (["unknown_type"], None)
        assert outcomes[("idle not a number", False)] == (["invalid_field"], None)
        assert outcomes[("binary", False)][1] == 4400
        assert outcomes[("64 KiB", False)] == (["too_large"], 4413)
        assert outcomes[("type not a string", False)] == (["unknown_type"], None)
        assert outcomes[("1000 frames in a second", False)][1] == 4429
        assert outcomes[("1000 frames in a second", True)][1] == 4429
        assert outcomes[("dashboard end_user beyond any integer", True)] == (["not_found"], None)
        assert outcomes[("dashboard end_user negative", True)] == (["not_found"], None)
        assert outcomes[("dashboard end_user a fraction", True)] == (["invalid_field"], None)
        assert outcomes[("dashboard end with 10,000 ids", True)] == (["too_large"], 4413)

        # The sibling tab of the same session, and another session's, carry on.
        await sibling.send('{"type": "extend"}')
        assert (await frame_of(sibling, "active"))["expires_in"] > 590
        await other.send('{"type": "extend"}')
        await frame_of(other, "active")
        assert staff.get("/healthz")[0] == 200
        assert after <= before * 1.10, f"RSS grew from {before} KiB to {after} KiB"
        assert "Traceback" not in demo.log.read_text()


async def test_oversized_and_odd_headers_are_refused_and_the_process_carries_on(
    demo: Demo, staff: Browser
) -> None:
    """A 10 KB session id is no session (4401); header bytes that are not UTF-8 change
    nothing; a 16 KB Cookie is over daphne's header limit (Twisted's 16 KiB), where daphne
    drops the connection before any application code runs (docs/deploying.md: the proxy
    answers it). None of them ends the session, logs a traceback, or stops the next tab."""
    async with staff.tab() as tab:
        await frame_of(tab, "hello")
        headers = {"Cookie": "sessionid=" + "a" * 10240}
        async with connect(demo.ws_url, origin=demo.url, additional_headers=headers) as ws:
            assert await close_code(ws, 10) == 4401
        odd = {"Cookie": staff.cookie_header, "X-Odd": "caf\xe9\xff"}  # latin-1, not UTF-8
        async with connect(demo.ws_url, origin=demo.url, additional_headers=odd) as ws:
            assert (await next_frame(ws, 10))["type"] == "hello"
        big = {"Cookie": staff.cookie_header + "; pad=" + "x" * 16384}
        with pytest.raises((InvalidMessage, ConnectionClosed, OSError)):
            async with connect(demo.ws_url, origin=demo.url, additional_headers=big) as ws:
                await next_frame(ws, 10)
        await tab.send('{"type": "extend"}')
        assert (await frame_of(tab, "active"))["expires_in"] > 590
    async with staff.tab() as again:
        await frame_of(again, "hello")
    assert "Traceback" not in demo.log.read_text()
