"""Benchmark 9, kill to tab: each way Django ends a session's validity, until its tabs hear it.

For every kind of kill, the time from the moment it is made to the `expired` frame reaching each
open tab of the sessions it ends, on the demo under two daphne processes sharing Redis (the
default `RedisChannelLayer`). Each sample is a fresh user with two sessions of three tabs each,
the tabs of each session spread over both processes. The kill is made where Django code makes
it: the password change view over HTTP, from this process; everything else in a Django process
of its own on the demo's settings, database and Redis (as a shell, a script, a Celery task),
which this process commands over a pipe (bench/kill_process.py). One clock: this process
stamps the kill (as it writes the command, or sends the POST) and the frames; the pipe's hop
is in the figure. The session a kill must spare is checked to live on (an `extend` from one of
its tabs reaches all of them as `active`, no `expired` before it); it raises if not.

The reference, measured in the same run and on the same tabs: the bare push, as benchmark 3
measures it (an `extend` from a tab until `active` reaches a tab of the session on the other
process), once in each sample just before the kill, so that both see the same machine.
django-session-security pushes nothing: a killed session's tab learns at its next request or
poll, up to EXPIRE_AFTER - WARN_AFTER later (60 s at its defaults); that figure comes from its
design.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.servers import Demo
from tests.web import Browser, frame_of

from .harness import Context, summary_ms
from .kill_process import Worker

#: kind -> (whose sessions it ends: the user's "other" sessions than the one making it, all the
#: "user"'s, or one "session"; the reason its tabs are told; what it is, for the report).
KINDS: dict[str, tuple[str, str, str]] = {
    "password_view": ("other", "password_changed", "Django's password change view, over HTTP"),
    "set_password_save": ("user", "password_changed", "`user.set_password(...); user.save()`"),
    "deactivate": ("user", "deactivated", "`user.is_active = False; user.save()`"),
    "delete_user": ("user", "user_deleted", "`user.delete()`"),
    "session_flush": ("session", "revoked", "`SessionStore(key).flush()`"),
    "clearsessions": ("session", "revoked", '`call_command("clearsessions")`, the row expired'),
    "ending_api": ("session", "revoked", "`ending.end_session(key)`, `end_user_sessions(user)`"),
    "cache_eviction": (
        "session",
        "revoked",
        "the session's entry gone from the `cache` engine's cache",
    ),
}
#: The kinds sampled on a pair whose sessions the cache engine keeps, in Redis: the others
#: need the session rows of the `db` engine.
CACHE_KINDS = ("cache_eviction",)
CACHE_ENGINE = "django.contrib.sessions.backends.cache"
#: The calls of ``ending_api``, in turns; the second ends every session of the user.
ENDING_API = ("end_session", "end_user_sessions")
TABS = 3  # per session; two sessions per sample
WAIT = 5.0  # seconds a tab waits for `expired` before it counts as missed
REFERENCE_WORST_CASE_MS = 60_000  # django-session-security, by design


def password_form(browser: Browser, password: str) -> Callable[[], tuple[float, int]]:
    """Django's password change form, filled in (its CSRF token fetched now): a call that
    stamps the moment it sends the POST and gives that and the response's status."""
    _, _, page = browser.get("/password")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page
    new = uuid.uuid4().hex
    fields = {"old_password": password, "new_password1": new, "new_password2": new}
    data = urlencode({**fields, "csrfmiddlewaretoken": token.group(1)}).encode()

    def submit() -> tuple[float, int]:
        request = Request(browser.demo.url + "/password", data=data)
        started = time.perf_counter()
        try:
            with browser.opener.open(request, timeout=10) as response:
                return started, int(response.status)
        except HTTPError as answer:  # a 302 arrives as one: the opener follows no redirect
            return started, answer.code

    return submit


async def arrival(tab: ClientConnection) -> tuple[float, str] | None:
    """When `expired` reached ``tab`` (this process's clock) and its reason; None if not in
    time."""
    try:
        frame = await frame_of(tab, "expired", WAIT)
    except (TimeoutError, ConnectionClosed):
        return None
    return time.perf_counter(), str(frame["reason"])


