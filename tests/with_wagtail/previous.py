"""An environment with Wagtail's previous feature release, to serve the same Wagtail project
from (tests/browser/test_with_wagtail.py runs under both).

Wagtail 7.4 names Django 5.2 and 6.0, not 6.1: it runs with the newest Django it names. The
environment is made once in .venvs/ with uv (which `dev.py` installs into .venv), from this
checkout and PyPI, and made again when these pins change.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ..servers import ROOT

#: Wagtail's feature release before the newest (8.0), and the newest Django it names.
WAGTAIL = "7.4"
DJANGO = "6.0"
ENV = ROOT / ".venvs" / f"wagtail-{WAGTAIL}-django-{DJANGO}"
#: What the project needs there: this app with daphne and channels-redis, and WhiteNoise.
REQUIREMENTS = (
    "--editable",
    f"{ROOT}[daphne,redis]",
    "whitenoise>=6.6",
    f"wagtail=={WAGTAIL}.*",
    f"django=={DJANGO}.*",
)


def _run(*command: str | Path) -> None:
    done = subprocess.run(
        [str(part) for part in command], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise pytest.UsageError(
            f"Could not make {ENV} for Wagtail {WAGTAIL}:\n{done.stdout}\n{done.stderr}"
        )


def previous_wagtail_python() -> Path:
    """The Python of an environment with Wagtail ``WAGTAIL`` and Django ``DJANGO``."""
    uv = Path(sys.executable).parent / "uv"
    if not uv.exists():
        raise pytest.UsageError(f"No uv beside {sys.executable}: run `python3 dev.py test`.")
    python = ENV / "bin" / "python"
    if not python.exists():
        _run(uv, "venv", "--quiet", "--python", sys.executable, ENV)
    _run(uv, "pip", "install", "--quiet", "--python", ENV, *REQUIREMENTS)
    return python


def versions(python: Path) -> str:
    """'Wagtail 7.4.4, Django 6.0.10': what that environment really holds."""
    code = "import django, wagtail; print(wagtail.__version__, django.get_version())"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    wagtail, django = done.stdout.split()
    return f"Wagtail {wagtail}, Django {django}"
