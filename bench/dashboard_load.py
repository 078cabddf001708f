"""Benchmark 6, dashboard: 5,000 live sessions on the admin's live-sessions dashboard.

5,000 signed-in sessions (quick: 100), each with one open tab, are made in the demo's
PostgreSQL database (bench/seeding.py: users, Django sessions, ``LiveSession`` and ``LiveTab``
rows, the tabs held by a process row whose heartbeat is an hour ahead), not by sign-ins. Then:

- time to first full paint: the demo's staff user opens the dashboard in headless Chromium;
  from the navigation's start to the first animation frame after every row is in the table
  (an init script watches the table each frame), with the snapshot frame's arrival and size;
- churn: a separate process calls the store's own functions, 100 sessions a second (quick:
  40): 90% of them ``store.touch``, 5% ``store.claim_end`` (ended by staff), 5% ``store.start``
  (a new session of a seeded user), as many tabs and requests of a real site would;
- under that churn, what reaches one dashboard socket (a websockets client with the staff's
  cookie): frames and bytes per second, and, as the floor, the bytes of the changed fields
  alone (each changed row's id and the fields that differ from what the dashboard had);
- CPU per connected dashboard: daphne's (and PostgreSQL's) CPU over the same churn with 0, 1
  and 10 dashboards connected, the difference divided; the snapshot each sends on connecting
  is left out of those windows;
- the browser's cost of following the churn: Chrome's main-thread task time per second
  (DevTools ``Performance.getMetrics``), the page open on the dashboard under the churn.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Browser, sync_playwright
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.postgres import PrivateCluster, private_server
from tests.servers import ROOT, Demo, DemoProcess, free_port

from .harness import Context, cpu_seconds, summary_ms
from .idle_cost import CHROMIUM_ARGS, sign_in
from .seeding import seed
from .storm import tree_cpu

T = TypeVar("T")
#: daphne's --websocket-max-message-size for the measurements (its default is 1 MiB).
ROOMY_MESSAGE_BYTES = 64 * 1024 * 1024
PAYLOAD_REFUSED = re.compile(r"message with size (\d+) exceeding payload limit of (\d+)")
BOARD = "/admin/sessions_live/livesession/"
WARN_AFTER, EXPIRE_AFTER = 3000.0, 3600.0  # nobody warns or expires during the run
#: The share of churned sessions ended and started (the rest are touched).
END_SHARE = START_SHARE = 0.05
#: Fields of a row that change with the clock alone (sessions_live.dashboard.TICKING).
TICKING = {"idle_for", "warn_in", "expires_in"}


@dataclass(frozen=True)
class Size:
    sessions: int
    churn: float  # sessions touched, ended or started per second
    window: float  # seconds of each churn measurement
    paints: int
    settle: float  # seconds for snapshots to be sent and handled before a window
    board_counts: tuple[int, ...] = (0, 1, 10)


QUICK = Size(100, 40.0, 0.5, 1, 0.5)
FULL = Size(5000, 100.0, 10.0, 3, 2.0)

#: Run in the page before its own scripts: timestamps of the dashboard socket's frames, and
#: of the first animation frame after the table holds every row (``window.__board.full``).
WATCH_PAGE = """
(() => {
  const board = { frames: [], rowsAt: null, full: null, want: WANTED };
  window.__board = board;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      if (String(url).includes("dashboard")) {
        this.addEventListener("message", (event) =>
          board.frames.push([performance.now(), String(event.data).length]));
      }
    }
  };
  function look() {
    const rows = document.querySelectorAll("tbody[data-rows] tr").length;
    if (rows >= board.want) {
      board.rowsAt = performance.now();
      requestAnimationFrame(() => { board.full = performance.now(); });  // painted once
      return;
    }
    requestAnimationFrame(look);
  }
  requestAnimationFrame(look);
})();
"""
PAINTED = "window.__board && window.__board.full !== null"
NAVIGATION = """(() => {
  const entry = performance.getEntriesByType("navigation")[0];
  return { response_end: entry.responseEnd, dom_content_loaded: entry.domContentLoadedEventEnd };
})()"""


# The churn, in a process of its own -------------------------------------------------------


def _churn_main() -> None:  # pragma: no cover - runs in a subprocess with the demo's settings
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from sessions_live import store
    from sessions_live.models import EndReason

    plan = json.loads(Path(os.environ["CHURN_PLAN"]).read_text())
    stop = Path(os.environ["CHURN_STOP"])
    rate = float(os.environ["CHURN_RATE"])
    live: list[str] = list(plan["ids"])
    users = list(get_user_model().objects.filter(pk__in=plan["users"][:200]))
    chooser = random.Random(6)
    counts = {"touch": 0, "end": 0, "start": 0}
    tick, started = 0.1, time.monotonic()
    done = 0
    while not stop.exists():
        due = started + done / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, tick))
            continue
        now = time.time()
        draw = chooser.random()
        if draw < END_SHARE and len(live) > 1:
            victim = live.pop(chooser.randrange(len(live)))
            store.claim_end(uuid.UUID(victim), EndReason.TERMINATED, now)
            counts["end"] += 1
        elif draw < END_SHARE + START_SHARE:
            user = chooser.choice(users)
            fresh = store.start(
                secrets.token_hex(16),
                user,
                ip="10.255.0.1",
                user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                now=now,
            )
            # store.start returns the record, or (record, created) since presence landed.
            record = fresh[0] if isinstance(fresh, tuple) else fresh
            live.append(record.pk.hex)
            counts["start"] += 1
        else:
            store.touch(uuid.UUID(chooser.choice(live)), now, now)
            counts["touch"] += 1
        done += 1
    elapsed = time.monotonic() - started
    print(json.dumps({**counts, "seconds": round(elapsed, 2), "per_s": round(done / elapsed, 1)}))


class Churn:
    """The churn process: started, then stopped with a file (so it prints what it did)."""

    def __init__(self, env: dict[str, str], ids: list[str], users: list[int], rate: float):
        self.folder = Path(tempfile.mkdtemp(prefix="sessions-live-churn-"))
        plan = self.folder / "plan.json"
        plan.write_text(json.dumps({"ids": ids, "users": users}))
        self.stop_file = self.folder / "stop"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.dashboard_load", "churn"],
            cwd=ROOT,
            env={
                **env,
                "CHURN_PLAN": str(plan),
                "CHURN_STOP": str(self.stop_file),
                "CHURN_RATE": str(rate),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> dict[str, Any]:
        self.stop_file.write_text("")
        out, err = self.process.communicate(timeout=30)
        if self.process.returncode != 0:
            raise RuntimeError(f"the churn failed:\n{out}\n{err}")
        found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return found


# Dashboards as sockets ----------------------------------------------------------------------


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


async def churn_windows(demo: Demo, cookie: str, size: Size, postmaster: int) -> dict[str, Any]:
    """Daphne's CPU over a churn window with 0, 1 and 10 dashboards (kept connected between
    windows, the snapshots settled before each), and what reached the first dashboard."""
    assert demo.process.process is not None
    pid = demo.process.process.pid
    boards: list[Board] = []
    tasks: list[asyncio.Task[None]] = []
    windows: dict[str, Any] = {}
    try:
        for count in size.board_counts:
            while len(boards) < count:
                board = await open_board(demo, cookie)
                boards.append(board)
                tasks.append(asyncio.get_running_loop().create_task(board.follow()))
            await asyncio.sleep(size.settle)  # the snapshots sent and handled
            for board in boards:
                board.reset()
                board.counting = True
            cpu, pg, wall = cpu_seconds(pid), tree_cpu(postmaster), time.monotonic()
            await asyncio.sleep(size.window)
            seconds = time.monotonic() - wall
            cpu, pg = cpu_seconds(pid) - cpu, tree_cpu(postmaster) - pg
            for board in boards:
                board.counting = False
            entry: dict[str, Any] = {
                "dashboards": count,
                "seconds": round(seconds, 2),
                "daphne_cpu_percent": round(cpu / seconds * 100, 1),
                "postgres_cpu_percent": round(pg / seconds * 100, 1),
            }
            if boards:
                first = boards[0]
                entry |= {
                    "frames_per_s": round(first.frames / seconds, 2),
                    "bytes_per_s": round(first.bytes / seconds),
                    "rows_per_s": round(first.rows_sent / seconds, 1),
                    "floor_bytes_per_s": round(first.floor_bytes / seconds),
                    "bytes_per_s_all_boards": [round(b.bytes / seconds) for b in boards],
                }
            windows[str(count)] = entry
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(board.ws.close() for board in boards), return_exceptions=True)
    return windows


def off_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end in a thread of its own: Playwright's sync API holds an
    event loop in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


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


# The browser --------------------------------------------------------------------------------


def paint(browser: Browser, demo: Demo, wanted: int, repeats: int) -> dict[str, Any]:
    """Open the dashboard ``repeats`` times in a signed-in context: time to full paint."""
    context = browser.new_context(bypass_csp=True)  # to run the waits below
    sign_in(context, demo.url, demo.username, demo.password)
    context.add_init_script(WATCH_PAGE.replace("WANTED", str(wanted)))
    found: list[dict[str, Any]] = []
    try:
        for _ in range(repeats):
            page = context.new_page()
            page.goto(demo.url + BOARD, wait_until="domcontentloaded")
            page.wait_for_function(
                "window.__board && window.__board.full !== null", timeout=120_000
            )
            board = page.evaluate("window.__board")
            timing = page.evaluate(NAVIGATION)
            first = board["frames"][0] if board["frames"] else [None, 0]
            found.append(
                {
                    "full_paint_ms": round(board["full"], 1),
                    "rows_in_table_ms": round(board["rowsAt"], 1),
                    "snapshot_arrived_ms": round(first[0], 1) if first[0] else None,
                    "snapshot_chars": first[1],
                    "html_ms": round(timing["response_end"], 1),
                    "dom_content_loaded_ms": round(timing["dom_content_loaded"], 1),
                }
            )
            page.close()
    finally:
        context.close()
    return {
        "runs": found,
        "full_paint": summary_ms([run["full_paint_ms"] / 1000 for run in found]),
    }


def page_under_churn(
    browser: Browser, demo: Demo, wanted: int, seconds: float, settle: float
) -> dict[str, Any]:
    """Chrome's main-thread time per second while the page follows the churn."""
    context = browser.new_context(bypass_csp=True)  # to run the waits below
    sign_in(context, demo.url, demo.username, demo.password)
    context.add_init_script(WATCH_PAGE.replace("WANTED", str(wanted)))
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(demo.url + BOARD, wait_until="domcontentloaded")
        page.wait_for_function(PAINTED, timeout=120_000)
        page.wait_for_timeout(settle * 1000)

        def metrics() -> dict[str, float]:
            got = cdp.send("Performance.getMetrics")["metrics"]
            return {entry["name"]: float(entry["value"]) for entry in got}

        before, wall = metrics(), time.monotonic()
        frames_before = page.evaluate("window.__board.frames.length")
        page.wait_for_timeout(seconds * 1000)
        after, elapsed = metrics(), time.monotonic() - wall
        frames = page.evaluate(f"window.__board.frames.slice({frames_before})")
    finally:
        context.close()

    def share(name: str) -> float:
        return round((after.get(name, 0) - before.get(name, 0)) / elapsed * 100, 1)

    return {
        "seconds": round(elapsed, 2),
        "main_thread_busy_percent": share("TaskDuration"),
        "script_percent": share("ScriptDuration"),
        "layout_percent": share("LayoutDuration") + share("RecalcStyleDuration"),
        "frames_per_s": round(len(frames) / elapsed, 2),
        "chars_per_s": round(sum(size for _, size in frames) / elapsed),
    }


