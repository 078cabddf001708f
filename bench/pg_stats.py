"""What the benchmarks on PostgreSQL read of its work: a private cluster set up to count it, and
snapshots of ``pg_stat_database`` and ``pg_stat_statements`` to subtract.

The idle benchmark (bench/idle_cost.py) and the activity storm (bench/storm.py) use it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.postgres import PrivateCluster, Server


def configure_cluster(cluster: PrivateCluster) -> bool:
    """Autovacuum off: its first round, a minute after the migrations, would add its own
    commits and catalog writes to a window. And pg_stat_statements if this PostgreSQL ships
    it: its counts, unlike those of pg_stat_database, are not held back in a pooled backend
    for up to 10 s. Whether pg_stat_statements is there."""
    with cluster.server.admin() as admin:
        admin.execute("ALTER SYSTEM SET autovacuum = off")
        row = admin.execute("SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'").fetchone()
        statements = row is not None and (Path(row[0]) / "pg_stat_statements.so").exists()
        if statements:
            admin.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    cluster.stop()
    cluster.start()
    if statements:
        with cluster.server.admin() as admin:
            admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return statements


CONTROL = re.compile(r"^\s*(begin|commit|rollback|savepoint|release)\b", re.IGNORECASE)
WRITE = re.compile(r"^\s*(insert|update|delete)\b", re.IGNORECASE)


@dataclass
class DatabaseSnapshot:
    """A database's cumulative counters; ``statements`` maps queryid to (calls, rows, text)."""

    commits: int
    tuples_written: int
    statements: dict[int, tuple[int, int, str]] | None

    def since(self, before: DatabaseSnapshot) -> dict[str, Any]:
        work: dict[str, Any] = {
            "db_commits": self.commits - before.commits,
            "pg_tuples_written": self.tuples_written - before.tuples_written,
        }
        if self.statements is None or before.statements is None:
            return work
        ran = []
        for key, (calls, rows, text) in self.statements.items():
            was_calls, was_rows, _ = before.statements.get(key, (0, 0, text))
            if calls > was_calls and not CONTROL.match(text):
                ran.append((calls - was_calls, rows - was_rows, text))
        ran.sort(key=lambda statement: -statement[0])
        return work | {
            "sql_statements": sum(calls for calls, _, _ in ran),
            "sql_rows_written": sum(rows for _, rows, text in ran if WRITE.match(text)),
            "sql_top": [
                f"{calls}x, {rows} rows: {' '.join(text.split())[:90]}"
                for calls, rows, text in ran[:6]
            ],
        }


def database_snapshot(server: Server, name: str, statements: bool) -> DatabaseSnapshot:
    """Read from the ``postgres`` database, so reading adds nothing to ``name``'s counts."""
    with server.admin() as admin:
        row = admin.execute(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted"
            " FROM pg_stat_database WHERE datname = %s",
            (name,),
        ).fetchone()
        assert row is not None, name
        found = None
        if statements:
            rows = admin.execute(
                "SELECT s.queryid, s.calls, s.rows, s.query FROM pg_stat_statements s"
                " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s",
                (name,),
            ).fetchall()
            found = {int(r[0]): (int(r[1]), int(r[2]), str(r[3])) for r in rows}
    return DatabaseSnapshot(int(row[0]), int(row[1]), found)


def wait_for_no_backends(server: Server, name: str, timeout: float = 10) -> None:
    """Backends write their statistics out when they exit: wait for those of ``name``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with server.admin() as admin:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
        if row is not None and row[0] == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"backends of {name} still connected after {timeout} s")
