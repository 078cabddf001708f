"""Dashboards as WebSocket clients: what reaches one under the churn, against the changed
fields alone, and daphne's CPU with 0, 1 and 10 of them connected."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.servers import Demo

from .harness import cpu_seconds, tree_cpu

PAYLOAD_REFUSED = re.compile(r"message with size (\d+) exceeding payload limit of (\d+)")
#: Fields of a row that change with the clock alone (sessions_live.dashboard.TICKING).
TICKING = {"idle_for", "warn_in", "expires_in"}


@dataclass
class Board:
    ws: ClientConnection
    rows: dict[str, dict[str, Any]]
    frames: int = 0
    bytes: int = 0
    rows_sent: int = 0
    floor_bytes: int = 0  # the changed fields alone
    counting: bool = False
    snapshot_bytes: int = 0

    async def follow(self) -> None:
        try:
            async for message in self.ws:
                self.take(str(message))
        except Exception:
            return

    def take(self, message: str) -> None:
        frame = json.loads(message)
        if frame.get("type") != "changes":
            return
        for row in frame.get("sessions", []):
            old = self.rows.get(row["id"], {})
            changed = {
                key: value
                for key, value in row.items()
                if key not in TICKING and old.get(key) != value
            }
            self.rows[row["id"]] = row
            if self.counting:
                self.rows_sent += 1
                self.floor_bytes += len(json.dumps({"id": row["id"], **changed}))
        if self.counting:
            self.frames += 1
            self.bytes += len(message.encode())

    def reset(self) -> None:
        self.frames = self.bytes = self.rows_sent = self.floor_bytes = 0


async def open_board(demo: Demo, cookie: str) -> Board:
    ws = await connect(
        demo.ws_url + "dashboard/",
        origin=demo.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        open_timeout=60,
        max_size=None,  # a snapshot of 5,000 rows is megabytes
        max_queue=None,
    )
    first = str(await asyncio.wait_for(ws.recv(), 120))
    snapshot = json.loads(first)
    if snapshot.get("type") != "snapshot":
        raise RuntimeError(f"the dashboard answered {str(snapshot)[:200]}")
    board = Board(ws, {row["id"]: row for row in snapshot["sessions"]})
    board.snapshot_bytes = len(first.encode())
    return board


async def churn_windows(
    demo: Demo,
    cookie: str,
    postmaster: int,
    *,
    board_counts: tuple[int, ...],
    settle: float,
    seconds: float,
) -> dict[str, Any]:
    """Daphne's CPU over a churn window of ``seconds`` with each of ``board_counts`` dashboards
    (0, 1 and 10: kept connected between windows, the snapshots settled for ``settle`` seconds
    before each), and what reached the first dashboard."""
    assert demo.process.process is not None
    pid = demo.process.process.pid
    boards: list[Board] = []
    tasks: list[asyncio.Task[None]] = []
    windows: dict[str, Any] = {}
    try:
        for count in board_counts:
            while len(boards) < count:
                board = await open_board(demo, cookie)
                boards.append(board)
                tasks.append(asyncio.get_running_loop().create_task(board.follow()))
            await asyncio.sleep(settle)  # the snapshots sent and handled
            for board in boards:
                board.reset()
                board.counting = True
            cpu, pg, wall = cpu_seconds(pid), tree_cpu(postmaster), time.monotonic()
            await asyncio.sleep(seconds)
            elapsed = time.monotonic() - wall
            cpu, pg = cpu_seconds(pid) - cpu, tree_cpu(postmaster) - pg
            for board in boards:
                board.counting = False
            entry: dict[str, Any] = {
                "dashboards": count,
                "seconds": round(elapsed, 2),
                "daphne_cpu_percent": round(cpu / elapsed * 100, 1),
                "postgres_cpu_percent": round(pg / elapsed * 100, 1),
            }
            if boards:
                first = boards[0]
                entry |= {
                    "frames_per_s": round(first.frames / elapsed, 2),
                    "bytes_per_s": round(first.bytes / elapsed),
                    "rows_per_s": round(first.rows_sent / elapsed, 1),
                    "floor_bytes_per_s": round(first.floor_bytes / elapsed),
                    "bytes_per_s_all_boards": [round(b.bytes / elapsed) for b in boards],
                }
            windows[str(count)] = entry
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(board.ws.close() for board in boards), return_exceptions=True)
    return windows


async def probe(demo: Demo, cookie: str) -> dict[str, Any]:
    """Whether daphne, as the demo runs it, sends the snapshot at all: it refuses to send a
    message over its ``websocket_max_message_size`` (1 MiB by default) and closes with 1011."""
    started = time.monotonic()
    try:
        board = await open_board(demo, cookie)
    except ConnectionClosed as closed:
        refused = PAYLOAD_REFUSED.findall(demo.log.read_text(errors="replace"))
        return {
            "snapshot_delivered": False,
            "close_code": closed.rcvd.code if closed.rcvd else None,
            "snapshot_bytes": int(refused[-1][0]) if refused else None,
            "daphne_limit_bytes": int(refused[-1][1]) if refused else None,
        }
    await board.ws.close()
    return {
        "snapshot_delivered": True,
        "snapshot_s": round(time.monotonic() - started, 2),
        "snapshot_bytes": board.snapshot_bytes,
    }
