"""Prometheus metrics, when ``prometheus_client`` is installed (the ``metrics`` extra).

Importing this module registers the metrics with prometheus_client's default registry and
counts sessions-live's signals (the app imports it at start-up when prometheus_client is
there). The gauges are read at scrape time: tabs from this process's presence, sessions by
state from the store in one aggregate query. ``metrics_view`` is prometheus_client's Django
view, for a URLconf; docs/metrics.md says how to protect it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

try:
    from prometheus_client import REGISTRY, Counter
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
    from prometheus_client.django import PrometheusDjangoView
    from prometheus_client.registry import Collector
except ImportError as error:
    raise ImportError(
        "sessions_live.metrics needs prometheus_client: pip install 'sessions-live[metrics]'",
        name="prometheus_client",
    ) from error

from django.contrib.auth.decorators import login_not_required
from django.dispatch import receiver

from sessions_live import signals, store
from sessions_live.runtime import push
from sessions_live.runtime.presence import presence

sessions_started = Counter(
    "sessions_live_sessions_started", "Sessions started (sign-ins) recorded by this process."
)
sessions_ended = Counter(
    "sessions_live_sessions_ended",
    "Sessions ended by this process, by end reason.",
    ["reason"],
)
warnings = Counter(
    "sessions_live_warnings",
    "Warning periods begun, by the deadline warned of (once per process holding tabs).",
    ["reason"],
)
extensions = Counter(
    "sessions_live_extensions",
    "Activity writes that moved a session's deadline, by source (tab or http).",
    ["source"],
)


class StoreCollector(Collector):
    """Gauges computed at scrape time."""

    def describe(self) -> Iterator[Metric]:
        # Registering must not query the database (the app registers at start-up).
        yield from self.families()

    def collect(self) -> Iterator[Metric]:
        sessions, tabs = self.families()
        for state, count in store.count_by_state(time.time()).items():
            sessions.add_metric([state], count)
        tabs.add_metric([], len(presence.tabs))
        yield from (sessions, tabs)

    def families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "sessions_live_sessions",
                "Live sessions by state, from the store (the same in every process).",
                labels=["state"],
            ),
            GaugeMetricFamily("sessions_live_tabs", "Tabs connected to this process.", labels=[]),
        )


class PushCollector(Collector):
    """This process's pushes through the channel layer, by outcome, as :mod:`.runtime.push`
    counts them (nobody waits for a push, so a dropped one shows only here and in the log)."""

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "sessions_live_pushes",
            "Pushes to tabs through the channel layer by this process, by outcome.",
            labels=["outcome"],
        )
        with push.pushes.lock:
            counts = dict(push.pushes.counts)
        for outcome in push.OUTCOMES:
            family.add_metric([outcome], counts.get(outcome, 0))
        yield family


REGISTRY.register(StoreCollector())
REGISTRY.register(PushCollector())

#: A Django view serving prometheus_client's default registry, these metrics included. A
#: scraper has no sign-in, so it is exempt from Django's LoginRequiredMiddleware.
metrics_view = login_not_required(PrometheusDjangoView.as_view())


@receiver(signals.session_started, dispatch_uid="sessions_live.metrics.started")
def count_started(**kwargs: Any) -> None:
    sessions_started.inc()


@receiver(signals.session_ended, dispatch_uid="sessions_live.metrics.ended")
def count_ended(*, reason: str, **kwargs: Any) -> None:
    sessions_ended.labels(reason=reason).inc()


@receiver(signals.session_warned, dispatch_uid="sessions_live.metrics.warned")
def count_warned(*, reason: str, **kwargs: Any) -> None:
    warnings.labels(reason=reason).inc()


@receiver(signals.session_extended, dispatch_uid="sessions_live.metrics.extended")
def count_extended(*, source: str, **kwargs: Any) -> None:
    extensions.labels(source=source).inc()