# The run ------------------------------------------------------------------------------------


def measure(context: Context, cluster: PrivateCluster, size: Size) -> dict[str, Any]:
    url = cluster.server.create("dashboard")
    assert cluster.process is not None
    postmaster = cluster.process.pid
    with (
        context.demo(
            1,
            DATABASE_URL=url,
            SESSIONS_LIVE_WARN_AFTER=str(WARN_AFTER),
            SESSIONS_LIVE_EXPIRE_AFTER=str(EXPIRE_AFTER),
        ) as (demo,),
        sync_playwright() as playwright,
    ):
        began = time.monotonic()
        seeded = seed(demo.process.env, size.sessions, "board-", tab_process=True)
        seed_s = time.monotonic() - began
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        roomy = DemoProcess(
            demo.process.env,
            demo.host,
            free_port(),
            demo.log.with_name("daphne-roomy.log"),
            options=("--websocket-max-message-size", str(ROOMY_MESSAGE_BYTES)),
        )
        try:
            staff = browser.new_context()
            sign_in(staff, demo.url, demo.username, demo.password)
            cookie = "; ".join(f"{c['name']}={c['value']}" for c in staff.cookies())
            staff.close()
            as_deployed = off_loop(probe(demo, cookie))
            demo.process.stop()  # measured from here on: the same database, a roomier daphne
            roomy.start()
            served = replace(
                demo, url=f"http://{demo.host}:{roomy.port}", port=roomy.port, process=roomy
            )
            painted = paint(browser, served, size.sessions, size.paints)
            churn = Churn(demo.process.env, seeded.ids, seeded.users, size.churn)
            try:
                time.sleep(1.0)  # the churn process starts Django
                windows = off_loop(churn_windows(served, cookie, size, postmaster))
                page = page_under_churn(browser, served, size.sessions, size.window, size.settle)
            finally:
                churned = churn.stop()
                roomy.stop()
        finally:
            browser.close()
    one, ten = windows.get("1", {}), windows.get("10", {})
    none = windows.get("0", {})
    per_board = None
    if one and ten:
        per_board = round((ten["daphne_cpu_percent"] - one["daphne_cpu_percent"]) / 9, 2)
    return {
        "seed_s": round(seed_s, 1),
        "as_deployed": as_deployed,
        "message_limit_raised_to": ROOMY_MESSAGE_BYTES,
        "paint": painted,
        "churn": churned,
        "windows": windows,
        "daphne_cpu_percent_per_dashboard": per_board,
        "daphne_cpu_percent_first_dashboard": (
            round(one["daphne_cpu_percent"] - none["daphne_cpu_percent"], 2)
            if one and none
            else None
        ),
        "postgres_cpu_percent_per_dashboard": (
            round((ten["postgres_cpu_percent"] - one["postgres_cpu_percent"]) / 9, 2)
            if one and ten
            else None
        ),
        "page_under_churn": page,
    }