async def extend_across(tabs: list[ClientConnection], kind: str) -> float:
    """An `extend` from a session's first tab until its second, on the other process, hears
    `active`: the bare push. Every tab of the session must hear it, and none `expired` first."""
    started = time.perf_counter()
    await tabs[0].send('{"type": "extend"}')
    took = 0.0
    for tab in (tabs[1], tabs[0], *tabs[2:]):  # the timed one first: its frame waits for no other
        while (frame := json.loads(await asyncio.wait_for(tab.recv(), WAIT)))["type"] != "active":
            if frame["type"] == "expired":
                raise RuntimeError(f"{kind}: a session it must not end got {frame}")
        took = took or time.perf_counter() - started
    return took


class Sampler:
    """Samples on a demo pair: per kind, per tab, from the kill to its `expired`."""

    def __init__(self, demos: tuple[Demo, Demo], worker: Worker, first: int = 0) -> None:
        self.demos, self.worker, self.count = demos, worker, first
        self.latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.calls: dict[str, list[float]] = {}
        self.pushes: list[float] = []
        self.missed: Counter[str] = Counter()
        self.reasons: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}

    async def sample(self, kind: str, *, keep: bool = True) -> None:
        """A fresh user signed in twice, three tabs each over both processes; one kill."""
        self.count += 1
        index, username, password = self.count, f"kill-{self.count}", uuid.uuid4().hex
        await self.worker.ask(op="user", username=username, password=password)
        browsers = [Browser(self.demos[(index + n) % 2]) for n in range(2)]
        for browser in browsers:
            browser.sign_in(username=username, password=password)
        call = ENDING_API[index // len(KINDS) % 2] if kind == "ending_api" else kind
        scope = "user" if call == "end_user_sessions" else KINDS[kind][0]
        async with AsyncExitStack() as stack:
            tabs = [
                [
                    await stack.enter_async_context(browser.tab(on=self.demos[(index + t) % 2]))
                    for t in range(n, n + TABS)
                ]
                for n, browser in enumerate(browsers)
            ]
            for tab in tabs[0] + tabs[1]:
                await frame_of(tab, "hello")
            push = await extend_across(tabs[1], kind)  # the reference, on the same tabs
            spared = [] if scope == "user" else tabs[0]
            victims = tabs[1] if spared else tabs[0] + tabs[1]
            if call == "password_view":
                submit = password_form(browsers[0], password)
            else:
                key = browsers[1].session_key
                await self.worker.ask(op="arm", call=call, username=username, key=key)
            gc.collect()
            gc.disable()  # no pause of this process's own in the window
            try:
                waits = [asyncio.create_task(arrival(tab)) for tab in victims]
                if call == "password_view":
                    started, status = await asyncio.to_thread(submit)
                    took = time.perf_counter() - started
                    if status != 302:
                        raise RuntimeError(f"password_view: the POST answered {status}")
                else:
                    started = time.perf_counter()
                    self.worker.send(op="go")
                    took = (await self.worker.reply())["took"]
                arrived = await asyncio.gather(*waits)
            finally:
                gc.enable()
            if spared:
                await extend_across(spared, kind)
        if keep:
            self.pushes.append(push)
            self.calls.setdefault(call, []).append(took)
            for seen in arrived:
                if seen is None:
                    self.missed[kind] += 1
                else:
                    self.latencies[kind].append(seen[0] - started)
                    self.reasons[kind][seen[1]] += 1

    def summary(self, kind: str, samples: int) -> dict[str, Any]:
        calls = ENDING_API if kind == "ending_api" else (kind,)
        return {
            **summary_ms(self.latencies[kind]),
            "samples": samples,
            "missed": self.missed[kind],
            "reasons": dict(self.reasons[kind]),
            "call": {name: call_summary(self.calls[name]) for name in calls},
        }


def call_summary(samples: list[float]) -> dict[str, float]:
    """How long the kill itself took, as its caller saw it: p50 and p99 (ms)."""
    entry = summary_ms(samples)
    return {"p50_ms": entry["p50_ms"], "p99_ms": entry["p99_ms"]}


async def measure(
    demos: tuple[Demo, Demo], rounds: int, folder: Path, kinds: tuple[str, ...], first: int = 0
) -> dict[str, Any]:
    """``rounds`` samples of each of ``kinds``, in turns (so that all see the same machine),
    after two rounds that warm up (imports, connections, both calls of the ending API); users
    are numbered from ``first`` (a pair shares the database of no other, but one naming)."""
    worker = await Worker.start(demos[0].process.env, folder / "worker.log")
    try:
        sampler = Sampler(demos, worker, first)
        for round_ in range(rounds + 2):
            for kind in kinds:
                await sampler.sample(kind, keep=round_ >= 2)
        hashes = [(await worker.ask(op="hash"))["took"] for _ in range(min(rounds, 10))]
    finally:
        await worker.stop()
    push = summary_ms(sampler.pushes)
    summaries = {kind: sampler.summary(kind, rounds) for kind in kinds}
    for entry in summaries.values():  # against the bare push of the same pair and samples
        if entry["n"]:
            entry["p50_vs_bare_push"] = round(entry["p50_ms"] / push["p50_ms"], 2)
            entry["p99_vs_bare_push"] = round(entry["p99_ms"] / push["p99_ms"], 2)
    return {"kinds": summaries, "bare_push": push, "pbkdf2_hash": summary_ms(hashes)}


def run(context: Context) -> dict[str, Any]:
    rounds = 3 if context.quick else 50
    env = {"SESSIONS_LIVE_WARN_AFTER": "300", "SESSIONS_LIVE_EXPIRE_AFTER": "600"}
    load = [os.getloadavg()[0]]  # what else the machine ran, beside this benchmark
    rows = tuple(kind for kind in KINDS if kind not in CACHE_KINDS)
    with context.demo(2, **env) as (one, two):
        measured = asyncio.run(measure((one, two), rounds, context.folder("kills"), rows))
    with context.demo(2, **env, DJANGO_SESSION_ENGINE=CACHE_ENGINE) as (one, two):
        folder = context.folder("kills-cache")
        cached = asyncio.run(measure((one, two), rounds, folder, CACHE_KINDS, first=100_000))
    load.append(os.getloadavg()[0])
    kinds = {**measured["kinds"], **cached["kinds"]}
    push, hashing = measured["bare_push"], measured["pbkdf2_hash"]
    print(f"   bare push: p50 {push['p50_ms']:.1f} ms, p99 {push['p99_ms']:.1f} ms", flush=True)
    cache_push = cached["bare_push"]
    print(
        f"   bare push, cache engine pair: p50 {cache_push['p50_ms']:.1f} ms,"
        f" p99 {cache_push['p99_ms']:.1f} ms",
        flush=True,
    )
    for kind, entry in kinds.items():
        print(
            f"   {kind}: p50 {entry.get('p50_ms', 0):.1f} ms "
            f"(x{entry.get('p50_vs_bare_push')}), p99 {entry.get('p99_ms', 0):.1f} ms "
            f"(x{entry.get('p99_vs_bare_push')}) over {entry['n']} tabs, missed {entry['missed']}",
            flush=True,
        )
    print(f"   one PBKDF2 hash (not in the figures): p50 {hashing['p50_ms']:.0f} ms", flush=True)
    return {
        "bare_push": push,
        "bare_push_cache_engine": cache_push,
        "kinds": kinds,
        "pbkdf2_hash": hashing,
        "load_average": load,
        "tabs_per_session": TABS,
        "reference_worst_case_ms": REFERENCE_WORST_CASE_MS,
        "notes": [
            "One client process stamps the kill and the frames (perf_counter). The password "
            "view's figure runs from sending the POST; the others' from writing the command "
            "to the Django process that makes the kill, so the pipe's hop is in them.",
            "The kill process pushes as a shell or a Celery task does: async_to_sync, a new "
            "event loop and Redis connection per push.",
            "The demo hashes passwords with MD5 (DEMO_INSECURE_FAST_PASSWORDS), so the "
            "password kinds leave out what Django's default PBKDF2 costs before the save: "
            f"{hashing.get('p50_ms', 0):.0f} ms a hash here (p50, the same run), one for "
            "set_password, two for the view (the old password's check, the new one's hash).",
            f"The machine's 1-minute load average was {load[0]:.1f} as the run began and "
            f"{load[1]:.1f} as it ended, on {os.cpu_count()} cores.",
            "cache_eviction deletes the session's cache entry; an eviction under memory "
            "pressure leaves the same absence, which is all the watch can see.",
            "The tabs of one sample are told by one push each: not independent samples. The "
            "client, both daphne processes, the kill process and Redis share the machine's "
            "cores, and SQLite is the database.",
        ],
    }
