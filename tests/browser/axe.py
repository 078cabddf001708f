"""axe-core, from the npm registry, run in a Playwright page.

The pinned tarball is fetched once, checked against its sha512 ``integrity`` on every load,
and kept in ``.cache/`` (tests/browser/npm.py).

Injection under the demo's strict Content-Security-Policy (no inline script, no eval):
``page.evaluate`` hands the source to Chromium through the DevTools protocol
(``Runtime.evaluate``), which the page's CSP does not govern, so the page keeps its real policy
during the audit (no ``bypass_csp`` context) and the markup is checked as users get it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from playwright.sync_api import Page

from . import npm

#: Pinned: bump the version and the integrity together, from
#: https://registry.npmjs.org/axe-core/<version> (``dist.integrity``).
AXE = npm.Package(
    "axe-core",
    "4.14.1",
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
)
AXE_VERSION = AXE.version
AXE_URL = AXE.url
CACHE = AXE.cache
MEMBER = "package/axe.min.js"

#: Every WCAG 2.0 to 2.2 A and AA rule, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RUN = """([context, tags]) => axe.run(context, {
  runOnly: {type: "tag", values: tags},
  resultTypes: ["violations"],
})"""


def verified(tarball: bytes) -> bytes:
    return npm.verified(AXE, tarball, CACHE)


def download() -> bytes:
    return npm.download(AXE, AXE_URL, CACHE)


@cache
def axe_source() -> str:
    """The text of ``axe.min.js`` from the verified, pinned tarball (cached on disk)."""
    tarball = verified(CACHE.read_bytes()) if CACHE.exists() else download()
    return npm.member(AXE, MEMBER, tarball).decode()


def audit(page: Page, context: str = "html") -> list[dict[str, Any]]:
    """axe's violations in ``page`` (limited to the ``context`` selector), an empty list if none."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())  # through the DevTools protocol: allowed by the page's CSP
    result: dict[str, Any] = page.evaluate(RUN, [context, TAGS])
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule, impact, help, and each failing node with why."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"]:
            lines.append(f"  {node['target']}: {node['html']}")
            lines.append("    " + node["failureSummary"].replace("\n", "\n    "))
    return "\n".join(lines)
