"""Benchmark 5, activity storm: many sessions, five tabs each, all sending input at once.

1,000 sessions x 5 tabs (quick: 10 x 5), each tab sending an ``activity`` frame every second
for 60 s (quick: 2 s), steadily spread over the second: five times what the browser client
sends at most (two per ACTIVITY_INTERVAL, 10 s here) and a sixth of the server's rate limit
(60 frames per 10 s). Measured on PostgreSQL (a private cluster, a fresh database per layer),
with each channels-redis layer in turn, one daphne process:

- database writes: calls and rows of the activity UPDATE (``store.touch``: ``last_activity =
  GREATEST(...)``) from ``pg_stat_statements``, and every row written, from the same view;
- Redis commands: ``INFO commandstats`` deltas; group sends are ZCOUNT calls (core layer: one
  per ``group_send`` and daphne process, in its Lua script) or PUBLISH calls (pub/sub
  layer), cross-checked with the ``active`` frames the tabs received, divided by the tabs
  per session;
- CPU: /proc/<pid>/stat of daphne, redis-server, PostgreSQL (the postmaster, its backends and
  the backends it reaped) and this client.

Each figure is given per session per minute and per session per activity window, against the
target of one write and one fan-out per session per window however many tabs and events; a
window of the same open sockets without input comes first, as the floor the storm adds to.
The sessions are made in the database (bench/seeding.py), not by 1,000 sign-ins.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import redis
from websockets.asyncio.client import ClientConnection, connect

from tests.postgres import PrivateCluster, private_server
from tests.servers import Demo

from .harness import Context, cpu_seconds, save_figure
from .idle_cost import configure_cluster
from .seeding import seed

TABS = 5
RATE = 1.0  # activity frames per tab per second
WARN_AFTER, EXPIRE_AFTER = 3000.0, 3600.0  # nobody warns or expires during the run
#: The demo's ACTIVITY_INTERVAL at these timeouts (project/settings.py: min(10, WARN / 4)).
ACTIVITY_INTERVAL = min(10.0, WARN_AFTER / 4)
BATCH = 100  # sockets opened at once
TICK = 0.02  # seconds between two bursts of frames
FRAME = '{"type": "activity"}'
SAMPLE_EVERY = 1.0  # seconds


@dataclass(frozen=True)
class Size:
    sessions: int
    duration: float  # seconds of storm
    idle: float  # seconds of the quiet window before it
    drain: float  # seconds at most to wait, after the storm, for the writes to stop


QUICK = Size(10, 2.0, 1.0, 1.0)
FULL = Size(1000, 60.0, 5.0, 5.0)


# What the services did -----------------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its live children and the children it reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    total = sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # it exited
            total += cpu_seconds(int(child))
    return total


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


# The tabs -------------------------------------------------------------------------------------


@dataclass
class Tabs:
    sockets: list[ClientConnection] = field(default_factory=list)
    received: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                self.received[json.loads(message).get("type", "?")] += 1
        except Exception:
            pass
        code = ws.close_code
        self.closed[str(code)] += 1


async def open_tabs(demo: Demo, keys: list[str]) -> Tabs:
    """TABS sockets per session key, BATCH at a time, each past its ``hello``."""
    tabs = Tabs()

    async def one(key: str) -> ClientConnection:
        ws = await connect(
            demo.ws_url,
            origin=demo.url,  # type: ignore[arg-type]
            additional_headers={"Cookie": f"sessionid={key}"},
            open_timeout=60,
            max_queue=None,  # the reader keeps up; never push back on daphne
        )
        hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if hello.get("type") != "hello":
            raise RuntimeError(f"a tab was answered {hello}")
        return ws

    wanted = [key for key in keys for _ in range(TABS)]
    for start in range(0, len(wanted), BATCH):
        tabs.sockets += await asyncio.gather(*(one(key) for key in wanted[start : start + BATCH]))
    loop = asyncio.get_running_loop()
    tabs.readers = [loop.create_task(tabs.read(ws)) for ws in tabs.sockets]
    return tabs


async def storm(tabs: Tabs, duration: float) -> dict[str, Any]:
    """Every tab sends FRAME RATE times a second, the tabs spread evenly over the second."""
    slots = max(1, round(1 / (RATE * TICK)))
    by_slot = [tabs.sockets[slot::slots] for slot in range(slots)]
    sent, late, started = 0, 0.0, time.monotonic()
    tick = 0
    while (due := started + tick * TICK) < started + duration:
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late = max(late, -delay)
        batch = by_slot[tick % slots]
        results = await asyncio.gather(*(ws.send(FRAME) for ws in batch), return_exceptions=True)
        sent += sum(1 for result in results if result is None)
        tick += 1
    elapsed = time.monotonic() - started
    return {
        "frames_sent": sent,
        "frames_per_tab_per_s": round(sent / len(tabs.sockets) / elapsed, 3),
        "sender_late_max_s": round(late, 3),
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


#: What daphne logs when a push is lost: the channel layer refused it (redis-py's connection
#: pool is full) or dropped it (the core layer's per-channel capacity).
TROUBLE = {
    "push_failed_pool_full": "MaxConnectionsError",
    "layer_outage_logged": "the channel layer is unreachable",
    "channels_over_capacity_logged": "channels over capacity",
}


def layer_trouble(log: Path, offset: int) -> dict[str, int]:
    with log.open("rb") as file:
        file.seek(offset)
        text = file.read().decode(errors="replace")
    return {name: text.count(needle) for name, needle in TROUBLE.items()}


def close_tabs(tabs: Tabs) -> None:
    for reader in tabs.readers:
        reader.cancel()
    for ws in tabs.sockets:
        ws.transport.abort()  # the server is gone already: no closing handshake to wait for


# One layer ------------------------------------------------------------------------------------


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


def per_session(window: dict[str, Any], sessions: int, group_sends: int) -> dict[str, Any]:
    minutes = window["seconds"] / 60
    windows = window["seconds"] / ACTIVITY_INTERVAL

    def rate(count: float, per: float) -> float:
        return round(count / sessions / per, 3)

    return {
        "writes_per_session_per_minute": rate(window["touch_rows"], minutes),
        "writes_per_session_per_window": rate(window["touch_rows"], windows),
        "group_sends_per_session_per_minute": rate(group_sends, minutes),
        "group_sends_per_session_per_window": rate(group_sends, windows),
        "rows_written_per_session_per_minute": rate(window["rows_written"], minutes),
        "redis_commands_per_session_per_minute": rate(window["redis_commands"], minutes),
        "redis_commands_per_session_per_window": rate(window["redis_commands"], windows),
    }


def measure_layer(
    context: Context, cluster: PrivateCluster, layer: str, size: Size
) -> dict[str, Any]:
    database = f"storm_{layer}"
    url = cluster.server.create(database)
    with context.demo(
        1,
        DATABASE_URL=url,
        REDIS_LAYER=layer,
        SESSIONS_LIVE_WARN_AFTER=str(WARN_AFTER),
        SESSIONS_LIVE_EXPIRE_AFTER=str(EXPIRE_AFTER),
    ) as (demo,):
        assert demo.process.process is not None
        assert context.redis.process is not None
        began = time.monotonic()
        keys = seed(demo.process.env, size.sessions, f"storm-{layer}-").keys
        seeded = time.monotonic() - began
        meter = Meter(cluster, database, context.redis.url)
        meter.pids = {"daphne": demo.process.process.pid, "redis": context.redis.process.pid}
        loop = asyncio.new_event_loop()
        try:
            began = time.monotonic()
            tabs = loop.run_until_complete(open_tabs(demo, keys))
            opened = time.monotonic() - began
            loop.run_until_complete(asyncio.sleep(min(3.0, size.idle)))  # the opening settles
            before_idle = meter.read()
            loop.run_until_complete(asyncio.sleep(size.idle))
            before = meter.read()
            idle = between(before_idle, before)
            received_before = Counter(tabs.received)
            log_from = demo.log.stat().st_size
            with Sampler(meter) as sampler:
                sending = loop.run_until_complete(storm(tabs, size.duration))
                after = meter.read()
                drained = loop.run_until_complete(drain(meter, after, size.drain))
            stormy = between(before, after)
            drain_window = between(after, drained)
            received = dict(tabs.received - received_before)
            logged = layer_trouble(demo.log, log_from)
            demo.process.kill()  # at once: 5,000 goodbyes would only add writes after the end
            close_tabs(tabs)
            loop.run_until_complete(asyncio.sleep(0.1))
        finally:
            loop.close()
            meter.close()
    # One ZCOUNT per group send and daphne process holding members (in the core layer's
    # script; the receive loop's script runs ZRANGE too), one PUBLISH per group send.
    fan_out = "publish" if layer == "pubsub" else "zcount"
    group_sends = stormy["redis_by_command"].get(fan_out, 0)
    active = received.get("active", 0)
    writes = stormy["touch_rows"] + drain_window["touch_rows"]
    return {
        "layer": layer,
        "seed_s": round(seeded, 1),
        "open_s": round(opened, 1),
        **sending,
        "frames_received": received,
        "sockets_closed_during_run": {
            code: count for code, count in tabs.closed.items() if code != "1006"
        },
        "group_sends": group_sends,
        "group_sends_from_active_frames": round(active / TABS, 1),
        # Each write is pushed to the session's tabs: what share of those `active` frames came.
        "active_delivered_fraction": round(active / (writes * TABS), 3) if writes else None,
        "daphne_log": logged,
        "storm": stormy,
        "drain": drain_window,
        "idle": idle,
        "per_session": per_session(stormy, size.sessions, group_sends),
        "idle_per_session": per_session(
            idle, size.sessions, idle["redis_by_command"].get(fan_out, 0)
        ),
        "series": sampler.series(),
    }


def run(context: Context) -> dict[str, Any]:
    size = QUICK if context.quick else FULL
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = size.sessions * TABS * 2 + 1000  # both ends of every socket, if daphne inherits
    if soft < needed <= hard or (soft < needed and hard == resource.RLIM_INFINITY):
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    layers: dict[str, Any] = {}
    with private_server() as cluster:
        statements = configure_cluster(cluster)
        for layer in context.layers:
            layers[layer] = measure_layer(context, cluster, layer, size)
    return {
        "sessions": size.sessions,
        "tabs_per_session": TABS,
        "frames_per_tab_per_s": RATE,
        "duration_s": size.duration,
        "idle_window_s": size.idle,
        "activity_interval_s": ACTIVITY_INTERVAL,
        "target_per_session_per_window": {"writes": 1, "group_sends": 1},
        "pg_stat_statements": statements,
        "open_files": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        **layers,
        "notes": notes(size, statements),
    }


def notes(size: Size, statements: bool) -> list[str]:
    found = [
        f"{size.sessions} sessions x {TABS} tabs on one daphne process, each tab sending"
        f" {RATE:g} activity frame/s for {size.duration:g} s (the browser client sends at most"
        f" 2 per {ACTIVITY_INTERVAL:g} s); sessions made in the database (bench/seeding.py),"
        " not by sign-ins.",
        "The client (websockets, one asyncio loop), daphne, Redis and PostgreSQL share the"
        " machine's two cores: a saturated core shows as daphne near 100% and the client's"
        " frames_per_tab_per_s under the rate asked for.",
        "Writes are rows of the activity UPDATE (store.touch) from pg_stat_statements; group"
        " sends are ZCOUNT (core layer: run once per group_send and daphne process by its Lua"
        " script) or PUBLISH (pub/sub layer) calls, cross-checked with the active frames the"
        " tabs received (group_sends_from_active_frames);"
        " Redis commands count those run inside the core layer's Lua script (ZCOUNT, ZADD,"
        " EXPIRE) and the receive loop's BZPOPMIN.",
        "The idle figures are the same open sockets without input just before the storm: the"
        " floor the storm's figures include (the presence beat, the sweep, the layer's receive"
        " loop).",
        "There is no reference: django-session-security writes the session on each ping of"
        " each tab and has no fan-out. The target is the floor: one write and one fan-out per"
        f" session per {ACTIVITY_INTERVAL:g} s window.",
    ]
    if not statements:
        found.append(
            "This PostgreSQL has no pg_stat_statements: writes are n_tup_upd of the LiveSession"
            " table (every UPDATE, not only activity), whose counts lag up to a second."
        )
    return found


# The report's section -------------------------------------------------------------------------

LAYER_NAMES = {"core": "RedisChannelLayer", "pubsub": "RedisPubSubChannelLayer"}


def section(result: dict[str, Any], images: Path) -> list[str]:
    """docs/benchmarks.md's table for this benchmark (bench/report.py calls it)."""
    window = result.get("activity_interval_s", ACTIVITY_INTERVAL)
    lines = [
        "## Activity storm (benchmark 5)",
        "",
        f"{result['sessions']} sessions x {result['tabs_per_session']} tabs on one daphne"
        f" process, every tab sending {result['frames_per_tab_per_s']:g} `activity` frame/s for"
        f" {result['duration_s']:g} s (the browser client sends at most 2 per"
        f" {window:g} s), on PostgreSQL. Target and floor: one write and one fan-out per"
        f" session per activity window ({window:g} s), however many tabs and events. No"
        " reference: django-session-security has no push, and writes the session on every"
        " ping of every tab.",
        "",
        "| layer | writes / session / window (target 1) | group sends / session / window"
        " (target 1) | Redis commands / session / min | pushed `active` frames delivered |"
        " daphne / Redis / PostgreSQL / client CPU (% of a core) |",
        "|---|---|---|---|---|---|",
    ]
    for layer in ("core", "pubsub"):
        entry = result.get(layer)
        if not entry:
            continue
        figures, cpu = entry["per_session"], entry["storm"]["cpu_percent"]
        idle = entry["idle_per_session"]
        delivered = entry.get("active_delivered_fraction")
        lines.append(
            f"| {LAYER_NAMES[layer]} | {figures['writes_per_session_per_window']:.2f} |"
            f" {figures['group_sends_per_session_per_window']:.2f} |"
            f" {figures['redis_commands_per_session_per_minute']:.1f}"
            f" (idle: {idle['redis_commands_per_session_per_minute']:.1f}) |"
            f" {'n/a' if delivered is None else f'{delivered:.0%}'} |"
            f" {cpu['daphne']:.0f} / {cpu['redis']:.0f} / {cpu['postgres']:.0f} /"
            f" {cpu['client']:.0f} |"
        )
    lines.append("")
    for layer in ("core", "pubsub"):
        entry = result.get(layer)
        if not entry:
            continue
        log = entry.get("daphne_log", {})
        lines.append(
            f"- {LAYER_NAMES[layer]}: {entry['frames_sent']} frames sent"
            f" ({entry['frames_per_tab_per_s']:g} per tab per s), {entry['storm']['touch_rows']}"
            f" activity writes ({entry['drain']['touch_rows']} more in the"
            f" {entry['drain']['seconds']:g} s after the last frame), {entry['group_sends']}"
            f" group sends; daphne logged {log.get('push_failed_pool_full', 0)} pushes refused"
            f" by a full Redis connection pool and {log.get('channels_over_capacity_logged', 0)}"
            f" channels over capacity; opening the {result['sessions'] * TABS} sockets took"
            f" {entry['open_s']:g} s."
        )
    lines.append("")
    return [*lines, *plot_series(result, images)]


def plot_series(result: dict[str, Any], images: Path) -> list[str]:
    """Activity writes per second and daphne's CPU through the storm, per layer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = [layer for layer in ("core", "pubsub") if result.get(layer, {}).get("series")]
    if not layers:
        return []
    figure, (writes, cpu) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    for layer in layers:
        series = result[layer]["series"]
        t = [row["t"] for row in series]
        writes.plot(t, [row["touch_rows_per_s"] for row in series], label=LAYER_NAMES[layer])
        cpu.plot(t, [row["daphne_cpu_percent"] for row in series], label=LAYER_NAMES[layer])
    target = result["sessions"] / result.get("activity_interval_s", ACTIVITY_INTERVAL)
    writes.axhline(target, color="grey", linestyle="--", label="target: 1 per session per window")
    writes.set_ylabel("activity writes / s")
    cpu.set_ylabel("daphne CPU (% of a core)")
    cpu.set_xlabel("seconds since the storm began")
    for axes in (writes, cpu):
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    return save_figure(figure, "storm", images)
