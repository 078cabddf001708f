"""The dashboard in headless Chromium: time to the first full paint of every row, and the
browser's main-thread time while the page follows the churn."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Browser

from tests.servers import Demo

from .chromium import sign_in
from .harness import summary_ms

BOARD = "/admin/sessions_live/livesession/"
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
            page.wait_for_function(PAINTED, timeout=120_000)
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
