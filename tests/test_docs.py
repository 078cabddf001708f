"""The docs' reference tables say what the code does: docs/settings.md lists exactly the keys of
``SESSIONS_LIVE`` with their defaults (the system checks' table is kept by tests/test_checks.py).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

from sessions_live.conf import SessionsLiveSettings

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: A row of the settings table: | `KEY` | default | meaning |
ROW = re.compile(r"^\| `(?P<key>[A-Z][A-Z0-9_]*)` \| (?P<default>[^|]*) \|", re.MULTILINE)


def documented_settings() -> dict[str, str]:
    """Each key of the table under ``| key | default | meaning |``, with its default's cell."""
    text = (DOCS / "settings.md").read_text()
    header = "| key | default | meaning |"
    assert text.count(header) == 1, f"docs/settings.md needs exactly one table headed {header}"
    table = text.split(header, 1)[1].split("\n\n", 1)[0]
    rows = [(m["key"], m["default"].strip()) for m in ROW.finditer(table)]
    keys = [key for key, _ in rows]
    assert len(keys) == len(set(keys)), f"docs/settings.md lists a key twice: {sorted(keys)}"
    return dict(rows)


def default_in_docs(cell: str) -> Any:
    """The default a cell shows: its first ``literal`` (``10``, or ``WARN_AFTER / 4``: ``10``)."""
    found = re.search(r"`([^`]+)`", cell)
    assert found, f"no `literal` default in {cell!r}"
    return ast.literal_eval(found.group(1))


def same(documented: Any, default: Any) -> bool:
    """Equal and of the same type: `0` is no way to write a default of False."""
    return type(documented) is type(default) and documented == default


def test_the_settings_table_lists_every_key_and_no_other() -> None:
    in_code = {field.name for field in dataclasses.fields(SessionsLiveSettings)}
    in_docs = set(documented_settings())
    assert sorted(in_code - in_docs) == [], "add these keys to the table of docs/settings.md"
    assert sorted(in_docs - in_code) == [], "conf.py has no such key: remove from docs/settings.md"


def test_the_settings_table_shows_each_default() -> None:
    documented = documented_settings()
    wrong = {
        field.name: (documented[field.name], field.default)
        for field in dataclasses.fields(SessionsLiveSettings)
        if field.name in documented
        and not same(default_in_docs(documented[field.name]), field.default)
    }
    assert wrong == {}, "docs/settings.md: (the table's default, conf.py's) differ for these keys"


def test_a_default_in_the_docs_is_read_as_a_python_value() -> None:
    assert default_in_docs("`10`, or `WARN_AFTER / 4` if smaller") == 10
    assert default_in_docs('`"base.html"`') == "base.html"
    assert default_in_docs("`()`") == ()
    assert default_in_docs("`None`") is None
