"""Benchmark 1, idle tab cost: what one signed-in tab, left alone, costs over one idle window.

sessions-live (the demo under daphne) is compared with django-session-security (the project in
bench/reference/, under daphne too), both on PostgreSQL with the same timeouts, one after the
other. For each, one headless Chromium tab signs in, loads the protected page and stays idle
until past the expiry; what happens after the load counts:

- HTTP requests and WebSocket frames, from the Chrome DevTools Protocol (Network domain);
- bytes both ways, counted by a TCP relay between the browser and the server (the TCP payload:
  HTTP headers and bodies, WebSocket frames with their headers, daphne's keepalive pings, which
  CDP does not report); CDP's own estimate is kept beside it as a cross-check;
- database work, from ``pg_stat_database`` (commits, rows inserted, updated or deleted) and,
  where this PostgreSQL has it, ``pg_stat_statements`` (statements, with no flush delay);
- for the reference, the SQL statements of one ping, counted in a Django shell.

The window is a 10-minute one scaled down (warn 54 s, expire 60 s, observed for 70 s; quick:
1.8, 2 and 2.4 s). Full runs also measure a window six times shorter (warn 9, expire 10) and
extrapolate linearly to warn 540 / expire 600: a ping at the warning costs the same in a short
window as in a long one, a keepalive every 20 s does not, so multiplying by 10 would be wrong.

Here: the tab and the run. Beside it: the two systems served (idle_systems.py), the windows and
their scaling (idle_windows.py), the byte-counting relay (counting_relay.py), what CDP sees
(cdp_traffic.py) and PostgreSQL's counters (pg_stats.py).
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.postgres import PrivateCluster, Server, private_server

from .cdp_traffic import TabTraffic
from .chromium import CHROMIUM, CHROMIUM_ARGS, sign_in
from .counting_relay import CountingRelay
from .harness import Context
from .idle_systems import Target, serve_ours, serve_reference
from .idle_windows import FULL, QUICK, SHORT, Window, per_ten_minutes, ratios, times_ten
from .pg_stats import configure_cluster, database_snapshot, wait_for_no_backends

#: Seconds after the page's load event that still belong to the load (its WebSocket handshake
#: and first frame, the favicon, the database's asynchronous statistics).
SETTLE_S = 1.5


# One idle tab -------------------------------------------------------------------------------


def open_tab(context: BrowserContext, base: str, target: Target) -> tuple[Page, TabTraffic, float]:
    """Sign in, load the protected page with CDP listening, and let the load settle; the
    monotonic time of the load event with it."""
    sign_in(context, base, target.username, target.password)
    page = context.new_page()
    traffic = TabTraffic()
    traffic.listen(page, context)
    page.goto(f"{base}/", wait_until="load")
    loaded = time.monotonic()
    page.wait_for_timeout(SETTLE_S * 1000)
    return page, traffic, loaded


def idle_tab(
    browser: Browser, target: Target, window: Window, database: tuple[Server, str], sql: bool
) -> dict[str, Any]:
    """Load the protected page in a fresh tab, leave it idle until the window's end, and
    count what happened after the load settled."""
    server, name = database
    relay = CountingRelay(target.port)
    relay.start()
    context = browser.new_context()
    try:
        base = f"http://127.0.0.1:{relay.port}"
        page, traffic, loaded = open_tab(context, base, target)
        traffic.begin()
        up, down = relay.totals()
        before = database_snapshot(server, name, sql)
        page.wait_for_timeout(max(0.0, loaded + window.observe - time.monotonic()) * 1000)
        seen = traffic.summary()
        up_end, down_end = relay.totals()
        final_url = page.url.removeprefix(base)
        target.kill()  # at once: no goodbye from the server adds to the database's counts
        wait_for_no_backends(server, name)
        after = database_snapshot(server, name, sql)
    finally:
        context.close()
        relay.stop()
    work = after.since(before)
    lists = {"requests": seen.pop("requests"), "sql_top": work.pop("sql_top", None)}
    return {
        **seen,
        "bytes_up": up_end - up,
        "bytes_down": down_end - down,
        # Rows written by statements where pg_stat_statements tells them (exact), else tuples.
        "db_writes": work.get("sql_rows_written", work["pg_tuples_written"]),
        **work,
        "final_url": final_url,
        **lists,
    }


# The run ------------------------------------------------------------------------------------


def measure(
    context: Context,
    browser: Browser,
    cluster: PrivateCluster,
    window: Window,
    sql: bool,
) -> dict[str, dict[str, Any]]:
    """One idle tab on each system, ours first, each on a fresh database of its own."""
    found: dict[str, dict[str, Any]] = {}
    ours_db = f"idle_ours_{window.name}"
    with serve_ours(context, cluster.server.create(ours_db), window) as ours:
        found["ours"] = idle_tab(browser, ours, window, (cluster.server, ours_db), sql)
    reference_db = f"idle_reference_{window.name}"
    folder = context.folder(f"reference-{window.name}")
    with serve_reference(folder, cluster.server.create(reference_db), window) as reference:
        found["reference"] = idle_tab(
            browser, reference, window, (cluster.server, reference_db), sql
        )
        found["reference"]["sql_per_ping"] = reference.ping_sql
    return found


def notes(sql: bool, windows: list[Window]) -> list[str]:
    found = [
        f"Counted from {SETTLE_S} s after the page's load event to {windows[0].observe} s after"
        " it (the idle clock starts at the page load); the sign-in and the load are not counted.",
        "http_requests and ws_frames: Chrome DevTools Protocol, Network domain, of the tab's"
        " page target; a redirect counts as two requests, answers from the browser's cache"
        " (cache_hits) are not counted.",
        "bytes_up / bytes_down: TCP payload through a loopback relay in front of each server,"
        " so HTTP headers, WebSocket frame headers and daphne's keepalive pings (every 20 s on"
        " an idle socket) count; TCP/IP headers and ACKs do not. cdp_bytes_*: CDP's own view"
        " (encodedDataLength, request headers rebuilt, frame payload + 2..10 header bytes, +4"
        " mask upstream), without control frames.",
        "db_commits and pg_tuples_written: pg_stat_database (xact_commit; tup_inserted +"
        " tup_updated + tup_deleted, catalogs included), autovacuum off in the private cluster."
        " Read-only transactions commit too. The end is exact (the server is killed and its"
        " backends flush their statistics as they exit); the start may miss up to 10 s of a"
        " pooled backend's pending statistics (sessions-live pools connections; the reference"
        " closes its connection after each request), which then count in the window.",
        "sessions-live's database work is almost all per daphne process, whatever its tabs:"
        " while it holds tabs, every 5 s one UPDATE of its LiveProcess row (the heartbeat, the"
        " db_writes) and one SELECT of sessions ended since, and a prune SELECT every 5 s; the"
        " sweep queries for due sessions only at the earliest deadline. With one tab all of it"
        " lands on that tab; a tab itself writes its row once and the session's warning once."
        " sql_top lists the statements.",
        "After the expiry both tabs go to the sign-in page; that navigation (and, past 60 s,"
        " static files revalidated by whitenoise's max-age=60) is part of the idle window's"
        " cost for both.",
        "reference sql_per_ping: statements of one ping (GET /session_security/ping/) counted"
        " with Django's connection.execute_wrapper in the reference's settings, after a page"
        " view: each ping loads the session and the user and re-saves the session (an UPDATE"
        " of django_session), and opens a connection (CONN_MAX_AGE=0), on which Django runs"
        " one more statement, SELECT set_config(...) for the time zone, below the wrapper.",
    ]
    if sql:
        found.append(
            "sql_statements and sql_rows_written: pg_stat_statements (calls, without BEGIN,"
            " COMMIT, ROLLBACK, SAVEPOINT and RELEASE; rows of INSERT, UPDATE and DELETE), read"
            " with no flush delay. db_writes is sql_rows_written."
        )
    else:
        found.append(
            "This PostgreSQL has no pg_stat_statements: sql_statements not measured, and"
            " db_writes is pg_tuples_written, whose start may lag (above)."
        )
    if len(windows) == 1:
        found.append(
            f"Quick mode: figures are the one run times {windows[0].scale:.0f}, which overstates"
            " costs paid once per window (the reference's pings, the expiry) by as much. The"
            " reference's client rounds idle time down to whole seconds: at warn 5.4 s it sees"
            " 5 s, hides its warning and pings again 0.4 s later."
        )
    else:
        found.append(
            "Per 10 minutes: a line through the two runs (observed 70 s and 11.7 s, timeouts"
            " 54/60 and 9/10 s) extrapolated to 700 s at 540/600 s, its slope at least 0. A"
            " plain x10 of the 70 s run is under naive_x10: right for periodic costs, ten times"
            " too high for what happens once per window."
        )
    return found


def run(context: Context) -> dict[str, Any]:
    windows = [QUICK] if context.quick else [FULL, SHORT]
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    with private_server() as cluster, sync_playwright() as playwright:
        sql = configure_cluster(cluster)
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for window in windows:
                runs[window.name] = measure(context, browser, cluster, window, sql)
        finally:
            browser.close()
    estimates = per_ten_minutes(runs, windows)
    main = windows[0]
    return {
        "window_s": main.observe,
        "warn_after_s": main.warn,
        "expire_after_s": main.expire,
        "scaled_to_s": 600,
        "scaling": (
            f"x{main.scale:.0f} of one run" if context.quick else "linear fit of two windows"
        ),
        "ours": estimates["ours"],
        "reference": estimates["reference"],
        "ratios": ratios(estimates),
        "naive_x10": None if context.quick else times_ten(runs[main.name]),
        "raw": {
            window.name: {
                "warn_after_s": window.warn,
                "expire_after_s": window.expire,
                "observe_s": round(window.observe, 2),
                **runs[window.name],
            }
            for window in windows
        },
        "notes": notes(sql, windows),
    }
