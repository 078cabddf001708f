"""Signed-in sessions made straight in the demo's database, thousands in seconds.

Signing in over HTTP costs a password hash each (about 0.3 s here): 5,000 sign-ins would
outlast a benchmark. So the storm and dashboard benchmarks make what a sign-in leaves behind,
in bulk, through the demo's own settings and database: a user with an unusable password, a
Django session (``django.contrib.sessions``, the demo's engine) holding that user's id,
backend and session hash, and the ``LiveSession`` row the middleware would have started (with
the fields of ``store.start``). A tab opened with that session's cookie is accepted by the
tab socket exactly as after a real sign-in.

Run as ``python -m bench.seeding`` in the demo's environment (``seed`` below does), it prints
one JSON line: the session keys and the row ids.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from tests.servers import ROOT

#: What the dashboard's browser column parses; a few, as a real population has.
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
)


@dataclass
class Seeded:
    keys: list[str]  # Django session keys (a tab's cookie)
    ids: list[str]  # LiveSession ids, hex
    users: list[int]  # user ids, one per session


def seed(env: dict[str, str], count: int, prefix: str, tab_process: bool = False) -> Seeded:
    """``count`` signed-in sessions of ``count`` new users named ``prefix``NNNNN. With
    ``tab_process``, each also gets one open tab (a ``LiveTab`` row) held by a server process
    whose heartbeat is set an hour ahead, so no sweep prunes those tabs."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.seeding"],
        cwd=ROOT,
        env={
            **env,
            "SEED_COUNT": str(count),
            "SEED_PREFIX": prefix,
            "SEED_TABS": "1" if tab_process else "",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{done.stdout}\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return Seeded(keys=found["keys"], ids=found["ids"], users=found["users"])


def _main() -> None:  # pragma: no cover - runs in a subprocess with the demo's settings
    import datetime as dt
    import secrets
    import uuid

    import django

    django.setup()
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from sessions_live import store
    from sessions_live.models import LiveProcess, LiveSession, LiveTab

    count, prefix = int(os.environ["SEED_COUNT"]), os.environ["SEED_PREFIX"]
    now = timezone.now()
    user_model = get_user_model()
    with transaction.atomic():
        users = user_model.objects.bulk_create(
            [
                # "!" starts an unusable password: nobody signs in with it, and hashing it is free.
                user_model(username=f"{prefix}{index:05d}", password="!" + secrets.token_hex(8))
                for index in range(count)
            ]
        )
        encoder = SessionStore()
        keys = [secrets.token_hex(16) for _ in users]
        Session.objects.bulk_create(
            [
                Session(
                    session_key=key,
                    session_data=encoder.encode(
                        {
                            SESSION_KEY: str(user.pk),
                            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                            HASH_SESSION_KEY: user.get_session_auth_hash(),
                        }
                    ),
                    expire_date=now + dt.timedelta(days=1),
                )
                for key, user in zip(keys, users, strict=True)
            ]
        )
        lives = LiveSession.objects.bulk_create(
            [
                LiveSession(
                    id=uuid.uuid4(),
                    key_hash=store.key_hash(key),
                    user_id=user.pk,
                    ip=f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
                    user_agent=USER_AGENTS[index % len(USER_AGENTS)],
                    started=now,
                    last_activity=now,
                    changed=now,
                )
                for index, (key, user) in enumerate(zip(keys, users, strict=True))
            ]
        )
        if os.environ.get("SEED_TABS"):
            process = LiveProcess.objects.create(
                name=f"seeded-{prefix}",
                host="bench",
                pid=None,
                started=now,
                seen=now + dt.timedelta(hours=1),  # never stale while the benchmark runs
            )
            LiveTab.objects.bulk_create(
                [
                    LiveTab(
                        session=live,
                        channel_name=f"seeded.{prefix}.{index}",
                        process=process.name,
                        opened=now,
                    )
                    for index, live in enumerate(lives)
                ]
            )
    print(
        json.dumps(
            {
                "keys": keys,
                "ids": [live.pk.hex for live in lives],
                "users": [user.pk for user in users],
            }
        )
    )


if __name__ == "__main__":
    _main()
