"""Check ``E014``: a database that ran only some of the six pre-release migrations.

Release 0.1.0 replaced them with one initial migration of the same schema. A database that
ran all six needs nothing (its ``0001_initial`` counts as the new one; ``migrate --prune``
drops the rows of the other five); one that ran only some would be taken for migrated while
missing columns, so ``migrate`` (which runs the database checks) stops and names them. The
check compares the database with the tables and columns the initial migration creates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

APP = "sessions_live"

E014_MSG = (
    "Database '{alias}' ran only some of sessions-live's pre-release migrations: it lacks "
    "{missing}, which the initial migration that replaces all six would take for created."
)
#: What forgets that the app's migrations ever ran, once its tables are dropped.
AFRESH_ROWS = "DELETE FROM django_migrations WHERE app = 'sessions_live'"
E014_HINT = (
    "Finish them with the pre-release code first (docs/deploying.md, 'Upgrading from the "
    "pre-release migrations'); or, to start the app's tables afresh (they hold live sessions "
    "and their audit trail only), drop the tables sessions_live_livetab, "
    f"sessions_live_livesession and sessions_live_liveprocess, run `{AFRESH_ROWS}`, then "
    "`manage.py migrate`."
)


def initial_columns(alias: str) -> dict[str, set[str]]:
    """Each table of the initial migration, with the columns it creates."""
    state = MigrationLoader(connections[alias]).project_state((APP, "0001_initial"))
    return {
        model._meta.db_table: {f.column for f in model._meta.concrete_fields if f.column}
        for model in state.apps.get_app_config(APP).get_models()
    }


def missing_columns(alias: str) -> list[str]:
    """``table.column`` of the initial migration missing from a database that recorded it."""
    connection = connections[alias]
    try:
        recorder = MigrationRecorder(connection)
        if not recorder.has_table() or (APP, "0001_initial") not in recorder.applied_migrations():
            return []
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
            found = {
                table: {
                    c.name for c in connection.introspection.get_table_description(cursor, table)
                }
                for table in tables
            }
    except DatabaseError:
        return []  # no database to ask: other checks and commands say so
    return sorted(
        f"{table}.{column}"
        for table, columns in initial_columns(alias).items()
        for column in columns - found.get(table, set())
    )


@register(Tags.database)
def check_prerelease_migrations(
    app_configs: Sequence[Any] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for alias in databases or ():
        if missing := missing_columns(alias):
            message = E014_MSG.format(alias=alias, missing=", ".join(missing))
            errors.append(Error(message, hint=E014_HINT, id="sessions_live.E014"))
    return errors
