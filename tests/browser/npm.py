"""Pinned packages from the npm registry, for the browser tests (axe-core, htmx, Turbo).

A fresh machine has Python only (no node, no npm), so a pinned tarball is fetched from the
registry over HTTPS, checked against the registry's sha512 ``integrity`` for that version, and
kept in ``.cache/`` (gitignored) for the next run. The check runs on every load, cached or not:
a tarball that does not match is never used. Anything that goes wrong fails the test that asked
for the package; nothing skips.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache"


@dataclass(frozen=True)
class Package:
    """One release: bump ``version`` and ``integrity`` together, from
    ``https://registry.npmjs.org/<name>/<version>`` (``dist.integrity``)."""

    name: str  # as npm spells it, scope included: "@hotwired/turbo"
    version: str
    integrity: str  # "sha512-<base64>"

    @property
    def url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.rpartition('/')[2]}-{self.version}.tgz"

    @property
    def cache(self) -> Path:
        """Where the tarball is kept, named as ``npm pack`` names it."""
        return CACHE_DIR / f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


def verified(package: Package, tarball: bytes, cache: Path | None = None) -> bytes:
    algorithm, _, expected = package.integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        raise AssertionError(
            f"{package.name} {package.version}: the tarball's {algorithm} is {digest}, not the "
            f"pinned {expected}; delete {cache or package.cache} to fetch it again, or check "
            "the pin."
        )
    return tarball


def download(package: Package, url: str | None = None, cache: Path | None = None) -> bytes:
    """Fetch, verify, then keep the tarball (``url`` and ``cache`` default to the package's)."""
    url, cache = url or package.url, cache or package.cache
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            tarball: bytes = response.read()
    except OSError as error:
        raise AssertionError(
            f"Cannot download {package.name} {package.version} from {url}: {error}. The browser "
            f"tests need the npm registry once; afterwards {cache} is used."
        ) from error
    verified(package, tarball, cache)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(f"{cache.name}.{os.getpid()}.part")
    partial.write_bytes(tarball)
    partial.replace(cache)  # atomic: a concurrent run sees the whole file or none
    return tarball


def tarball(package: Package) -> bytes:
    """The verified tarball: from the cache, else from the registry."""
    cache = package.cache
    return verified(package, cache.read_bytes(), cache) if cache.exists() else download(package)


def member(package: Package, path: str, archive: bytes | None = None) -> bytes:
    """One file of the package, e.g. ``package/dist/htmx.min.js``, from the verified tarball."""
    with tarfile.open(fileobj=io.BytesIO(archive or tarball(package)), mode="r:gz") as opened:
        found = opened.extractfile(path)
        if found is None:
            raise AssertionError(f"{package.name} {package.version}: no {path} in the tarball")
        return found.read()
