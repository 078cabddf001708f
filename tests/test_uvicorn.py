"""The demo under uvicorn as docs/deploying.md runs it, with two workers and without daphne.

The documented command is read from the docs, its proxy address swapped for this test's own
(the test client plays the proxy), and run with ``--workers 2`` in an environment where daphne
cannot be imported (a ``sitecustomize`` puts ``None`` in ``sys.modules["daphne"]``), so the app,
the demo's settings and ``manage.py`` are shown to need no daphne at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .servers import ROOT, SERVER_SITE, Demo, manage, run_demo
from .web import Browser, close_code, frame_of, next_frame

pytestmark = pytest.mark.slow

DEPLOYING = (ROOT / "docs" / "deploying.md").read_text()
#: What the test client stands for: the proxy, the client it saw, and what that client forged.
PROXY, CLIENT, FORGED = "127.0.0.1", "203.0.113.9", "198.51.100.66"
BLOCK_DAPHNE = (
    'import sys\nsys.modules["daphne"] = None  # "import daphne" fails, find_spec is None\n'
)


def documented_command() -> list[str]:
    """The first ``sh`` block of the "Serving under uvicorn" section, as argv."""
    section = DEPLOYING[DEPLOYING.index("Serving under uvicorn") :]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found, "docs/deploying.md: no sh block under 'Serving under uvicorn'"
    return shlex.split(found.group(1).replace("\\\n", " "))


def served_options(command: list[str]) -> tuple[str, ...]:
    """The command's own flags, without the bind flags and the application (the test picks
    those), trusting proxy headers from the test client instead of the documented proxy."""
    assert command[0] == "uvicorn"
    assert command[-1] == "project.asgi:application"
    options: list[str] = []
    flags = iter(command[1:-1])
    for flag in flags:
        if flag in ("--host", "--port"):
            next(flags)
        elif flag == "--forwarded-allow-ips":
            options += [flag, PROXY]
            next(flags)
        else:
            options.append(flag)
    return tuple(options)


def test_the_documented_command_matches_the_dockerfiles_daphne() -> None:
    command = documented_command()

    def value(flag: str) -> str:
        return command[command.index(flag) + 1]

    assert value("--lifespan") == "off"
    assert value("--ws") == "websockets-sansio"  # what the suite runs uvicorn with
    assert "--proxy-headers" in command
    assert (value("--ws-ping-interval"), value("--ws-ping-timeout")) == ("20", "30")
    assert value("--ws-max-size") == "65536"
    assert value("--ws-per-message-deflate") == "false"
    assert int(value("--timeout-graceful-shutdown")) < 10  # Docker's kill timeout


@pytest.fixture(scope="module")
def deployed(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Demo, Path]]:
    """The demo under the documented command with two workers, and its SQLite database."""
    folder = tmp_path_factory.mktemp("uvicorn-deployed")
    blocker = folder / "no-daphne"
    blocker.mkdir()
    # One sitecustomize is loaded: this one blocks daphne, then does what the servers' does.
    shared = (SERVER_SITE / "sitecustomize.py").read_text()
    (blocker / "sitecustomize.py").write_text(BLOCK_DAPHNE + "\n" + shared)
    options = (*served_options(documented_command()), "--workers", "2")
    with run_demo(
        folder / "var",
        options,
        server="uvicorn",
        REDIS_URL=redis_url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(blocker), os.environ.get("PYTHONPATH")])),
        SESSIONS_LIVE_WARN_AFTER="300",
        SESSIONS_LIVE_EXPIRE_AFTER="600",
    ) as demo:
        # The supervisor listens at once; its workers answer once they have loaded Django.
        deadline = time.monotonic() + 60
        while not answers(demo):
            assert time.monotonic() < deadline, demo.log.read_text()
            time.sleep(0.2)
        yield demo, folder / "var" / "db.sqlite3"


def answers(demo: Demo) -> bool:
    try:
        return Browser(demo).get("/healthz")[0] == 200
    except OSError:  # not accepted within the opener's timeout yet
        return False


def test_it_runs_where_daphne_cannot_be_imported(deployed: tuple[Demo, Path]) -> None:
    demo, _ = deployed
    code = (
        "import importlib.util; from django.conf import settings; "
        "print(importlib.util.find_spec('daphne'), 'daphne' in settings.INSTALLED_APPS)"
    )
    assert manage(demo.process.env, "shell", "-c", code).split()[-2:] == ["None", "False"]
    status, _, body = Browser(demo).get("/healthz")
    assert (status, body) == (200, "ok\n")


@contextlib.asynccontextmanager
async def proxied_tab(browser: Browser) -> AsyncIterator[ClientConnection]:
    """A tab's socket as the proxy passes it on: the proxy appended the address it saw."""
    forwarded = {"X-Forwarded-For": f"{FORGED}, {CLIENT}"}
    async with browser.socket(None, None, extra_headers=forwarded) as ws:
        yield ws


