"""axe-core, from the npm registry, run in a Playwright page.

A fresh machine has Python only (no node, no npm), so the pinned tarball is fetched from the
registry over HTTPS, checked against the registry's sha512 ``integrity`` for that version, and
kept in ``.cache/`` (gitignored) for the next run. The check runs on every load, cached or not:
a tarball that does not match is never executed. Anything that goes wrong fails the test that
asked for axe; nothing skips.

Injection under the demo's strict Content-Security-Policy (no inline script, no eval):
``page.evaluate`` hands the source to Chromium through the DevTools protocol
(``Runtime.evaluate``), which the page's CSP does not govern, so the page keeps its real policy
during the audit (no ``bypass_csp`` context) and the markup is checked as users get it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

#: Pinned: bump the version and the integrity together, from
#: https://registry.npmjs.org/axe-core/<version> (``dist.integrity``).
AXE_VERSION = "4.14.1"
AXE_INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
AXE_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
CACHE = Path(__file__).resolve().parents[2] / ".cache" / f"axe-core-{AXE_VERSION}.tgz"
MEMBER = "package/axe.min.js"

#: Every WCAG 2.0 to 2.2 A and AA rule, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RUN = """([context, tags]) => axe.run(context, {
  runOnly: {type: "tag", values: tags},
  resultTypes: ["violations"],
})"""


def verified(tarball: bytes) -> bytes:
    algorithm, _, expected = AXE_INTEGRITY.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        raise AssertionError(
            f"axe-core {AXE_VERSION}: the tarball's {algorithm} is {digest}, not the pinned "
            f"{expected}; delete {CACHE} to fetch it again, or check the pin."
        )
    return tarball


def download() -> bytes:
    try:
        with urllib.request.urlopen(AXE_URL, timeout=60) as response:
            tarball: bytes = response.read()
    except OSError as error:
        raise AssertionError(
            f"Cannot download axe-core {AXE_VERSION} from {AXE_URL}: {error}. The accessibility "
            f"tests need the npm registry once; afterwards {CACHE} is used."
        ) from error
    verified(tarball)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    partial = CACHE.with_name(f"{CACHE.name}.{os.getpid()}.part")
    partial.write_bytes(tarball)
    partial.replace(CACHE)  # atomic: a concurrent run sees the whole file or none
    return tarball


@cache
def axe_source() -> str:
    """The text of ``axe.min.js`` from the verified, pinned tarball (cached on disk)."""
    tarball = verified(CACHE.read_bytes()) if CACHE.exists() else download()
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise AssertionError(f"axe-core {AXE_VERSION}: no {MEMBER} in the tarball")
        return member.read().decode()


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
