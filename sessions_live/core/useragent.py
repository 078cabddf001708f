"""Browser and operating system from a user agent, for people to read on the dashboard."""

from __future__ import annotations

import functools
from typing import NamedTuple

from ua_parser import parse


class Parts(NamedTuple):
    """What a user agent says of its browser and system; empty strings for what it does not."""

    browser: str
    browser_major: str
    system: str
    system_version: str


def _version(major: str | None, minor: str | None) -> str:
    return ".".join(part for part in (major, minor) if part)


@functools.lru_cache(maxsize=1024)
def parts(user_agent: str) -> Parts:
    result = parse(user_agent)
    browser = system = ""
    browser_major = system_version = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        browser, browser_major = result.user_agent.family, result.user_agent.major or ""
    if result.os is not None and result.os.family != "Other":
        system = result.os.family
        system_version = _version(result.os.major, result.os.minor)
    return Parts(browser, browser_major, system, system_version)


def describe(user_agent: str) -> tuple[str, str]:
    """``("Firefox 128", "Windows 10")``; empty strings for what the string does not say."""
    found = parts(user_agent)
    return (
        f"{found.browser} {found.browser_major}".strip() if found.browser else "",
        f"{found.system} {found.system_version}".strip() if found.system else "",
    )


def families(user_agent: str) -> tuple[str, str]:
    """``("Firefox", "Windows")``: the browser and system without versions."""
    found = parts(user_agent)
    return found.browser, found.system
