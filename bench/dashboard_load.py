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

Here: the run. Beside it: the churn process (dashboard_churn.py), the dashboards as sockets
(dashboard_sockets.py), the page in Chromium (dashboard_page.py) and the report's section
(dashboard_report.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import time
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from playwright.sync_api import sync_playwright

from tests.postgres import PrivateCluster, private_server
from tests.servers import DemoProcess, free_port

from .chromium import CHROMIUM, CHROMIUM_ARGS, sign_in
from .dashboard_churn import Churn
from .dashboard_page import page_under_churn, paint
from .dashboard_sockets import churn_windows, probe
from .harness import Context
from .seeding import seed

T = TypeVar("T")
#: daphne's --websocket-max-message-size for the measurements (its default is 1 MiB).
ROOMY_MESSAGE_BYTES = 64 * 1024 * 1024
WARN_AFTER, EXPIRE_AFTER = 3000.0, 3600.0  # nobody warns or expires during the run


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


def off_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end in a thread of its own: Playwright's sync API holds an
    event loop in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


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
            executable_path=os.environ.get("CHROMIUM_PATH", CHROMIUM),
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
                windows = off_loop(
                    churn_windows(
                        served,
                        cookie,
                        postmaster,
                        board_counts=size.board_counts,
                        settle=size.settle,
                        seconds=size.window,
                    )
                )
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
