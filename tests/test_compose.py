"""docker-compose.yml, the Dockerfile and deploy/nginx.conf stay true to the project.

Docker does not run here, so each thing the deployment relies on is checked where it lives:
the services and their health checks, the daphne command (its flags parse, its ASGI path
imports, and run for real it reads the client address the way nginx sends it), every
environment variable (the settings read it), every manage.py command (it exists), every file
copied or mounted (it is there), and the proxy's WebSocket headers and timeouts.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from daphne.cli import CommandLineInterface

from .postgres import Server
from .servers import ROOT, run_demo
from .web import Browser, frame_of

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
APP_COMMAND: list[str] = SERVICES["app"]["command"]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def dockerfile_cmd() -> list[str]:
    found = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert found, "the Dockerfile has no exec-form CMD"
    command: list[str] = json.loads(found.group(1))
    return command


def run_in_demo_env(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "project.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def app_environment() -> dict[str, str]:
    """The app's environment as compose passes it, ${VAR:-default} taken at its default."""
    return {
        name: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
        for name, value in SERVICES["app"]["environment"].items()
    }


def test_the_services_a_deployment_needs_are_there() -> None:
    assert {"redis", "postgres", "migrate", "app", "nginx"} <= set(SERVICES)
    assert SERVICES["app"]["deploy"]["replicas"] >= 2
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert SERVICES["nginx"]["image"].startswith("nginx:")


