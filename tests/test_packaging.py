"""Packaging: the sdist and the wheel, the version's one source, honest classifiers, the
changelog, and the README's install snippets, used as they are by a real project."""

from __future__ import annotations

import gettext
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import venv
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import django
import pytest
import trove_classifiers
from django.core.asgi import get_asgi_application
from django.core.checks import WARNING, run_checks
from django.test import Client, override_settings
from django.utils.deprecation import RemovedAfterNextVersionWarning, RemovedInNextVersionWarning
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import sessions_live
from dev import SUPPORTED

from .servers import demo_env
from .sockets import TAB, Socket, frame

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sessions_live"
README = ROOT / "README.md"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: What the sdist carries besides the package: building the wheel needs the first four.
SDIST_EXTRAS = {"pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "CHANGELOG.md"}
#: Languages the app ships compiled catalogues for, at the least.
LANGUAGES = ("fr", "de", "es")
#: The project name the README's settings snippet assumes (`ASGI_APPLICATION`).
PROJECT = "yourproject"


def readme_snippet(name: str) -> str:
    """The Python code README.md shows between ``<!-- sessions-live:NAME -->`` and
    ``<!-- /sessions-live:NAME -->``, dedented out of its numbered step."""
    text = README.read_text()
    start, end = f"<!-- sessions-live:{name} -->", f"<!-- /sessions-live:{name} -->"
    assert text.count(start) == 1, f"README.md needs exactly one {start}"
    assert text.count(end) == 1, f"README.md needs exactly one {end}"
    block = text[text.index(start) + len(start) : text.index(end)]
    match = re.fullmatch(r"\s*```python\n(.*\n)[ ]*```\s*", block, re.DOTALL)
    assert match, f"README.md: {start} must enclose one ```python block and nothing else"
    return textwrap.dedent(match.group(1))


def readme_settings() -> dict[str, Any]:
    """The settings the README's snippet defines, as a settings module would hold them."""
    namespace: dict[str, Any] = {}
    exec(compile(readme_snippet("settings"), "README.md (settings)", "exec"), namespace)
    return {name: value for name, value in namespace.items() if name.isupper()}


def package_files() -> set[str]:
    """Every file of the package in the source tree, as a wheel names it; no bytecode."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def catalogues() -> list[str]:
    """Every compiled catalogue in the source tree, which the wheel must carry; fails unless
    at least French, German and Spanish are there."""
    found = sorted(path.relative_to(ROOT).as_posix() for path in (PACKAGE / "locale").rglob("*.mo"))
    for language in LANGUAGES:
        expected = f"sessions_live/locale/{language}/LC_MESSAGES/django.mo"
        assert expected in found, f"{expected} is missing: compile the catalogues"
    return found


# Fast checks, without building anything.


def test_changelog_opens_with_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings[0] == "Unreleased"
    unreleased = text.split("## Unreleased\n", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^- \S", unreleased, re.MULTILINE), "Unreleased lists no change"


def test_the_version_lives_in_the_package_only() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "sessions_live.__version__"}
    assert str(Version(sessions_live.__version__)) == sessions_live.__version__


def test_classifiers_are_valid_and_claim_what_the_tests_run() -> None:
    project = PYPROJECT["project"]
    classifiers: list[str] = project["classifiers"]
    unknown = [c for c in classifiers if c not in trove_classifiers.classifiers]
    assert unknown == [], "PyPI would refuse these"
    for family in (
        "Environment :: Web Environment",
        "Framework :: Django",
        "Intended Audience :: Developers",
        "Typing :: Typed",
    ):
        assert family in classifiers
    # PEP 639: the SPDX expression replaces the "License ::" classifiers.
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"]
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text()

    def claimed(prefix: str) -> set[str]:
        """The versions named after ``prefix``, e.g. "3.11" in "...Python :: 3.11"."""
        versions = (c.removeprefix(prefix) for c in classifiers if c.startswith(prefix))
        return {v for v in versions if re.fullmatch(r"\d+\.\d+", v)}

    # Exactly the pairs `python3 dev.py test` runs, and the one running now is among them.
    pythons = claimed("Programming Language :: Python :: ")
    assert pythons == set(SUPPORTED)
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in pythons
    assert all(SpecifierSet(project["requires-python"]).contains(v) for v in pythons)
    djangos = claimed("Framework :: Django :: ")
    assert djangos == {d for series in SUPPORTED.values() for d in series}
    assert (
        "{}.{}".format(*django.VERSION[:2])
        in SUPPORTED[f"{sys.version_info.major}.{sys.version_info.minor}"]
    )
    (requirement,) = [
        Requirement(r) for r in project["dependencies"] if Requirement(r).name == "Django"
    ]
    assert all(requirement.specifier.contains(v) for v in djangos)
    assert not requirement.specifier.contains("5.1"), "5.1 is not tested"
    statuses = [c for c in classifiers if c.startswith("Development Status :: ")]
    assert len(statuses) == 1


def test_django_deprecations_are_errors_in_the_suite() -> None:
    """What the next Django releases remove fails the suite (pyproject filterwarnings)."""
    for category in (RemovedInNextVersionWarning, RemovedAfterNextVersionWarning):
        with pytest.raises(category):
            warnings.warn("deprecated", category, stacklevel=1)


def test_django_deprecations_are_errors_in_the_servers_the_tests_start(tmp_path: Path) -> None:
    code = (
        "import warnings\n"
        "from django.utils.deprecation import RemovedAfterNextVersionWarning as Later\n"
        "from django.utils.deprecation import RemovedInNextVersionWarning as Next\n"
        "for category in (Next, Later):\n"
        "    try:\n"
        "        warnings.warn('deprecated', category, stacklevel=1)\n"
        "    except category:\n"
        "        print('error', category.__name__)\n"
    )
    env = demo_env(tmp_path)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.split("\n")[:2] == [
        "error " + RemovedInNextVersionWarning.__name__,
        "error " + RemovedAfterNextVersionWarning.__name__,
    ], done.stderr


def test_tools_are_dependency_groups_and_extras_are_for_users() -> None:
    groups = PYPROJECT["dependency-groups"]
    assert {"demo", "bench", "lint", "docs", "test", "dev"} <= set(groups)
    assert {"include-group": "docs"} in groups["dev"], "contributors build the docs too"
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras) == {"daphne", "uvicorn", "redis", "postgres", "metrics"}
    (daphne,) = [Requirement(r) for r in extras["daphne"]]
    assert not daphne.specifier.contains("4.2.1"), "4.2.2 fixed CVE-2026-44545 and 44546"
    assert daphne.specifier.contains("4.2.2")
    names = {Requirement(r).name for r in PYPROJECT["project"]["dependencies"]}
    assert not names & {"daphne", "channels-redis", "pytest", "ruff", "mypy"}
    # Linters and the docs build (warnings are errors) may fail on a new minor release.
    for tool in [*groups["lint"], *groups["docs"]]:
        requirement = Requirement(tool)
        upper = [s for s in requirement.specifier if s.operator == "<"]
        lower = [s for s in requirement.specifier if s.operator == ">="]
        assert upper, f"{requirement.name}: pin to the tested range"
        assert lower, f"{requirement.name}: pin to the tested range"


def test_project_urls_name_the_repository() -> None:
    urls = PYPROJECT["project"]["urls"]
    assert {"Homepage", "Source", "Documentation", "Issues", "Changelog"} <= set(urls)
    assert all(url.startswith(urls["Source"]) for url in urls.values())


def test_readme_settings_pass_every_system_check() -> None:
    settings = readme_settings()
    assert settings["INSTALLED_APPS"][0] == "daphne", "daphne's runserver must win"
    (host,) = settings["CHANNEL_LAYERS"]["default"]["CONFIG"]["hosts"]
    assert host["socket_timeout"] > 5, "above the layer's 5 s blocking read (Pitfalls)"
    assert host["health_check_interval"] > 0
    assert settings["ASGI_APPLICATION"] == f"{PROJECT}.asgi.application"
    with override_settings(**settings):
        problems = [m for m in run_checks() if m.level >= WARNING]
    assert problems == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_sweeper")
async def test_readme_asgi_routes_a_signed_in_tab(asigned_in: Callable[..., Any]) -> None:
    namespace: dict[str, Any] = {"get_asgi_application": get_asgi_application}
    exec(compile(readme_snippet("asgi"), "README.md (asgi)", "exec"), namespace)
    client: Client = await asigned_in()
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    tab = Socket(
        namespace["application"],
        TAB,
        headers=[
            (b"origin", b"http://testserver"),
            (b"host", b"testserver"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, _ = await tab.connect()
    try:
        assert connected
        assert (await frame(tab))["type"] == "hello"
    finally:
        await tab.disconnect()


# The real thing: build, install into a clean virtual environment, start a project.


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command, failing the test with its output if it fails."""
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited {result.returncode}\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """`python -m build` on a copy of the checkout as git sees it (tests, demo and all; its
    egg-info, caches and other ignored work are no part of it): the sdist first, then the
    wheel built from that sdist."""
    source = tmp_path_factory.mktemp("source")
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a file deleted but not yet committed is listed too
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, source, cwd=source)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Dists(sdist=sdist, wheel=wheel)


