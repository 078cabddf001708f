"""Chromium through Playwright, against the demo under daphne (or uvicorn) with a real Redis.

Debian's Chromium is used through ``executable_path`` (``playwright install`` cannot download
browsers here): ``CHROMIUM_PATH``, else ``chromium`` on PATH. ``python3 dev.py test`` finds or
installs it first; without one the run stops with a one-line instruction, never a skip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dev import CHROMIUM_MISSING, find_chromium

from ..conftest import SCREENSHOTS
from ..servers import demo_fixture

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str:
    found = find_chromium()
    if found is None:
        raise pytest.UsageError(CHROMIUM_MISSING)
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: --screenshots-dir, else the run's temporary folder."""
    chosen = pytestconfig.getoption("screenshots_dir")
    folder = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    pytestconfig.stash[SCREENSHOTS] = folder
    return folder


# An expectation waits up to 10 s (Playwright's default is 5 s), for a busy machine; those
# that must hold within a deadline give their own timeout.
expect.set_options(timeout=10_000)

#: Warn after 2 s, expire after 5 s: the whole loop in seconds.
DEMO_ENV = {"SESSIONS_LIVE_WARN_AFTER": "2", "SESSIONS_LIVE_EXPIRE_AFTER": "5"}
#: Long timeouts, for scenarios that must not warn while they run.
PATIENT_ENV = {"SESSIONS_LIVE_WARN_AFTER": "40", "SESSIONS_LIVE_EXPIRE_AFTER": "60"}
# Under daphne; test_what_people_see.py serves the same two under every server.
demo = demo_fixture(**DEMO_ENV)
patient_demo = demo_fixture(**PATIENT_ENV)
#: EXPIRE_WHEN_ALL_TABS_CLOSED on, with a 2 s grace.
closing_demo = demo_fixture(
    SESSIONS_LIVE_WARN_AFTER="40",
    SESSIONS_LIVE_EXPIRE_AFTER="60",
    SESSIONS_LIVE_EXPIRE_WHEN_ALL_TABS_CLOSED="1",
    SESSIONS_LIVE_CLOSE_GRACE="2",
)
