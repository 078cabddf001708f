"""docs/recipes.md shows exactly what the recipes' test projects run.

Each snippet between ``<!-- recipe:NAME -->`` and ``<!-- /recipe:NAME -->`` is compared with
its file in tests/with_allauth/ or tests/with_wagtail/ (served and driven for real by
tests/test_with_allauth.py and tests/browser/test_with_*.py): a whole template, the part of a
settings module between its ``# recipe: ...`` and ``# end of recipe`` lines, or a line of a
URLconf. Change the project and the doc together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "docs" / "recipes.md"

#: Snippet name: (file, how much of it the snippet is: "file", "region" or "line").
SNIPPETS = {
    "allauth-settings": ("tests/with_allauth/settings.py", "region"),
    "allauth-urls": ("tests/with_allauth/urls.py", "line"),
    "wagtail-settings": ("tests/with_wagtail/settings.py", "region"),
}

BLOCK = re.compile(
    r"<!-- recipe:(?P<name>[\w-]+) -->\n```\w*\n(?P<code>.*?)```\n<!-- /recipe:(?P=name) -->",
    re.DOTALL,
)


def doc_snippets() -> dict[str, str]:
    text = RECIPES.read_text()
    found: dict[str, str] = {}
    for match in BLOCK.finditer(text):
        assert match["name"] not in found, f"docs/recipes.md: {match['name']} appears twice"
        found[match["name"]] = match["code"]
    assert text.count("<!-- recipe:") == len(found), (
        "docs/recipes.md: every <!-- recipe:NAME --> must enclose one fenced block, "
        "then <!-- /recipe:NAME -->"
    )
    return found


def region(path: Path) -> str:
    """The lines of a settings module between ``# recipe: ...`` and ``# end of recipe``."""
    text = path.read_text()
    match = re.search(r"^# recipe: [^\n]*\n(.*?)^# end of recipe$", text, re.DOTALL | re.MULTILINE)
    assert match, f"{path}: no '# recipe: ...' ... '# end of recipe' lines"
    return match.group(1)


def test_the_doc_shows_every_snippet_and_no_other() -> None:
    assert sorted(doc_snippets()) == sorted(SNIPPETS)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_the_doc_snippet_is_what_the_test_project_runs(name: str) -> None:
    relative, extent = SNIPPETS[name]
    path = ROOT / relative
    shown = doc_snippets()[name]
    if extent == "file":
        assert shown == path.read_text()
    elif extent == "region":
        assert shown == region(path)
    else:
        assert shown.count("\n") == 1
        assert shown.strip() in [line.strip() for line in path.read_text().splitlines()]