def clean_env() -> dict[str, str]:
    """This environment without what would point a child at the checkout or its settings
    (pytest-django sets DJANGO_SETTINGS_MODULE); pip's own settings stay."""
    hidden = {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    return {name: value for name, value in os.environ.items() if name not in hidden}


@pytest.fixture(scope="module")
def installed(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel, the extras the README's first install step
    names, and their dependencies (through pip's cache), and nothing of the checkout; its
    interpreter."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python, "install", "--no-compile")
    run(
        *pip, "--quiet", f"{dists.wheel}[{','.join(readme_extras())}]", cwd=env_dir, env=clean_env()
    )
    return python


def readme_extras() -> list[str]:
    """The extras of ``pip install "sessions-live[...]"`` in the README's install steps."""
    found = re.search(r'pip install "sessions-live\[([\w,]+)\]"', README.read_text())
    assert found, "README.md: the install step names no extras"
    extras = found.group(1).split(",")
    assert set(extras) <= set(PYPROJECT["project"]["optional-dependencies"])
    return extras


def sdist_members(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
    return {name.split("/", 1)[1] for name in names}


def wheel_members(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if not name.endswith("/")}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sdist_carries_what_building_the_wheel_needs(dists: Dists) -> None:
    members = sdist_members(dists.sdist)
    assert {m for m in members if m.startswith("sessions_live/")} == package_files()
    # Nothing else: no half of the test suite (setuptools adds tests/test*.py by default).
    info = {m for m in members if m.split("/", 1)[0].endswith(".egg-info") or m == "PKG-INFO"}
    generated = {"setup.cfg"} & members  # setuptools writes its egg_info tags there
    assert members - info - package_files() == SDIST_EXTRAS | generated


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_wheel_carries_the_package_and_its_data_only(dists: Dists) -> None:
    members = wheel_members(dists.wheel)
    info = f"sessions_live-{sessions_live.__version__}.dist-info/"
    assert {m for m in members if not m.startswith(info)} == package_files()
    for required in (
        "sessions_live/py.typed",
        "sessions_live/templates/sessions_live/all.html",
        "sessions_live/templates/admin/sessions_live/dashboard.html",
        "sessions_live/static/sessions_live/sessions_live.js",
        "sessions_live/static/sessions_live/dashboard.js",
        "sessions_live/migrations/0001_initial.py",
        *catalogues(),
    ):
        assert required in members
    assert f"{info}licenses/LICENSE" in members
    with zipfile.ZipFile(dists.wheel) as archive:
        metadata = HeaderParser().parsestr(archive.read(f"{info}METADATA").decode())
    assert metadata["Version"] == sessions_live.__version__
    assert metadata["License-Expression"] == "BSD-3-Clause"
    assert metadata.get_all("Classifier") == PYPROJECT["project"]["classifiers"]


#: Run inside the throwaway project: what Django finds there, as JSON.
INSPECT = """
import json, os, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "yourproject.settings"
django.setup()
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.utils.module_loading import import_string
import sessions_live
sys.stdout.write(json.dumps({
    "package": os.path.dirname(sessions_live.__file__),
    "application": type(import_string(settings.ASGI_APPLICATION)).__name__,
    "script": finders.find("sessions_live/sessions_live.js"),
    "template": get_template("sessions_live/all.html").origin.name,
}))
"""


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_installed_wheel_starts_in_the_readme_project(installed: Path, tmp_path: Path) -> None:
    env = clean_env()
    bin_dir = installed.parent
    site = tmp_path / "site"
    site.mkdir()
    run(bin_dir / "django-admin", "startproject", PROJECT, site, cwd=tmp_path, env=env)
    settings_py = site / PROJECT / "settings.py"
    settings_py.write_text(settings_py.read_text() + "\n" + readme_snippet("settings"))
    asgi_py = site / PROJECT / "asgi.py"
    stock = "application = get_asgi_application()\n"
    assert asgi_py.read_text().count(stock) == 1, "the README says to replace this line"
    asgi_py.write_text(asgi_py.read_text().replace(stock, readme_snippet("asgi")))

    checked = run(installed, "manage.py", "check", "--fail-level", "WARNING", cwd=site, env=env)
    assert "System check identified no issues" in checked
    run(installed, "manage.py", "migrate", "--no-input", cwd=site, env=env)
    shown = run(installed, "manage.py", "showmigrations", "sessions_live", cwd=site, env=env)
    migrations = sorted(p.stem for p in (PACKAGE / "migrations").glob("0*.py"))
    assert re.findall(r"\[X\] (\S+)", shown) == migrations
    assert "[ ]" not in shown

    (site / "inspect_app.py").write_text(INSPECT)
    found = json.loads(run(installed, "inspect_app.py", cwd=site, env=env))
    package = Path(found["package"])
    assert package.is_relative_to(installed.parent.parent), "imported from the checkout"
    assert found["application"] == "ProtocolTypeRouter"
    assert Path(found["script"]).is_relative_to(package)
    assert Path(found["template"]).is_relative_to(package)
    for catalogue in catalogues():
        shipped = package.parent / catalogue
        assert shipped.read_bytes() == (ROOT / catalogue).read_bytes()
        with shipped.open("rb") as file:
            gettext.GNUTranslations(file)  # a valid catalogue, or this raises


def test_readme_is_a_front_door() -> None:
    """The README opens with the two commands and stays short: the reference is in docs/."""
    text = README.read_text()
    assert len(text.splitlines()) <= 250, "move reference material into docs/"
    first = re.match(r"# sessions-live\n\n```sh\n(.*?)```\n", text, re.DOTALL)
    assert first, "README.md must open with the two commands in a ```sh block"
    commands = [line.split("#", 1)[0].strip() for line in first.group(1).splitlines()]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]


def test_readme_links_work_on_the_package_index() -> None:
    """PyPI shows README.md without the repository around it: every link is absolute (or
    an anchor of the README itself), and those into this repository name files that exist."""
    source = PYPROJECT["project"]["urls"]["Source"]
    raw = source.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/"
    targets = re.findall(r"\]\(([^)\s]+)\)", README.read_text())
    assert targets
    relative = [t for t in targets if not t.startswith(("https://", "#"))]
    assert relative == [], "write them as absolute URLs"
    for target in targets:
        path = target.split("#", 1)[0]
        for prefix in (f"{source}/blob/main/", f"{source}/tree/main/", raw):
            if path.startswith(prefix):
                assert (ROOT / path.removeprefix(prefix)).exists(), target
