"""dev.py's own logic (with its helpers in tests/toolchain/): which Python/Django pairs it
runs, and how it reports them."""

from __future__ import annotations

import sys
import tomllib

import pytest

import dev

from .toolchain.pairs import SUMMARY, Pair, counts, pairs, report
from .toolchain.pythons import SUPPORTED, find_pythons, version_of


def test_every_supported_pair_is_listed_newest_first() -> None:
    everything = pairs({})
    assert [(p.python, p.django) for p in everything] == [
        (python, django) for python, djangos in SUPPORTED.items() for django in djangos
    ]
    assert everything[0].python == max(SUPPORTED, key=lambda v: tuple(map(int, v.split("."))))
    assert all(p.interpreter is None for p in everything)


def test_this_python_is_found_for_its_version() -> None:
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = find_pythons()
    assert here in found
    assert version_of(found[here]) == here
    assert version_of("/no/such/python") is None


def test_a_machine_with_one_python_says_which_pairs_it_could_not_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    everything = pairs({"3.11": sys.executable})
    main = everything[-1]
    main.scope, main.release, main.returncode = "full suite", "5.2.20", 0
    main.summary, main.seconds = "571 passed, 2 skipped", 600.0
    report(everything)
    lines = capsys.readouterr().out.splitlines()
    assert (
        "  Python 3.11 + Django 5.2.20: full suite, passed, 600 s: 571 passed, 2 skipped" in lines
    )
    not_run = [line for line in lines if "not run" in line]
    assert len(not_run) == len(everything) - 1
    assert "  Python 3.13 + Django 6.1: not run, no Python 3.13 on this machine" in not_run[0]
    assert lines[-1] == "total: 571 passed, 0 failed"


def test_a_failing_pair_fails_the_total() -> None:
    pair = Pair("3.12", "6.0", sys.executable, returncode=1)
    pair.summary = "1 failed, 2 errors, 459 passed, 101 deselected in 63.79s (0:01:03)"
    assert not pair.passed
    assert counts(pair.summary) == {"passed": 459, "failed": 1, "errors": 2, "skipped": 0}
    assert Pair("3.12", "6.0", sys.executable, returncode=5).passed  # selected nothing
    assert not Pair("3.12", "6.0", sys.executable, scope="full suite", returncode=5).passed


@pytest.mark.parametrize(
    ("line", "summary"),
    [
        (
            "======================= 571 passed in 792.97s (0:13:12) ========================",
            "571 passed in 792.97s (0:13:12)",
        ),
        (
            "1 failed, 459 passed, 101 deselected in 63.79s (0:01:03)",
            "1 failed, 459 passed, 101 deselected in 63.79s (0:01:03)",
        ),
        (
            "==== 2 failed, 562 passed, 7 errors in 725.30s (0:12:05) ====",
            "2 failed, 562 passed, 7 errors in 725.30s (0:12:05)",
        ),
    ],
)
def test_pytests_closing_line_is_read(line: str, summary: str) -> None:
    match = SUMMARY.match(line)
    assert match is not None
    assert match.group(1) == summary


def test_fast_runs_only_the_inner_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dev.py test --fast ARGS` is the in-process loop, not the full run with ARGS."""
    called: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(dev, "fast", lambda args: called.append(("fast", args)))
    monkeypatch.setattr(dev, "test", lambda args: called.append(("test", args)))
    monkeypatch.setattr(sys, "argv", ["dev.py", "test", "--fast", "-k", "policy"])
    dev.main()
    monkeypatch.setattr(sys, "argv", ["dev.py", "test", "-k", "policy"])
    dev.main()
    assert called == [("fast", ["-k", "policy"]), ("test", ["-k", "policy"])]
    assert "--ignore=tests/browser" in dev.FAST
    assert dev.IN_PROCESS == ("-m", "not slow")


def test_the_coverage_floor_is_at_least_90_percent_of_branches() -> None:
    """The floor only goes up (issue 15): never below 90 %, measured with branches, over the
    app alone, by the in-process tests the full run measures."""
    config = tomllib.loads((dev.ROOT / "pyproject.toml").read_text())["tool"]["coverage"]
    assert config["run"]["branch"] is True
    assert config["run"]["source"] == ["sessions_live"]
    measured = [part for part in dev.PARTS if part == [*dev.IN_PROCESS, *dev.FAST]]
    assert len(measured) == 1
    assert config["report"]["fail_under"] >= 90
    assert dev.ROOT / config["run"]["data_file"] == dev.COVERAGE / "data"


def test_the_demo_says_where_the_dashboard_is_and_that_its_user_is_a_superuser(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.urls import reverse

    ran: list[tuple[str, ...]] = []
    monkeypatch.setattr(dev, "main_env", lambda *args: dev.VENV)
    monkeypatch.setattr(dev, "run", lambda *command, env=None: ran.append(tuple(map(str, command))))
    monkeypatch.setattr(dev.os, "execv", lambda *args: None)
    monkeypatch.setattr(dev.os, "chdir", lambda path: None)
    monkeypatch.delenv("PORT", raising=False)
    dev.demo()
    printed = capsys.readouterr().out
    assert [command[-1] for command in ran] == ["--no-input", "demo_user"]
    assert (
        "The demo user is a superuser: the live-sessions dashboard is at "
        "http://127.0.0.1:8000/admin/sessions_live/livesession/\n"
    ) in printed
    # The demo's URLconf mounts the admin where the tests' does.
    assert reverse("admin:sessions_live_livesession_changelist") == dev.DASHBOARD_PATH
