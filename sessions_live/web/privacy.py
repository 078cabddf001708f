"""What the records keep of visitors, said where people read the records: the dashboard and
"your sessions" (``KEEP_IP``, ``KEEP_USER_AGENT``; :mod:`sessions_live.core.privacy`)."""

from __future__ import annotations

from django.utils.translation import gettext

from sessions_live.conf import get_settings
from sessions_live.core.privacy import KeepIp, KeepUserAgent


def what_is_kept() -> list[str]:
    """A sentence for the address and one for the browser, in the active language."""
    conf = get_settings()
    ip: dict[str, str] = {
        KeepIp.FULL: gettext("IP addresses are kept in full."),
        KeepIp.NETWORK: gettext(
            "Only the network of each IP address is kept (/24 for IPv4, /48 for IPv6)."
        ),
        KeepIp.NONE: gettext("No IP address is kept."),
    }
    agent: dict[str, str] = {
        KeepUserAgent.FULL: gettext("The browser's full user agent is kept."),
        KeepUserAgent.FAMILY: gettext(
            "Only the names of the browser and the system are kept, without versions."
        ),
        KeepUserAgent.NONE: gettext("Nothing about the browser is kept."),
    }
    found = [ip.get(conf.KEEP_IP), agent.get(conf.KEEP_USER_AGENT)]
    return [sentence for sentence in found if sentence]
