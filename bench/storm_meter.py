"""What the services did during the activity storm: PostgreSQL's statements, Redis' commands
and every process's CPU, read at one moment, subtracted between two, and sampled for the plot."""

from __future__ import annotations

import asyncio
import resource
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
import redis

from tests.postgres import PrivateCluster

from .harness import cpu_seconds, tree_cpu

SAMPLE_EVERY = 1.0  # seconds


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Reading:
    """Cumulative counters at one moment."""

    at: float
    touch_calls: int
    touch_rows: int
    rows_written: int
    statements: int
    queries: dict[str, int]  # statement text -> calls
    redis: dict[str, int]
    cpu: dict[str, float]


class Meter:
    """Reads PostgreSQL (from the ``postgres`` database), Redis and /proc on one connection
    each, so reading adds nothing to what it reads (its INFO calls are left out)."""

    def __init__(self, cluster: PrivateCluster, database: str, redis_url: str) -> None:
        self.database = database
        self.pg = psycopg.connect(cluster.server.url("postgres"), autocommit=True)
        self.redis = redis.Redis.from_url(redis_url)
        self.pids: dict[str, int] = {}
        self.statements = bool(
            self.pg.execute(
                "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
            ).fetchone()
        )
        self.postmaster = cluster.process.pid if cluster.process else 0

    def close(self) -> None:
        self.pg.close()
        self.redis.close()

    def read(self) -> Reading:
        touch_calls = touch_rows = rows_written = statements = 0
        queries: dict[str, int] = {}
        if self.statements:
            for calls, rows, text in self.pg.execute(
                "SELECT s.calls, s.rows, s.query FROM pg_stat_statements s"
                " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s",
                (self.database,),
            ).fetchall():
                head = text.lstrip()[:6].upper()
                queries[text] = queries.get(text, 0) + calls
                if head in {"BEGIN", "COMMIT", "ROLLBA", "SAVEPO", "RELEAS"}:
                    continue
                statements += calls
                if head in {"INSERT", "UPDATE", "DELETE"}:
                    rows_written += rows
                if head == "UPDATE" and "GREATEST" in text and "sessions_live_livesession" in text:
                    touch_calls, touch_rows = touch_calls + calls, touch_rows + rows
        else:  # pending statistics of busy backends lag by up to a second
            row = self.pg.execute(
                "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname ="
                " 'sessions_live_livesession'"
            ).fetchone()
            touch_rows = touch_calls = int(row[0]) if row else 0
        stats = self.redis.info("commandstats")
        calls = {
            str(name).removeprefix("cmdstat_"): int(entry["calls"])
            for name, entry in stats.items()
            if isinstance(entry, dict) and "calls" in entry
        }
        cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        if self.postmaster:
            cpu["postgres"] = tree_cpu(self.postmaster)
        cpu["client"] = own_cpu()
        return Reading(
            time.monotonic(),
            touch_calls,
            touch_rows,
            rows_written,
            statements,
            queries,
            calls,
            cpu,
        )


def redis_delta(before: Reading, after: Reading) -> dict[str, int]:
    found = {
        name: after.redis.get(name, 0) - before.redis.get(name, 0)
        for name in set(after.redis) | set(before.redis)
    }
    found.pop("info", None)  # the meter's own (nothing else here sends INFO)
    return {name: count for name, count in sorted(found.items(), key=lambda kv: -kv[1]) if count}


def top_statements(before: Reading, after: Reading, count: int = 8) -> list[str]:
    ran = [
        (calls - before.queries.get(text, 0), text)
        for text, calls in after.queries.items()
        if calls > before.queries.get(text, 0)
    ]
    ran.sort(key=lambda entry: -entry[0])
    return [f"{calls}x {' '.join(text.split())[:110]}" for calls, text in ran[:count]]


def between(before: Reading, after: Reading) -> dict[str, Any]:
    seconds = after.at - before.at
    commands = redis_delta(before, after)
    return {
        "seconds": round(seconds, 2),
        "touch_statements": after.touch_calls - before.touch_calls,
        "touch_rows": after.touch_rows - before.touch_rows,
        "rows_written": after.rows_written - before.rows_written,
        "statements": after.statements - before.statements,
        "sql_top": top_statements(before, after),
        "redis_commands": sum(commands.values()),
        "redis_by_command": commands,
        "cpu_percent": {
            name: round((after.cpu[name] - before.cpu[name]) / seconds * 100, 1)
            for name in after.cpu
        },
    }


async def drain(meter: Meter, after: Reading, limit: float) -> Reading:
    """Wait until a second passes without an activity write (frames the server had not
    handled yet when the client stopped), ``limit`` seconds at most."""
    started, last = time.monotonic(), after
    while time.monotonic() - started < limit:
        await asyncio.sleep(1.0)
        now = await asyncio.to_thread(meter.read)
        if now.touch_rows == last.touch_rows:
            return now
        last = now
    return last


class Sampler:
    """A reading every SAMPLE_EVERY seconds in a thread of its own (for the plot)."""

    def __init__(self, meter: Meter) -> None:
        self.meter, self.readings = meter, [meter.read()]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopping.wait(SAMPLE_EVERY):
            self.readings.append(self.meter.read())

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        self.readings.append(self.meter.read())

    def series(self) -> list[dict[str, Any]]:
        first, rows = self.readings[0], []
        for before, after in zip(self.readings, self.readings[1:], strict=False):
            seconds = after.at - before.at
            rows.append(
                {
                    "t": round(after.at - first.at, 2),
                    "touch_rows_per_s": round((after.touch_rows - before.touch_rows) / seconds, 1),
                    "redis_commands_per_s": round(
                        sum(redis_delta(before, after).values()) / seconds, 1
                    ),
                    "daphne_cpu_percent": round(
                        (after.cpu["daphne"] - before.cpu["daphne"]) / seconds * 100, 1
                    ),
                    "redis_cpu_percent": round(
                        (after.cpu["redis"] - before.cpu["redis"]) / seconds * 100, 1
                    ),
                }
            )
        return rows
