"""The dashboard benchmark's churn: the store's own functions called at a steady rate from a
process of its own, as the tabs and requests of a busy site would.

``python -m bench.dashboard_churn`` is that process, with the demo's settings and a plan
(CHURN_PLAN, CHURN_STOP, CHURN_RATE) from :class:`Churn`, which starts and stops it.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.servers import ROOT

#: The share of churned sessions ended and started (the rest are touched).
END_SHARE = START_SHARE = 0.05


def main() -> None:  # pragma: no cover - runs in a subprocess with the demo's settings
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from sessions_live import store
    from sessions_live.models import EndReason

    plan = json.loads(Path(os.environ["CHURN_PLAN"]).read_text())
    stop = Path(os.environ["CHURN_STOP"])
    rate = float(os.environ["CHURN_RATE"])
    live: list[str] = list(plan["ids"])
    users = list(get_user_model().objects.filter(pk__in=plan["users"][:200]))
    chooser = random.Random(6)
    counts = {"touch": 0, "end": 0, "start": 0}
    tick, started = 0.1, time.monotonic()
    done = 0
    while not stop.exists():
        due = started + done / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, tick))
            continue
        now = time.time()
        draw = chooser.random()
        if draw < END_SHARE and len(live) > 1:
            victim = live.pop(chooser.randrange(len(live)))
            store.claim_end(uuid.UUID(victim), EndReason.TERMINATED, now)
            counts["end"] += 1
        elif draw < END_SHARE + START_SHARE:
            user = chooser.choice(users)
            fresh = store.start(
                secrets.token_hex(16),
                user,
                ip="10.255.0.1",
                user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                now=now,
            )
            # store.start returns the record, or (record, created) since presence landed.
            record = fresh[0] if isinstance(fresh, tuple) else fresh
            live.append(record.pk.hex)
            counts["start"] += 1
        else:
            store.touch(uuid.UUID(chooser.choice(live)), now, now)
            counts["touch"] += 1
        done += 1
    elapsed = time.monotonic() - started
    print(json.dumps({**counts, "seconds": round(elapsed, 2), "per_s": round(done / elapsed, 1)}))


class Churn:
    """The churn process: started, then stopped with a file (so it prints what it did)."""

    def __init__(self, env: dict[str, str], ids: list[str], users: list[int], rate: float):
        self.folder = Path(tempfile.mkdtemp(prefix="sessions-live-churn-"))
        plan = self.folder / "plan.json"
        plan.write_text(json.dumps({"ids": ids, "users": users}))
        self.stop_file = self.folder / "stop"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.dashboard_churn"],
            cwd=ROOT,
            env={
                **env,
                "CHURN_PLAN": str(plan),
                "CHURN_STOP": str(self.stop_file),
                "CHURN_RATE": str(rate),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> dict[str, Any]:
        self.stop_file.write_text("")
        out, err = self.process.communicate(timeout=30)
        if self.process.returncode != 0:
            raise RuntimeError(f"the churn failed:\n{out}\n{err}")
        found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return found


if __name__ == "__main__":
    main()
