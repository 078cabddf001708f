"""One initial migration replaced the six pre-release ones: a database that ran all six needs
nothing, and one that ran only some is stopped by check E014 instead of being taken for
migrated. On SQLite and PostgreSQL, through manage.py as a deployment runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sessions_live.checks.migration_history import AFRESH_ROWS

from .postgres import Server
from .servers import ROOT

pytestmark = pytest.mark.slow

APP = "sessions_live"
#: The pre-release migrations' tables, in the order they can be dropped (a tab refers to its
#: session): what E014 says to start afresh from.
TABLES = ("sessions_live_livetab", "sessions_live_livesession", "sessions_live_liveprocess")
#: The app's tables today: those, and the ones later migrations made.
ALL_TABLES = (*TABLES, "sessions_live_broadcast")
#: The migrations after the initial one, which a database upgraded from the pre-release ones
#: runs like any other.
LATER = sorted(
    path.stem
    for path in (ROOT / "sessions_live" / "migrations").glob("0*.py")
    if path.stem != "0001_initial"
)

#: Prints each table of the app: its columns with their types and nullability, and its
#: constraints and indexes by what they cover (their names depend on how they were made).
SCHEMA = """
import json
from django.db import connection
schema = {}
with connection.cursor() as cursor:
    tables = connection.introspection.table_names(cursor)
    for table in sorted(t for t in tables if t.startswith("sessions_live_")):
        columns = sorted(
            (c.name, connection.introspection.get_field_type(c.type_code, c), bool(c.null_ok))
            for c in connection.introspection.get_table_description(cursor, table)
        )
        constraints = sorted(
            (sorted(c["columns"]), *(bool(c[k]) for k in ("primary_key", "unique", "index")),
             str(c["foreign_key"]))
            for c in connection.introspection.get_constraints(cursor, table).values()
        )
        schema[table] = {"columns": columns, "constraints": constraints}
print(json.dumps(schema))
"""

Manage = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A maker of empty databases (URLs) of one engine."""
    made: list[str] = []
    server: Server | None = (
        request.getfixturevalue("postgres") if request.param == "postgresql" else None
    )

    def make() -> str:
        name = f"migrations_{uuid.uuid4().hex[:10]}"
        if server is None:
            return f"sqlite:///{tmp_path / name}.sqlite3"
        made.append(name)
        return server.create(name)

    yield make
    for name in made:
        assert server is not None
        server.drop(name)


def manage_on(url: str) -> Manage:
    def manage(*args: str, prerelease: bool = False, check: bool = True) -> Any:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": url,
            "SESSIONS_LIVE_PRERELEASE_MIGRATIONS": "1" if prerelease else "0",
        }
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert done.returncode == 0, (
                f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    return manage


def printed(manage: Manage, code: str) -> Any:
    """What ``code`` printed as JSON on its last line (the shell may print before it)."""
    return json.loads(manage("shell", "-c", code).stdout.splitlines()[-1])


def schema(manage: Manage) -> dict[str, object]:
    found: dict[str, object] = printed(manage, SCHEMA)
    assert set(found) == set(ALL_TABLES)
    return found


def recorded(manage: Manage) -> list[str]:
    code = (
        "import json; from django.db import connection\n"
        "from django.db.migrations.recorder import MigrationRecorder\n"
        "applied = MigrationRecorder(connection).applied_migrations()\n"
        f"print(json.dumps(sorted(name for app, name in applied if app == '{APP}')))"
    )
    names: list[str] = printed(manage, code)
    return names


def test_a_database_that_ran_all_six_needs_nothing(database: Callable[[], str]) -> None:
    fresh, old = manage_on(database()), manage_on(database())
    fresh("migrate", "--no-input")
    old("migrate", "--no-input", prerelease=True)
    assert len(recorded(old)) == 6
    upgraded = old("migrate", "--no-input")
    applied = [
        line.split()[1] for line in upgraded.stdout.splitlines() if f"Applying {APP}" in line
    ]
    assert applied == [f"{APP}.{name}..." for name in LATER]  # the initial one is not run
    assert schema(old) == schema(fresh)
    old("migrate", APP, "--prune")
    assert recorded(old) == ["0001_initial", *LATER]
    shown = old("showmigrations", APP).stdout
    assert "[X] 0001_initial" in shown
    assert "[ ]" not in shown
    old("makemigrations", APP, "--check", "--dry-run")  # the models are what it created


@pytest.mark.parametrize(
    ("database", "last"),
    # The first is the case no migration row can tell from the new initial migration.
    [("postgresql", "0001_initial"), ("sqlite", "0005_session_timeouts")],
    indirect=["database"],
)
def test_a_database_that_ran_only_some_is_stopped_by_e014(
    database: Callable[[], str], last: str
) -> None:
    manage = manage_on(database())
    manage("migrate", APP, last, "--no-input", prerelease=True)
    refused = manage("migrate", "--no-input", check=False)
    assert refused.returncode != 0
    assert "sessions_live.E014" in refused.stderr
    assert "sessions_live_livesession.leased_until" in refused.stderr
    assert "docs/deploying.md" in refused.stderr


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_starting_the_tables_afresh_as_e014_says(database: Callable[[], str]) -> None:
    manage = manage_on(database())
    manage("migrate", APP, "0003_process_presence", "--no-input", prerelease=True)
    statements = [*(f"DROP TABLE {table}" for table in TABLES), AFRESH_ROWS]
    code = "from django.db import connection\nwith connection.cursor() as c:\n" + "".join(
        f"    c.execute({statement!r})\n" for statement in statements
    )
    manage("shell", "-c", code)
    manage("migrate", "--no-input")
    assert recorded(manage) == ["0001_initial", *LATER]
    assert set(schema(manage)) == set(ALL_TABLES)
