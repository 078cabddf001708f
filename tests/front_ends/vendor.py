"""htmx and Turbo, pinned npm releases, written where the project serves its static files."""

from __future__ import annotations

from pathlib import Path

from ..browser import npm

#: Pinned: bump a version and its integrity together, from
#: https://registry.npmjs.org/<name>/<version> (``dist.integrity``).
HTMX = npm.Package(
    "htmx.org",
    "2.0.11",
    "sha512-"
    "Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
)
TURBO = npm.Package(
    "@hotwired/turbo",
    "8.0.23",
    "sha512-"
    "GZ7cijxEZ6Ig71u7rD6LHaRv/wcE/hNsc+nEfiWOkLNqUgLOwo5MNGWOy5ZV9ZUDSiQx1no7YxjTNnT4O6//cQ==",
)

#: The file each page loads, under STATIC_URL/vendor/, and where it is in its package.
FILES = {
    "htmx.min.js": (HTMX, "package/dist/htmx.min.js"),
    "turbo.es2017-esm.js": (TURBO, "package/dist/turbo.es2017-esm.js"),
}


def write_vendor(static_dir: Path) -> None:
    """Write the verified files into ``static_dir/vendor/`` (a STATICFILES_DIRS entry)."""
    folder = static_dir / "vendor"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (package, path) in FILES.items():
        (folder / name).write_bytes(npm.member(package, path))
