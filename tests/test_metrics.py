"""The optional Prometheus metrics (sessions_live/metrics.py), with and without the package."""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.test import Client, RequestFactory
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

import sessions_live
from sessions_live import metrics, store
from sessions_live.models import EndReason
from sessions_live.runtime import lifecycle

from .helpers import age, live_of
from .sockets import connect, frame


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """What a Prometheus server reads from ``metrics_view``: sample name and labels to value."""
    response = metrics.metrics_view(RequestFactory().get("/metrics"))
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_events_are_counted_by_reason_and_source(
    signed_in: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    started = value("sessions_live_sessions_started_total")
    http = value("sessions_live_extensions_total", source="http")
    terminated = value("sessions_live_sessions_ended_total", reason="terminated")
    client = signed_in()
    age(client, idle=100)
    client.get("/page/")
    lifecycle.end_session(live_of(client), EndReason.TERMINATED, now=time.time())
    assert value("sessions_live_sessions_started_total") == started + 1
    assert value("sessions_live_extensions_total", source="http") == http + 1
    assert value("sessions_live_sessions_ended_total", reason="terminated") == terminated + 1
    assert scrape()[("sessions_live_sessions_ended_total", (("reason", "terminated"),))] == (
        terminated + 1
    )


@pytest.mark.django_db
def test_sessions_by_state_come_from_one_query_at_scrape_time(
    signed_in: Callable[..., Client], django_assert_num_queries: Any
) -> None:
    watched, warned = signed_in("a"), signed_in("b")
    signed_in("c")  # no tab open: idle
    now = time.time()
    for client in (watched, warned):
        store.add_tab(live_of(client).pk, f"channel.{client.session.session_key}", "p", now)
    age(warned, idle=560)
    lifecycle.end_session(live_of(signed_in("d")), EndReason.TERMINATED, now=now)
    with django_assert_num_queries(0):
        described = list(metrics.StoreCollector().describe())  # registering queries nothing
    assert [family.name for family in described] == ["sessions_live_sessions", "sessions_live_tabs"]
    with django_assert_num_queries(1):
        sessions, _ = metrics.StoreCollector().collect()
    counts = {sample.labels["state"]: sample.value for sample in sessions.samples}
    assert counts == {"active": 1, "warning": 1, "idle": 1}
    samples = scrape()
    assert samples[("sessions_live_sessions", (("state", "warning"),))] == 1


@pytest.mark.django_db
def test_absolute_deadline_warns_too(signed_in: Callable[..., Client], settings: Any) -> None:
    settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, "ABSOLUTE_EXPIRE_AFTER": 3600}
    client = signed_in()
    store.add_tab(live_of(client).pk, "channel.absolute", "p", time.time())
    age(client, since_start=3600 - 30)  # active, but 30 s before its absolute deadline
    assert store.count_by_state(time.time()) == {"active": 0, "warning": 1, "idle": 0}


@pytest.mark.usefixtures("_close_sockets", "layer", "stop_sweeper")
@pytest.mark.parametrize("layer", ["memory"], indirect=True)
@pytest.mark.django_db(transaction=True)
async def test_tabs_of_this_process_are_a_gauge(asigned_in: Callable[..., Any]) -> None:
    client = await asigned_in()
    tabs = [await connect(client) for _ in range(2)]
    for tab in tabs:
        assert (await frame(tab))["type"] == "hello"
    assert (await sync_to_async(scrape)())[("sessions_live_tabs", ())] == 2
    await tabs[0].disconnect()
    assert (await sync_to_async(scrape)())[("sessions_live_tabs", ())] == 1


def test_without_prometheus_client_the_app_starts_and_the_view_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [name for name in sys.modules if name.startswith("prometheus_client")]:
        monkeypatch.setitem(sys.modules, name, None)
    # Whether or not an earlier test imported it (the order must not matter).
    monkeypatch.delitem(sys.modules, "sessions_live.metrics", raising=False)
    monkeypatch.delattr(sessions_live, "metrics", raising=False)
    apps.get_app_config("sessions_live").ready()  # no error: the metrics are optional
    with pytest.raises(ImportError, match=r"pip install 'sessions-live\[metrics\]'"):
        importlib.import_module("sessions_live.metrics")


def test_a_broken_metrics_module_is_not_mistaken_for_a_missing_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sessions_live.metrics", None)
    monkeypatch.delattr(sessions_live, "metrics", raising=False)
    with pytest.raises(ImportError) as raised:
        apps.get_app_config("sessions_live").ready()
    assert raised.value.name == "sessions_live.metrics"
