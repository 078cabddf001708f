"""The Python and Django versions sessions-live supports, and the interpreters of them that
this machine has: this one, on PATH, or in pyenv's versions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

#: The Python and Django versions sessions-live supports, each pair tested by `dev.py test`
#: (Django 6.0 and 6.1 need Python 3.12+). pyproject.toml's classifiers claim exactly these.
SUPPORTED: dict[str, tuple[str, ...]] = {
    "3.13": ("6.1", "6.0", "5.2"),
    "3.12": ("6.1", "6.0", "5.2"),
    "3.11": ("5.2",),
}


def version_of(python: str) -> str | None:
    """'3.12' for an interpreter that runs and can make a virtual environment, else None."""
    probe = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def candidates(version: str) -> Iterator[str]:
    """Where an interpreter of ``version`` may be: this one, PATH, then pyenv's versions."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        yield sys.executable
    if found := shutil.which(f"python{version}"):
        yield found
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    patch = re.compile(rf"{re.escape(version)}\.(\d+)$")
    builds = [
        (int(m.group(1)), d) for d in pyenv.glob(f"{version}.*") if (m := patch.match(d.name))
    ]
    for _, build in sorted(builds, reverse=True):
        yield str(build / "bin" / f"python{version}")


def find_pythons() -> dict[str, str]:
    """Each supported version (newest first) to an interpreter of it, where there is one."""
    found: dict[str, str] = {}
    for version in SUPPORTED:
        for python in candidates(version):
            if version_of(python) == version:
                found[version] = python
                break
    return found


def newest(pythons: dict[str, str]) -> tuple[str, str]:
    """The newest supported Python found, else this one (3.11+, e.g. a newer one), said so."""
    if pythons:
        version = next(iter(pythons))
        return version, pythons[version]
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if sys.version_info < (3, 11):
        sys.exit(f"sessions-live needs Python 3.11 or newer; this is {here}.")
    print(f"No Python {', '.join(SUPPORTED)} found: using this Python {here}, not one of those.")
    return here, sys.executable
