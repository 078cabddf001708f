"""Browser and operating system from a user agent, for people to read on the dashboard."""

from __future__ import annotations

import functools

from ua_parser import parse


def _version(major: str | None, minor: str | None) -> str:
    return ".".join(part for part in (major, minor) if part)


@functools.lru_cache(maxsize=1024)
def describe(user_agent: str) -> tuple[str, str]:
    """``("Firefox 128", "Windows 10")``; empty strings for what the string does not say."""
    result = parse(user_agent)
    browser = os_name = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        agent = result.user_agent
        browser = f"{agent.family} {agent.major or ''}".strip()
    if result.os is not None and result.os.family != "Other":
        system = result.os
        os_name = f"{system.family} {_version(system.major, system.minor)}".strip()
    return browser, os_name


@functools.lru_cache(maxsize=1024)
def families(user_agent: str) -> tuple[str, str]:
    """``("Firefox", "Windows")``: the browser and system without versions; empty strings
    for what the string does not say."""
    result = parse(user_agent)
    browser = os_name = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        browser = result.user_agent.family
    if result.os is not None and result.os.family != "Other":
        os_name = result.os.family
    return browser, os_name
