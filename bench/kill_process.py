"""The Django process that makes benchmark 9's kills (bench/kills.py): ``python -m
bench.kill_process`` on the demo's settings, database and Redis, as a shell, a script or a
Celery task runs. It reads one JSON command a line on stdin and answers each with one line on
stdout: ``user`` (create one), ``arm`` (prepare a kill: load what it needs), ``go`` (make it,
answering how long the call took on this process's clock; ``cache_eviction`` deletes the
session's cache entry), ``hash`` (one PBKDF2 hash, to say what the demo's MD5 leaves out).
:class:`Worker` is the benchmark's handle on it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.servers import ROOT


class Worker:
    """The Django process that makes the kills, commanded one JSON line at a time."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process, self.log = process, log

    @classmethod
    async def start(cls, env: dict[str, str], log: Path) -> Worker:
        with log.open("ab") as err:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.kill_process", cwd=ROOT, env=env,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
            )  # fmt: skip
        return cls(process, log)

    def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())

    async def reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 60)
        if not line:
            raise RuntimeError(f"the kill process exited:\n{self.log.read_text()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ask(self, **command: Any) -> dict[str, Any]:
        self.send(**command)
        return await self.reply()

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 10)


def serve() -> None:
    """Read commands on stdin, one JSON line each; answer each with one line on stdout."""
    import django

    django.setup()

    from datetime import timedelta
    from functools import partial
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.core.cache import caches
    from django.core.management import call_command
    from django.utils import timezone

    from sessions_live import ending

    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed goes to the log
    sessions, users = import_module(settings.SESSION_ENGINE).SessionStore, get_user_model()

    def arm(call: str, username: str, key: str) -> Callable[[], object]:
        user = users._default_manager.get(username=username)
        if call == "clearsessions":  # its row expired, for clearsessions to delete
            past = timezone.now() - timedelta(days=1)
            sessions.get_model_class().objects.filter(session_key=key).update(expire_date=past)
        kills: dict[str, Callable[[], object]] = {
            "set_password_save": lambda: (user.set_password(uuid.uuid4().hex), user.save()),
            "deactivate": lambda: (setattr(user, "is_active", False), user.save()),
            "delete_user": user.delete,
            "session_flush": sessions(key).flush,
            "clearsessions": partial(call_command, "clearsessions"),
            "end_session": partial(ending.end_session, key),
            "end_user_sessions": partial(ending.end_user_sessions, user),
            # The cache engine's entry gone, as the cache evicts it: nothing else is told.
            "cache_eviction": lambda: caches[settings.SESSION_CACHE_ALIAS].delete(
                sessions.cache_key_prefix + key
            ),
        }
        return kills[call]

    armed: Callable[[], object] | None = None
    for line in sys.stdin:
        command, reply = json.loads(line), {}
        if command["op"] == "user":
            users._default_manager.create_user(command["username"], password=command["password"])
        elif command["op"] == "arm":
            armed = arm(command["call"], command["username"], command["key"])
        elif command["op"] == "hash":  # what Django's default hasher costs here
            hasher = PBKDF2PasswordHasher()
            started = time.perf_counter()
            hasher.encode(uuid.uuid4().hex, hasher.salt())
            reply["took"] = time.perf_counter() - started
        elif command["op"] == "go" and armed is not None:
            started = time.perf_counter()
            armed()
            reply["took"] = time.perf_counter() - started
        out.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    serve()
