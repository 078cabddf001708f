"""What is kept of a visitor's address and browser (``KEEP_IP``, ``KEEP_USER_AGENT``): all of
it, a part, or nothing. Applied when a session starts, and by ``manage.py
sessions_live_privacy`` to the rows kept before a setting changed; never silently to old rows.
"""

from __future__ import annotations

import enum
import ipaddress

from sessions_live.core.useragent import describe, families

#: What a row holds of the user agent when only the families are kept: "Firefox / Windows".
FAMILY_SEPARATOR = " / "
#: The network kept of an address: a /24 of IPv4 (256 addresses), a /48 of IPv6 (a site).
IPV4_PREFIX, IPV6_PREFIX = 24, 48


class KeepIp(enum.StrEnum):
    FULL = "full"
    NETWORK = "network"
    NONE = "none"


class KeepUserAgent(enum.StrEnum):
    FULL = "full"
    FAMILY = "family"
    NONE = "none"


def prefix_of(ip: str) -> int:
    return IPV4_PREFIX if ipaddress.ip_address(ip).version == 4 else IPV6_PREFIX


def kept_ip(ip: str | None, keep: str) -> str | None:
    """What is stored of ``ip``: itself, its network's first address, or nothing."""
    if ip is None or keep == KeepIp.NONE:
        return None
    if keep == KeepIp.NETWORK:
        network = ipaddress.ip_network(f"{ip}/{prefix_of(ip)}", strict=False)
        return str(network.network_address)
    return ip


def shown_ip(ip: str | None, keep: str) -> str | None:
    """How a stored address is shown under the setting: no more than it keeps, so a row
    stored before the setting changed shows what a new one would hold (with its prefix when
    only the network is kept)."""
    kept = kept_ip(ip, keep)
    if kept is None:
        return None
    return f"{kept}/{prefix_of(kept)}" if keep == KeepIp.NETWORK else kept


def is_family_form(stored: str) -> bool:
    """Whether a stored user agent is "Browser / System" already (a real one has a "/" of a
    product version, such as "Mozilla/5.0")."""
    return bool(stored) and "/" not in stored.replace(FAMILY_SEPARATOR, "") and "(" not in stored


def kept_user_agent(user_agent: str, keep: str) -> str:
    """What is stored of a user agent: itself, "Browser / System" (no versions), or "".
    Applied to what it returned, it returns the same."""
    if keep == KeepUserAgent.NONE:
        return ""
    if keep == KeepUserAgent.FAMILY and not is_family_form(user_agent):
        return FAMILY_SEPARATOR.join(part for part in families(user_agent) if part)
    return user_agent


def device_of(stored: str) -> tuple[str, str]:
    """The browser and system a stored user agent names, for people to read."""
    if is_family_form(stored):
        browser, _, system = stored.partition(FAMILY_SEPARATOR)
        return browser, system
    return describe(stored)
