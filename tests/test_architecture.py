"""The tree shows the architecture (docs/architecture.md), and stays that way.

Each part of ``sessions_live`` imports only the parts below it, and no module grows past
what one reading holds.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sessions_live"

#: The parts from the bottom up: a module may import its own part and the parts before it.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"conf", "models", "signals"}),
    frozenset({"store"}),
    frozenset({"web"}),
    frozenset({"runtime"}),
    frozenset({"sockets"}),
    frozenset({"dashboard"}),
)
#: Modules (beside the top layer's Django names) that are not part of the package's code.
NOT_CODE = ("migrations",)
MODULE_LINES = 300
SCRIPT_LINES = 350


def part_of(module: str) -> str:
    """``sessions_live.store.records`` -> ``store``; ``sessions_live.admin`` -> ``admin``."""
    return module.split(".")[1]


def rank(part: str) -> int:
    """A part's layer; everything not listed is Django's fixed names, on top."""
    for number, layer in enumerate(LAYERS):
        if part in layer:
            return number
    return len(LAYERS)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def code_modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not any(skipped in path.parts for skipped in NOT_CODE)
    ]


def imports_of(path: Path) -> set[str]:
    """The ``sessions_live`` modules that ``path`` imports (each name, for ``from
    sessions_live import a, b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sessions_live":
                found.update(f"sessions_live.{alias.name}" for alias in node.names)
            elif node.module.startswith("sessions_live."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sessions_live."))
    return found


def test_the_package_has_the_parts_the_docs_name() -> None:
    parts = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert {"core", "store", "runtime", "sockets", "dashboard", "web", "checks"} <= parts


def test_each_part_imports_only_the_parts_below_it() -> None:
    upward = [
        f"{module_name(path)} imports {imported}"
        for path in code_modules()
        if "." in module_name(path)
        for imported in sorted(imports_of(path))
        if rank(part_of(imported)) > rank(part_of(module_name(path)))
    ]
    assert upward == []


#: What of Django the core may use: lazy translation, for the vocabulary's labels.
CORE_MAY_IMPORT = ("django.utils.translation", "django.utils.functional")


def imported_names(path: Path) -> list[str]:
    """Every module ``path`` imports, by name (``from a.b import c`` counts as ``a.b``)."""
    return [
        name
        for node in ast.walk(ast.parse(path.read_text()))
        for name in (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else []
        )
    ]


def test_the_core_needs_no_django_but_its_translations_and_no_channels() -> None:
    used = {
        (path.name, name)
        for path in (PACKAGE / "core").glob("*.py")
        for name in imported_names(path)
        if name.startswith(("django", "channels", "asgiref")) and name not in CORE_MAY_IMPORT
    }
    assert used == set()


@pytest.mark.parametrize("path", code_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_is_over_300_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MODULE_LINES


def test_no_script_is_over_350_lines_and_no_benchmark_module_over_300() -> None:
    scripts = [ROOT / "dev.py", ROOT / "manage.py"]
    assert [p.name for p in scripts if len(p.read_text().splitlines()) > SCRIPT_LINES] == []
    helpers = [*(ROOT / "bench").rglob("*.py"), *(ROOT / "tests" / "toolchain").glob("*.py")]
    too_long = [
        str(path.relative_to(ROOT))
        for path in helpers
        if len(path.read_text().splitlines()) > MODULE_LINES
    ]
    assert too_long == []


def test_only_wagtails_hook_module_imports_wagtail_and_nothing_imports_allauth() -> None:
    """Wagtail and django-allauth are test dependencies: the app runs without them."""
    third_party = {
        str(path.relative_to(PACKAGE)): name
        for path in code_modules()
        for name in imported_names(path)
        if name.split(".")[0] in ("wagtail", "allauth")
    }
    assert third_party == {"wagtail_hooks.py": "wagtail"}


def test_every_browser_test_module_is_marked_slow() -> None:
    """The other pairs run `-m "not slow"`: a browser test unmarked runs there, in parallel
    with the full suite's own browser tests."""
    modules = sorted((ROOT / "tests" / "browser").glob("test_*.py"))
    assert modules
    unmarked = [p.name for p in modules if "pytestmark = pytest.mark.slow" not in p.read_text()]
    assert unmarked == []
