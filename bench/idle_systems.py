"""The two systems the idle benchmark compares, each served under daphne with one window's
timeouts: the demo (sessions-live) and bench/reference/ (django-session-security)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import ROOT, SERVERS, free_port, wait_for_port

from .harness import Context
from .idle_windows import Window


@dataclass
class Target:
    """A served system: where it listens, who may sign in, and how to stop it at once."""

    port: int
    username: str
    password: str
    kill: Callable[[], None]
    ping_sql: dict[str, Any] | None = None  # the reference's statements of one ping


PREPARE_REFERENCE = """
import json, os
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import Client
call_command("migrate", interactive=False, verbosity=0)
name, password = os.environ["NEW_USERNAME"], os.environ["NEW_PASSWORD"]
get_user_model().objects.create_user(name, password=password)
client = Client()
assert client.login(username=name, password=password)
client.get("/")  # the middleware starts the session's activity clock
seen, opened = [], []
def record(execute, sql, params, many, context):
    seen.append(sql.split(None, 1)[0].upper())
    return execute(sql, params, many, context)
# Django sets the time zone on each new connection below execute_wrapper: count connections.
connection_created.connect(lambda sender, connection, **kwargs: opened.append(1), weak=False)
connection.close()  # under daphne, CONN_MAX_AGE=0 closes it after every request
with connection.execute_wrapper(record):
    response = client.get("/session_security/ping/", {"idleFor": "0"})
print(json.dumps({"status": response.status_code, "body": response.content.decode(),
                  "statements": seen, "connections_opened": len(opened)}))
"""


def reference_env(database_url: str, window: Window) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.reference.settings",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        "SESSION_SECURITY_WARN_AFTER": str(window.warn),
        "SESSION_SECURITY_EXPIRE_AFTER": str(window.expire),
    }
    env.pop("REDIS_URL", None)
    return env


def prepare_reference(env: dict[str, str], username: str, password: str) -> dict[str, Any]:
    """Migrate, create the user, and count the SQL statements of one ping (Django's
    execute_wrapper, in the reference's own settings and database)."""
    done = subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", PREPARE_REFERENCE],
        cwd=ROOT,
        env={**env, "NEW_USERNAME": username, "NEW_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"preparing the reference failed:\n{done.stdout}\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@contextmanager
def serve_reference(folder: Path, database_url: str, window: Window) -> Iterator[Target]:
    """bench.reference under daphne, as the demo is served (tests/servers.py)."""
    env = reference_env(database_url, window)
    username, password = "reference", secrets.token_urlsafe(16)
    ping = prepare_reference(env, username, password)
    port = free_port()
    log = folder / "daphne-reference.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            SERVERS["daphne"].argv("bench.reference.asgi:application", "127.0.0.1", port),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port("127.0.0.1", port, process, log)

        def kill() -> None:
            process.kill()
            process.wait(10)

        yield Target(port, username, password, kill, ping_sql=ping)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@contextmanager
def serve_ours(context: Context, database_url: str, window: Window) -> Iterator[Target]:
    """The demo under daphne with this window's timeouts (Redis of the run, PostgreSQL)."""
    with context.demo(
        1,
        DATABASE_URL=database_url,
        SESSIONS_LIVE_WARN_AFTER=str(window.warn),
        SESSIONS_LIVE_EXPIRE_AFTER=str(window.expire),
    ) as (demo,):
        yield Target(demo.port, demo.username, demo.password, demo.process.kill)
