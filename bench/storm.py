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

Here: one layer's run and the figures per session. Beside it: the tabs (storm_tabs.py), the
readings of the services (storm_meter.py) and the report's section (storm_report.py).
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.postgres import PrivateCluster, private_server

from .harness import Context
from .pg_stats import configure_cluster
from .seeding import seed
from .storm_meter import Meter, Sampler, between, drain
from .storm_tabs import RATE, TABS, close_tabs, open_tabs, storm

WARN_AFTER, EXPIRE_AFTER = 3000.0, 3600.0  # nobody warns or expires during the run
#: The demo's ACTIVITY_INTERVAL at these timeouts (project/settings.py: min(10, WARN / 4)).
ACTIVITY_INTERVAL = min(10.0, WARN_AFTER / 4)


@dataclass(frozen=True)
class Size:
    sessions: int
    duration: float  # seconds of storm
    idle: float  # seconds of the quiet window before it
    drain: float  # seconds at most to wait, after the storm, for the writes to stop


QUICK = Size(10, 2.0, 1.0, 1.0)
FULL = Size(1000, 60.0, 5.0, 5.0)


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
