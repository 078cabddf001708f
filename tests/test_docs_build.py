"""The docs site builds with warnings as errors: every page in the table of contents, every link
between pages and to a heading resolved, every code block highlighted (docs/conf.py).

Marked slow: Sphinx is in the ``docs`` dependency group, which only the main environment
(``dev``) installs; the other pairs' environments have the ``test`` group alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    built = subprocess.run(
        [*command, "-d", str(tmp_path / "doctrees"), "docs", str(tmp_path / "html")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "html" / "index.html").is_file()
    assert (tmp_path / "html" / "_images" / "architecture.svg").is_file()