def test_every_long_running_service_has_a_health_check_and_is_waited_for() -> None:
    for name, service in SERVICES.items():
        if service.get("restart") == "no":  # a one-shot job: waited for until it succeeds
            continue
        assert service["healthcheck"]["test"][0] == "CMD", name
    app_waits_for = SERVICES["app"]["depends_on"]
    assert app_waits_for["migrate"]["condition"] == "service_completed_successfully"
    assert app_waits_for["redis"]["condition"] == "service_healthy"
    assert app_waits_for["postgres"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_the_app_service_runs_the_image_command_and_daphne_accepts_it() -> None:
    assert dockerfile_cmd() == APP_COMMAND
    assert APP_COMMAND[0] == "daphne"
    parsed = CommandLineInterface().parser.parse_args(APP_COMMAND[1:])
    assert parsed.proxy_headers
    assert parsed.proxy_headers_host == "X-Real-IP"
    assert parsed.ping_interval < parsed.ping_timeout
    assert 4096 < parsed.websocket_max_message_size <= 65536  # above the protocol's 4 KiB
    # Tabs reconnect (and rejoin their group) before channels-redis forgets group members.
    assert 0 < parsed.websocket_timeout < 86400
    module, _, attribute = parsed.application.partition(":")
    imported = run_in_demo_env(
        f"import importlib; app = importlib.import_module({module!r}).{attribute}; "
        "print(type(app).__name__)",
        app_environment(),
    )
    assert imported.strip() == "ProtocolTypeRouter"


def test_every_variable_compose_and_the_image_set_is_read_by_the_settings() -> None:
    recorder = (
        "import json, os\n"
        "read = set()\n"
        "original = os._Environ.__getitem__\n"
        "def recording(self, key):\n"
        "    read.add(key)\n"
        "    return original(self, key)\n"
        "os._Environ.__getitem__ = recording\n"
        "import project.settings\n"
        "print(json.dumps(sorted(read)))\n"
    )
    read = set(json.loads(run_in_demo_env(recorder, app_environment())))
    assert set(SERVICES["app"]["environment"]) <= read
    assert SERVICES["migrate"]["environment"] == SERVICES["app"]["environment"]
    image_env = set(re.findall(r"\b((?:DJANGO|DEMO|DATABASE|REDIS)_[A-Z_]+)=", DOCKERFILE))
    assert image_env - {"DJANGO_SETTINGS_MODULE"} <= read
    assert "DJANGO_SETTINGS_MODULE" in image_env  # read by manage.py and project/asgi.py


def test_the_migrate_job_runs_commands_that_exist() -> None:
    script = SERVICES["migrate"]["command"][-1]
    wanted = re.findall(r"manage\.py (\w+)", script)
    assert wanted == ["migrate", "demo_user"]
    listed = run_in_demo_env(
        "from django.core.management import get_commands; import django; django.setup(); "
        "print('\\n'.join(get_commands()))",
        app_environment(),
    ).split()
    assert set(wanted) <= set(listed)


def test_the_image_is_slim_unprivileged_and_copies_what_exists() -> None:
    assert re.search(r"^FROM python:3\.1[1-9]-slim", DOCKERFILE, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    for source in re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), path
    installed = re.search(r'pip install "\.\[([\w,]+)\]" --group (\w+)$', DOCKERFILE, re.MULTILINE)
    assert installed
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for extra in installed.group(1).split(","):
        assert extra in pyproject["project"]["optional-dependencies"], extra
    assert installed.group(2) in pyproject["dependency-groups"]
    assert 'pip install "pip>=25.1"' in DOCKERFILE  # the first pip to read --group
    assert "collectstatic" in DOCKERFILE
    assert "/healthz" in DOCKERFILE


def test_nginx_balances_websockets_to_the_app_port() -> None:
    port = option(APP_COMMAND, "--port")
    assert re.search(rf"server app:{port} resolve;", NGINX)
    assert "proxy_pass http://app;" in NGINX
    assert "proxy_http_version 1.1;" in NGINX
    assert "proxy_set_header Upgrade $http_upgrade;" in NGINX
    assert "proxy_set_header Connection $connection_upgrade;" in NGINX
    assert "proxy_set_header Host $http_host;" in NGINX
    # daphne reads the header nginx sets to the address it saw, so a client cannot forge it.
    assert "proxy_set_header X-Real-IP $remote_addr;" in NGINX
    read_timeout = re.search(r"proxy_read_timeout (\d+)s;", NGINX)
    assert read_timeout
    assert int(read_timeout.group(1)) > float(option(APP_COMMAND, "--ping-interval"))
    published = SERVICES["nginx"]["ports"][0]
    assert published.endswith(":80")
    assert "listen 80;" in NGINX
    mount = SERVICES["nginx"]["volumes"][0].split(":")[0]
    assert (ROOT / mount).resolve() == ROOT / "deploy" / "nginx.conf"


@pytest.mark.slow
async def test_the_compose_command_serves_health_and_the_real_client_address(
    postgres: Server, redis_url: str, tmp_path: Path
) -> None:
    """daphne with the compose file's flags, on PostgreSQL with the demo's pool: /healthz
    answers, and a tab's address is the X-Real-IP nginx sets, not a forged X-Forwarded-For."""
    options = [
        part
        for index, part in enumerate(APP_COMMAND[1:-1], start=1)
        if part not in {"--bind", "--port"} and APP_COMMAND[index - 1] not in {"--bind", "--port"}
    ]
    url = postgres.create("compose_command")
    try:
        with run_demo(tmp_path, tuple(options), DATABASE_URL=url, REDIS_URL=redis_url) as demo:
            browser = Browser(demo)
            status, _, body = browser.get("/healthz")
            assert (status, body) == (200, "ok\n")
            browser.opener.addheaders += [
                ("X-Real-IP", "203.0.113.9"),
                ("X-Forwarded-For", "198.51.100.66, 203.0.113.9"),  # forged by the client
            ]
            browser.sign_in()
            headers = {
                "Cookie": browser.cookie_header,
                "X-Real-IP": "203.0.113.9",
                "X-Forwarded-For": "198.51.100.66, 203.0.113.9",
            }
            async with browser.socket(None, None, extra_headers=headers) as ws:
                await frame_of(ws, "hello")
            with psycopg.connect(url) as connection:
                addresses = connection.execute(
                    "SELECT DISTINCT host(ip) FROM sessions_live_livesession"
                ).fetchall()
            assert addresses == [("203.0.113.9",)]
    finally:
        postgres.drop("compose_command")