def run(context: Context) -> dict[str, Any]:
    size = QUICK if context.quick else FULL
    with private_server() as cluster:
        found = measure(context, cluster, size)
    return {
        "sessions": size.sessions,
        "churn_per_s": size.churn,
        "window_s": size.window,
        "dashboard_interval_s": 0.5,
        **found,
        "notes": notes(size),
    }


def notes(size: Size) -> list[str]:
    return [
        f"{size.sessions} live sessions with one tab each, made in the database"
        " (bench/seeding.py), not by sign-ins; the dashboard's staff user signs in over HTTP.",
        "Full paint: from the navigation's start (performance.now() 0) to the animation frame"
        " after the one in which the table first held every seeded row; headless Chromium on"
        " the same two cores as daphne and PostgreSQL, no GPU. The snapshot is one frame with"
        " every live row and the 200 newest ended ones.",
        f"Churn: {size.churn:g} store calls a second from a separate process (90% touch, 5%"
        " claim_end, 5% start), so each changes one row; no tab socket or HTTP request is"
        " involved, and daphne's CPU at 0 dashboards is its sweep and heartbeat.",
        "Frames and bytes reach a websockets client (WebSocket payload, no frame headers);"
        " the floor is the JSON of each changed row's id and the fields that differ from the"
        " dashboard's copy (the clock-driven idle_for, warn_in, expires_in left out).",
        "CPU per dashboard: (daphne CPU with 10 dashboards - with 1) / 9, over windows of"
        f" {size.window:g} s of the same churn; each dashboard polls the store every"
        " DASHBOARD_INTERVAL (0.5 s), so its cost grows with the rows changed per interval.",
        "There is no reference: django-session-security has no dashboard.",
        "daphne refuses to send a WebSocket message over --websocket-max-message-size (1 MiB"
        " by default; its help says incoming, autobahn applies it both ways): the snapshot is"
        " tried first on the demo's daphne as deployed, then everything is measured on a"
        f" daphne of the same database started with {ROOMY_MESSAGE_BYTES} bytes.",
        "The measuring browser contexts bypass the page's CSP (Playwright's waits evaluate"
        " strings); the page's own scripts run as usual.",
    ]


