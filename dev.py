#!/usr/bin/env python3
"""The project's two entry points, for a fresh machine with only Python 3.11+.

    python3 dev.py demo   set up .venv, migrate, create the demo user, serve under daphne
    python3 dev.py test   set up .venv, find (or, as root, install) Chromium, then ruff, mypy
                          and the whole pytest suite
    python3 dev.py bench [NAME ...] [--quick]
                          set up .venv and Chromium, run the benchmarks (bench/), write
                          bench/results/ and docs/benchmarks.md

Every step is printed before it runs; nothing else is hidden.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def run(*command: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run([str(part) for part in command], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def setup(extra: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"sessions-live needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"+ python -m venv {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--editable",
        f".[{extra}]",
    )


def demo() -> None:
    setup("demo")
    run(PYTHON, "manage.py", "migrate", "--no-input")
    run(PYTHON, "manage.py", "demo_user")
    host, port = "127.0.0.1", os.environ.get("PORT", "8000")
    layer = "Redis at " + os.environ["REDIS_URL"] if os.environ.get("REDIS_URL") else "in-memory"
    print(f"Serving the demo on http://{host}:{port}/ (channel layer: {layer}); Ctrl-C stops.")
    os.chdir(ROOT)
    os.execv(
        BIN / "daphne", [str(BIN / "daphne"), "-b", host, "-p", port, "project.asgi:application"]
    )


CHROMIUM_MISSING = (
    "The browser tests need Chromium: run `apt-get install chromium` as root, "
    "or set CHROMIUM_PATH to a Chromium binary."
)


def find_chromium() -> str | None:
    """CHROMIUM_PATH, else Chromium on PATH (the browser tests' conftest asks here too)."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def chromium() -> str:
    """Debian's Chromium for the browser tests: found, or installed with apt-get as root.

    Playwright drives it through executable_path: `playwright install` downloads browsers
    from a host that is not a package registry, so it is never used.
    """
    found = find_chromium()
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "chromium", env=env)
        found = find_chromium()
    if found is None:
        sys.exit(CHROMIUM_MISSING)
    return found


def test(pytest_args: list[str]) -> None:
    setup("test")
    browser = chromium()
    print(f"Chromium for the browser tests: {browser}", flush=True)
    run(BIN / "ruff", "check", "sessions_live", "project", "tests", "bench", "dev.py")
    run(BIN / "ruff", "format", "--check", "sessions_live", "project", "tests", "bench", "dev.py")
    run(BIN / "mypy")
    run(PYTHON, "-m", "pytest", *pytest_args, env={**os.environ, "CHROMIUM_PATH": browser})


def bench(bench_args: list[str]) -> None:
    setup("test")
    browser = chromium()
    run(PYTHON, "-m", "bench", *bench_args, env={**os.environ, "CHROMIUM_PATH": browser})


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "demo":
        demo()
    elif command == "test":
        test(rest)
    elif command == "bench":
        bench(rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
