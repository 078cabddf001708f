"""The Python/Django pairs `dev.py test` runs, what pytest said of each, and the closing
report of which ran (and how) and which could not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .pythons import SUPPORTED


@dataclass
class Pair:
    """A supported pair, the interpreter found for its Python, and how its run went."""

    python: str  # "3.12"
    django: str  # "6.0"
    interpreter: str | None
    scope: str = "in-process"
    release: str = ""  # the Django release installed, "6.0.10"
    summary: str = ""  # pytest's closing line
    seconds: float = 0.0
    returncode: int | None = None
    log: Path | None = None

    @property
    def name(self) -> str:
        return f"py{self.python}-django{self.django}"

    @property
    def passed(self) -> bool:
        # 5: pytest selected nothing, as `dev.py test -m slow` does for the other pairs.
        return self.returncode == 0 or (self.scope == "in-process" and self.returncode == 5)


def pairs(pythons: dict[str, str]) -> list[Pair]:
    """Every supported pair, newest first, with the interpreter found for its Python or None."""
    return [Pair(v, d, pythons.get(v)) for v, djangos in SUPPORTED.items() for d in djangos]


#: pytest's closing line ("571 passed in 792.97s (0:13:12)"), without its rule of "=".
SUMMARY = re.compile(
    r"^=* ?(.*\b(?:passed|failed|error|errors|no tests ran)\b.* in [\d.]+s.*?) ?=*$"
)
OUTCOMES = ("passed", "failed", "errors", "skipped")


def counts(summary: str) -> dict[str, int]:
    """{"passed": 12, ...} from a pytest summary line ("error" and "errors" alike)."""
    found = dict.fromkeys(OUTCOMES, 0)
    for number, outcome in re.findall(r"(\d+) (passed|failed|errors?|skipped)\b", summary):
        found["errors" if outcome.startswith("error") else outcome] += int(number)
    return found


def report(everything: list[Pair]) -> None:
    """The log of each pair that failed, then a line per pair and the total."""
    for pair in everything:
        if pair.log is not None and not pair.passed:
            print(f"\n--- {pair.log} ---\n{pair.log.read_text()}--- end of {pair.log.name} ---")
    print("\nPython/Django pairs:")
    passed = failed = 0
    for pair in everything:
        if pair.interpreter is None:
            print(
                f"  Python {pair.python} + Django {pair.django}: not run, no Python {pair.python} "
                "on this machine (looked on PATH and in pyenv's versions)"
            )
            continue
        state = "passed" if pair.passed else f"FAILED (exit {pair.returncode})"
        print(
            f"  Python {pair.python} + Django {pair.release}: {pair.scope}, {state}, "
            f"{pair.seconds:.0f} s: {pair.summary}"
        )
        found = counts(pair.summary)
        passed += found["passed"]
        failed += found["failed"] + found["errors"]
    print(f"total: {passed} passed, {failed} failed", flush=True)