# The report's section -----------------------------------------------------------------------


def section(result: dict[str, Any], images: Path) -> list[str]:
    """docs/benchmarks.md's table for this benchmark (bench/report.py calls it)."""
    paint_runs = result["paint"]["runs"]
    full = result["paint"]["full_paint"]
    snapshot = paint_runs[0] if paint_runs else {}
    windows = result["windows"]
    one, ten = windows.get("1", {}), windows.get("10", {})
    page = result.get("page_under_churn", {})
    interval = result.get("dashboard_interval_s", 0.5)
    floor_bytes = one.get("floor_bytes_per_s")
    ratio = f"{one['bytes_per_s'] / floor_bytes:.1f}x" if floor_bytes else "n/a"
    probe = result.get("as_deployed", {})
    if probe.get("snapshot_delivered"):
        deployed = f"sent ({probe['snapshot_bytes'] / 1e6:.1f} MB)"
    else:
        deployed = (
            f"**refused**: {(probe.get('snapshot_bytes') or 0) / 1e6:.1f} MB, closed with"
            f" {probe.get('close_code')}; the page never shows a row. Figures below: daphne"
            f" run with --websocket-max-message-size {result['message_limit_raised_to']}"
        )
    lines = [
        "## Dashboard (benchmark 6)",
        "",
        f"{result['sessions']} live sessions (one tab each, made in the database) on the"
        f" admin's live-sessions dashboard; churn: {result['churn_per_s']:g} sessions a second"
        " touched, ended or started through the store's functions. No reference:"
        " django-session-security has no dashboard.",
        "",
        "| measure | sessions-live | floor or bound |",
        "|---|---|---|",
        f"| snapshot under daphne's defaults | {deployed} | daphne sends no message over"
        " its --websocket-max-message-size, 1 MiB by default |",
        f"| time to first full paint in Chromium, p50 / max of {full['n']} (ms) |"
        f" {full['p50_ms']:.0f} / {full['max_ms']:.0f} | the snapshot frame"
        f" ({snapshot.get('snapshot_chars', 0) / 1e6:.1f} MB) arrived at"
        f" {snapshot.get('snapshot_arrived_ms', 0):.0f} ms, the HTML at"
        f" {snapshot.get('html_ms', 0):.0f} ms |",
        f"| frames / s reaching one dashboard under churn | {one.get('frames_per_s', 0):.2f} |"
        f" at most {1 / interval:g} (DASHBOARD_INTERVAL {interval:g} s) |",
        f"| bytes / s reaching one dashboard | {one.get('bytes_per_s', 0):,} |"
        f" {floor_bytes or 0:,} for the changed fields alone (ours: {ratio}) |",
        f"| rows / s sent to one dashboard | {one.get('rows_per_s', 0):g} |"
        f" {result['churn_per_s']:g} rows change a second |",
        f"| daphne CPU per connected dashboard (% of a core) |"
        f" {result.get('daphne_cpu_percent_per_dashboard')} | 1 dashboard:"
        f" {one.get('daphne_cpu_percent')}, 10: {ten.get('daphne_cpu_percent')}, none:"
        f" {windows.get('0', {}).get('daphne_cpu_percent')} |",
        f"| PostgreSQL CPU per connected dashboard (% of a core) |"
        f" {result.get('postgres_cpu_percent_per_dashboard')} | 1 dashboard:"
        f" {one.get('postgres_cpu_percent')}, 10: {ten.get('postgres_cpu_percent')} |",
        f"| Chromium main thread busy following the churn (%) |"
        f" {page.get('main_thread_busy_percent')} | script {page.get('script_percent')},"
        f" style and layout {page.get('layout_percent')} |",
        "",
    ]
    return lines


if __name__ == "__main__" and sys.argv[1:] == ["churn"]:
    _churn_main()
