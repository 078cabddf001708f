#!/usr/bin/env python3
"""The project's two entry points, for a fresh machine with only Python 3.11+.

    python3 dev.py demo   set up .venv, migrate, create the demo user, serve under daphne
    python3 dev.py test [PYTEST ARGS]
                          set up .venv, find (or, as root, install) Chromium, run ruff and
                          mypy, then the whole pytest suite on the newest supported Python
                          found and the newest Django, measuring branch coverage, and the
                          in-process tests (not marked slow) on every other supported
                          Python/Django pair whose Python is on this machine; prints the
                          pairs it ran and could not run, and the coverage
    python3 dev.py test --fast [PYTEST ARGS]
                          the inner loop: set up .venv, run the in-process tests on it only
    python3 dev.py bench [NAME ...] [--quick]
                          set up .venv and Chromium, run the benchmarks (bench/), write
                          bench/results/ and docs/benchmarks.md

.venv is made with the newest supported Python found; uv, installed into it with pip, installs
the project and makes the environments of the other pairs in .venvs/. Every step is printed
before it runs; nothing else is hidden. Finding the Pythons, the pairs and their report are in
tests/toolchain/, which, like this file, needs the standard library alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.toolchain.pairs import OUTCOMES, SUMMARY, Pair, counts, pairs, report
from tests.toolchain.pythons import SUPPORTED, find_pythons, newest

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
MATRIX = ROOT / ".venvs"

#: The extras the suite needs: it serves the demo under daphne and uvicorn, on channels-redis.
TEST_EXTRAS = "daphne,uvicorn,redis,postgres,metrics"
DEMO_EXTRAS = "daphne,redis"
DASHBOARD_PATH = "/admin/sessions_live/livesession/"
#: The in-process tests, run on every other pair: no real servers, browsers or benchmarks.
IN_PROCESS = ("-m", "not slow")


def bin_dir(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def run(*command: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run([str(part) for part in command], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


# Environments ---------------------------------------------------------------------------------


def pyvenv_version(env: Path) -> str | None:
    cfg = env / "pyvenv.cfg"
    if not cfg.exists():
        return None
    match = re.search(r"^version(?:_info)?\s*=\s*(\d+\.\d+)", cfg.read_text(), re.MULTILINE)
    return match.group(1) if match else None


def main_env(python: str, version: str, *install: str) -> Path:
    """.venv on ``python`` (made again if it is of another version), with uv, and ``install``."""
    if pyvenv_version(VENV) != version:
        if VENV.exists():
            print(f"+ rm -r {VENV}  (it is not Python {version})", flush=True)
            shutil.rmtree(VENV)
        run(python, "-m", "venv", VENV)
    pip = (bin_dir(VENV) / "python", "-m", "pip", "install", "--quiet")
    run(*pip, "--disable-pip-version-check", "uv>=0.9")
    run(bin_dir(VENV) / "uv", "pip", "install", "--quiet", "--python", VENV, *install)
    return VENV


def project(extras: str, *groups: str, django: str | None = None) -> list[str]:
    """uv pip install arguments: this checkout (editable) with extras and groups."""
    args = ["--editable", f".[{extras}]"]
    for group in groups:
        args += ["--group", group]
    if django:
        args.append(f"django=={django}.*")
    return args


# demo -----------------------------------------------------------------------------------------


def demo() -> None:
    version, python = newest(find_pythons())
    main_env(python, version, *project(DEMO_EXTRAS, "demo"))
    python_bin = bin_dir(VENV) / "python"
    run(python_bin, "manage.py", "migrate", "--no-input")
    run(python_bin, "manage.py", "demo_user")
    host, port = "127.0.0.1", os.environ.get("PORT", "8000")
    layer = "Redis at " + os.environ["REDIS_URL"] if os.environ.get("REDIS_URL") else "in-memory"
    site = f"http://{host}:{port}"
    print(f"Serving the demo on {site}/ (channel layer: {layer}); Ctrl-C stops.")
    print(f"The demo user is a superuser: the live-sessions dashboard is at {site}{DASHBOARD_PATH}")
    os.chdir(ROOT)
    daphne = bin_dir(VENV) / "daphne"
    os.execv(daphne, [str(daphne), "-b", host, "-p", port, "project.asgi:application"])


# Chromium -------------------------------------------------------------------------------------

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
        "/usr/bin/chromium",  # where apt-get puts it, should PATH not name /usr/bin
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


# test -----------------------------------------------------------------------------------------


def django_version(env: Path) -> str:
    code = "import django; print(django.get_version())"
    done = subprocess.run([bin_dir(env) / "python", "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def run_pair(pair: Pair, pytest_args: list[str]) -> None:
    """Make the pair's environment in .venvs/ and run the in-process tests in it; its output
    goes to .venvs/<pair>.log (printed in full by the report if the run fails)."""
    assert pair.interpreter is not None
    env = MATRIX / pair.name
    pair.log = MATRIX / f"{pair.name}.log"
    started = time.monotonic()
    uv = bin_dir(VENV) / "uv"
    python = bin_dir(env) / "python"
    steps: list[list[str | Path]] = []
    if pyvenv_version(env) != pair.python:
        shutil.rmtree(env, ignore_errors=True)
        steps.append([uv, "venv", "--quiet", "--python", pair.interpreter, env])
    install = project(TEST_EXTRAS, "test", django=pair.django)
    steps.append([uv, "pip", "install", "--quiet", "--python", env, *install])
    # A temporary folder of its own: pytest runs at once must not clean up each other's.
    steps.append(
        [python, "-m", "pytest", *IN_PROCESS, "-q", "--basetemp", env / "tmp", *pytest_args]
    )
    with pair.log.open("w") as out:
        for step in steps:
            print("+", " ".join(map(str, step)), file=out, flush=True)
            command = list(map(str, step))
            done = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
            pair.returncode = done.returncode
            if pair.returncode != 0:
                break
    pair.seconds = time.monotonic() - started
    pair.release = django_version(env)
    found = [m.group(1) for line in pair.log.read_text().splitlines() if (m := SUMMARY.match(line))]
    pair.summary = found[-1] if found else "no pytest summary"


#: `dev.py test --fast` leaves out the browser tests too.
FAST = ("--ignore=tests/browser",)
#: The full suite runs as three pytest processes at once, since most of its time is spent
#: waiting on servers, timers and the browser: the tests that start servers, the in-process
#: tests (measured for branch coverage: a minute, and what coverage shows is theirs), and the
#: browser tests, which need a process of their own (sync Playwright keeps an event loop in
#: the main thread). The first one's output is shown as it comes; it takes longest.
PARTS = (["-m", "slow", *FAST], [*IN_PROCESS, *FAST], ["tests/browser"])
#: Where the in-process tests' coverage data goes ([tool.coverage.run] data_file).
COVERAGE = MATRIX / "coverage"


def run_suite(pair: Pair, commands: list[list[str | Path]], env: dict[str, str]) -> None:
    """Run ``commands`` at once: the first one's output shown as it comes, the others' in
    full once they are done; the pair gets their summaries added up."""
    started = time.monotonic()
    logs = [MATRIX / f"{pair.name}-part{number}.log" for number in range(1, len(commands))]
    rest = []
    for command, log in zip(commands[1:], logs, strict=True):
        print("+", " ".join(map(str, command)), f"> {log}", flush=True)
        with log.open("w") as out:
            argv = list(map(str, command))
            rest.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out))
    print("+", " ".join(map(str, commands[0])), flush=True)
    outputs = [""]
    with subprocess.Popen(
        list(map(str, commands[0])),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as first:
        assert first.stdout is not None
        for line in first.stdout:
            sys.stdout.write(line)
            outputs[0] += line
    codes = [first.returncode] + [process.wait() for process in rest]
    for log in logs:
        text = log.read_text()
        outputs.append(text)
        print(f"\n--- {log.name} ---\n{text}--- end of {log.name} ---", flush=True)
    pair.seconds = time.monotonic() - started
    pair.returncode = max(codes, key=abs)
    total = dict.fromkeys(OUTCOMES, 0)
    for output in outputs:
        found = [m.group(1) for line in output.splitlines() if (m := SUMMARY.match(line.strip()))]
        for outcome, number in counts(found[-1] if found else "").items():
            total[outcome] += number
    pair.summary = ", ".join(f"{n} {o}" for o, n in total.items() if n or o == "passed")


def test(pytest_args: list[str]) -> None:
    pythons = find_pythons()
    version, python = newest(pythons)
    everything = pairs(pythons)
    if not pythons:  # only this Python, of a version the classifiers do not claim
        everything.insert(0, Pair(version, next(iter(SUPPORTED.values()))[0], python))
    main, *others = [p for p in everything if p.interpreter]
    main.scope = "full suite"
    main_env(python, version, *project(TEST_EXTRAS, "dev", django=main.django))
    main.release = django_version(VENV)
    browser = chromium()
    print(f"Chromium for the browser tests: {browser}", flush=True)
    tools = bin_dir(VENV)
    sources = ("sessions_live", "project", "tests", "bench", "dev.py")
    run(tools / "ruff", "check", *sources)
    run(tools / "ruff", "format", "--check", *sources)
    run(tools / "mypy")
    # The other pairs' in-process tests run one at a time beside the full suite: they mostly
    # wait on sockets and timers, so they take little of the machine from it.
    MATRIX.mkdir(exist_ok=True)
    print(f"In-process tests on {len(others)} more pairs, beside the suite (logs: {MATRIX}/)")

    def run_others() -> None:
        for pair in others:
            run_pair(pair, pytest_args)

    background = threading.Thread(target=run_others)
    background.start()
    env = {**os.environ, "CHROMIUM_PATH": browser, "PYTHONUNBUFFERED": "1"}
    covered = True
    if pytest_args:  # what the caller chose, in one process
        run_suite(main, [[tools / "python", "-m", "pytest", *pytest_args]], env)
    else:
        shutil.rmtree(COVERAGE, ignore_errors=True)
        COVERAGE.mkdir(parents=True)
        pytest: list[str | Path] = [tools / "python", "-m", "pytest"]
        measured: list[str | Path] = [tools / "python", "-m", "coverage", "run", "-m", "pytest"]
        # Each part a temporary folder of its own: a pytest run cleans up its basetemp.
        tmp: list[list[str | Path]] = [
            ["--basetemp", MATRIX / f"{main.name}-{part}-tmp"] for part in ("unit", "browser")
        ]
        slow, unit, in_browser = PARTS
        commands: list[list[str | Path]] = [
            [*pytest, *slow],
            [*measured, *tmp[0], *unit],
            [*pytest, *tmp[1], *in_browser],
        ]
        run_suite(main, commands, env)
    background.join()
    if not pytest_args:
        covered = coverage_report(tools)
    report(everything)
    if not covered or not all(p.passed for p in everything if p.interpreter):
        sys.exit(1)


def fast(pytest_args: list[str]) -> None:
    """The inner loop: the in-process tests on .venv's pair only (no linters, no coverage)."""
    version, python = newest(find_pythons())
    main_env(python, version, *project(TEST_EXTRAS, "dev", django=SUPPORTED[version][0]))
    run(bin_dir(VENV) / "python", "-m", "pytest", *IN_PROCESS, *FAST, *pytest_args)


def coverage_report(tools: Path) -> bool:
    """Print the branch coverage of sessions_live by the in-process tests; False if it is
    under pyproject.toml's floor ([tool.coverage.report] fail_under)."""
    coverage = [tools / "python", "-m", "coverage"]
    print("+", " ".join(map(str, [*coverage, "report"])), flush=True)
    done = subprocess.run([*map(str, coverage), "report"], cwd=ROOT, check=False)
    if done.returncode != 0:
        print("Branch coverage is under the floor of [tool.coverage.report] fail_under.")
    return done.returncode == 0


def bench(bench_args: list[str]) -> None:
    version, python = newest(find_pythons())
    main_env(python, version, *project(TEST_EXTRAS, "test", django=SUPPORTED[version][0]))
    browser = chromium()
    run(
        bin_dir(VENV) / "python",
        "-m",
        "bench",
        *bench_args,
        env={**os.environ, "CHROMIUM_PATH": browser},
    )


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "demo":
        demo()
    elif command == "test" and rest[:1] == ["--fast"]:
        fast(rest[1:])
    elif command == "test":
        test(rest)
    elif command == "bench":
        bench(rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
