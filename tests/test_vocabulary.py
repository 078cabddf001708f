"""One vocabulary per concept (sessions_live.core.vocabulary): every place that names an end
reason or a dashboard state takes it from there, and each word has what it needs."""

from __future__ import annotations

import pytest

from sessions_live import admin, metrics, signals, store
from sessions_live.core import policy
from sessions_live.core.vocabulary import (
    END_REASON_LABELS,
    ROW_STATE_LABELS,
    TIMEOUT_REASONS,
    EndReason,
    RowState,
)
from sessions_live.models import EndReason as ModelEndReason
from sessions_live.models import LiveSession
from sessions_live.web import client_config


def test_the_model_the_signals_and_the_policy_use_the_one_end_reason() -> None:
    assert ModelEndReason is EndReason
    field = LiveSession._meta.get_field("end_reason")
    assert [value for value, _ in field.choices] == [reason.value for reason in EndReason]
    assert signals.TIMEOUT_REASONS is TIMEOUT_REASONS
    assert {reason.value for reason in policy.ExpiryReason} <= set(EndReason)
    assert {reason.value for reason in policy.ExpiryReason} <= TIMEOUT_REASONS


@pytest.mark.parametrize("reason", list(EndReason))
def test_every_end_reason_has_a_label_and_a_sign_in_page_message(reason: EndReason) -> None:
    assert str(END_REASON_LABELS[reason])
    # The absolute limit is stated only where there is one (the settings' or the user's).
    limit = 3600.0 if reason is EndReason.ABSOLUTE else None
    assert client_config.signed_out_message(reason.value, limit)


def test_the_dashboard_script_is_told_every_state_and_reason() -> None:
    strings = admin.dashboard_strings()
    assert set(strings["states"]) == {state.value for state in RowState}
    assert set(strings["reasons"]) == {reason.value for reason in EndReason}
    assert all(strings["states"].values())
    assert set(ROW_STATE_LABELS) == set(RowState)


@pytest.mark.django_db
def test_the_metric_counts_the_dashboards_live_states() -> None:
    counted = store.count_by_state(0.0)
    assert set(counted) == {RowState.ACTIVE, RowState.WARNING, RowState.IDLE}
    assert metrics.__name__ == "sessions_live.metrics"  # the contract's import path