async def test_the_dashboard_shows_the_address_the_proxy_saw(deployed: tuple[Demo, Path]) -> None:
    demo, _ = deployed
    await asyncio.to_thread(demo.create_user, "proxied", "proxied-password")
    user = Browser(demo)
    user.opener.addheaders += [("X-Forwarded-For", f"{FORGED}, {CLIENT}")]
    await asyncio.to_thread(user.sign_in, "/", "proxied", "proxied-password")
    staff = Browser(demo)
    await asyncio.to_thread(staff.sign_in)
    async with proxied_tab(user) as tab, staff.dashboard() as board:
        await frame_of(tab, "hello")
        row = await row_of(board, "proxied")
        assert row["ip"] == CLIENT


async def row_of(board: ClientConnection, username: str, timeout: float = 10) -> dict[str, Any]:
    """The dashboard's row for ``username``'s session, from the snapshot or the changes."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await next_frame(board, max(0.01, deadline - time.monotonic()))
        for row in frame.get("sessions", ()):
            if row["user"]["username"] == username:
                return dict(row)


async def test_a_message_over_the_limit_closes_only_its_socket(
    deployed: tuple[Demo, Path],
) -> None:
    demo, _ = deployed
    browser = Browser(demo)
    await asyncio.to_thread(browser.sign_in)
    async with browser.tab() as sibling:
        await frame_of(sibling, "hello")
        async with browser.tab() as ws:  # over sessions-live's 4 KiB: refused by the app
            await frame_of(ws, "hello")
            await ws.send(json.dumps({"type": "activity", "pad": "x" * 5000}))
            assert (await next_frame(ws))["code"] == "too_large"
            assert await close_code(ws) == 4413
        async with browser.tab() as ws:  # over --ws-max-size: closed by uvicorn, properly
            await frame_of(ws, "hello")
            with contextlib.suppress(ConnectionClosed):
                await ws.send("x" * 65537)
            assert await close_code(ws) == 1009
        await sibling.send(json.dumps({"type": "extend"}))
        assert (await frame_of(sibling, "active"))["expires_in"] > 590
    assert "Traceback" not in demo.log.read_text()


def processes_holding_tabs(database: Path, username: str) -> int:
    """How many server processes hold tabs of ``username``'s sessions (LiveTab rows)."""
    with contextlib.closing(sqlite3.connect(database, timeout=20)) as connection:
        (count,) = connection.execute(
            "SELECT COUNT(DISTINCT tab.process) FROM sessions_live_livetab tab"
            " JOIN sessions_live_livesession live ON tab.session_id = live.id"
            " JOIN auth_user user ON live.user_id = user.id WHERE user.username = ?",
            (username,),
        ).fetchone()
    return int(count)


async def test_tabs_on_two_workers_hear_each_other(deployed: tuple[Demo, Path]) -> None:
    """Each worker is a process of its own (its own presence row); an extend in one tab
    reaches the tabs the other worker holds, through Redis."""
    demo, database = deployed
    await asyncio.to_thread(demo.create_user, "spread", "spread-password")
    browser = Browser(demo)
    await asyncio.to_thread(browser.sign_in, "/", "spread", "spread-password")
    tabs: list[ClientConnection] = []
    try:
        deadline = time.monotonic() + 60
        while processes_holding_tabs(database, "spread") < 2:  # the kernel picks the worker
            assert time.monotonic() < deadline, f"{len(tabs)} tabs, all on one worker"
            opened = await asyncio.gather(*(browser.tab().__aenter__() for _ in range(5)))
            for ws in opened:
                await frame_of(ws, "hello")
            tabs += opened
            await asyncio.sleep(0.5)  # their rows are written as they open
        await tabs[0].send(json.dumps({"type": "extend"}))
        frames = await asyncio.gather(*(frame_of(ws, "active", timeout=10) for ws in tabs))
        assert [frame["type"] for frame in frames] == ["active"] * len(tabs)
    finally:
        await asyncio.gather(*(ws.close() for ws in tabs))
