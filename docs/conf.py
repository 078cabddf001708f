"""Sphinx configuration of the docs site: the Markdown pages of docs/, read by myst-parser.

Built with warnings as errors, so a link to a page or a heading that does not exist, a page
outside the table of contents, or a code block that cannot be highlighted fails the build:

    python -m sphinx -W --keep-going -b html docs <folder>

(tests/test_docs_build.py runs exactly that). The pages stay plain Markdown that GitHub shows
as well: links between them are relative (``settings.md#per-user-timeouts``), links into the
rest of the repository absolute GitHub URLs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pygments.lexers.special import TextLexer

ROOT = Path(__file__).resolve().parent.parent

project = "sessions-live"
author = "the sessions-live authors"
copyright = "2026, the sessions-live authors"
#: The version lives in sessions_live/__init__.py only: read here, not imported (importing
#: the package would need Django settings).
_version = re.search(
    r'^__version__ = "([^"]+)"$', (ROOT / "sessions_live" / "__init__.py").read_text(), re.M
)
assert _version, "sessions_live/__init__.py has no __version__"
release = version = _version.group(1)

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Anchors for headings down to ####, made as GitHub makes them (``#9-rotating-secret_key``),
# so one link works on GitHub and in the site, and one to a missing heading fails the build.
myst_heading_anchors = 4

html_theme = "alabaster"
html_title = f"sessions-live {release}"
html_theme_options = {
    "description": "Server-driven idle timeouts for Django sessions, live in every tab.",
    "github_user": "sessions-live",
    "github_repo": "sessions-live",
    "github_button": False,
}


def setup(app: Any) -> None:
    # GitHub highlights ```haproxy blocks (docs/deploying.md); Pygments has no such lexer,
    # and an unknown one is a warning. Shown as plain text here, deliberately.
    app.add_lexer("haproxy", TextLexer)
