"""The SESSIONS_LIVE setting (sessions_live.conf): merged over its defaults, typed and frozen,
read once and read again when a test changes it. (The checks of bad values: test_checks.py.)"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sessions_live.conf import (
    SessionsLiveSettings,
    activity_step,
    get_settings,
    legacy_settings_in_use,
    user_settings,
)
from sessions_live.core.policy import Timeouts


@pytest.fixture
def unset(settings: Any) -> Any:
    """tests.settings without SESSIONS_LIVE."""
    del settings.SESSIONS_LIVE
    return settings


def test_defaults_are_documented_values(settings: Any) -> None:
    del settings.SESSIONS_LIVE
    conf = get_settings()
    assert conf == SessionsLiveSettings()
    assert (conf.WARN_AFTER, conf.EXPIRE_AFTER, conf.ABSOLUTE_EXPIRE_AFTER) == (540, 600, None)
    assert conf.EXPIRE_WHEN_ALL_TABS_CLOSED is False
    assert conf.login_url == "/login/"


def test_user_values_override_defaults_and_reset_on_change(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 100, "EXPIRE_AFTER": 200, "PASSIVE_URLS": ["/a/"]}
    assert get_settings().WARN_AFTER == 100
    assert get_settings().PASSIVE_URLS == ("/a/",)
    settings.SESSIONS_LIVE = {"WARN_AFTER": 150, "EXPIRE_AFTER": 200}
    assert get_settings().WARN_AFTER == 150


def test_login_url_may_be_a_url_name(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"LOGIN_URL": "login"}
    assert get_settings().login_url == "/login/"


def test_the_merge_keeps_every_default_it_is_not_given(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"EXPIRE_AFTER": 1200, "MAX_SESSIONS_PER_USER": 3}
    conf = get_settings()
    assert conf == dataclasses.replace(
        SessionsLiveSettings(), EXPIRE_AFTER=1200, MAX_SESSIONS_PER_USER=3
    )


def test_unknown_keys_are_left_out(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 100, "EXPIRE_AFTER": 200, "WARN_AFTRE": 5}
    conf = get_settings()
    assert not hasattr(conf, "WARN_AFTRE")
    assert user_settings()["WARN_AFTRE"] == 5  # still there for the checks to report


def test_a_setting_that_is_no_mapping_counts_as_unset(settings: Any) -> None:
    settings.SESSIONS_LIVE = ["WARN_AFTER", 100]
    assert user_settings() == {}
    assert get_settings() == SessionsLiveSettings()


def test_the_settings_are_frozen() -> None:
    conf = get_settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        conf.WARN_AFTER = 1  # type: ignore[misc]


def test_sequences_become_tuples(settings: Any) -> None:
    settings.SESSIONS_LIVE = {
        "PASSIVE_URLS": ["/poll/"],
        "PASSIVE_URL_NAMES": {"status"},
        "TRUSTED_PROXIES": ["10.0.0.0/8", "192.0.2.1"],
    }
    conf = get_settings()
    assert conf.PASSIVE_URLS == ("/poll/",)
    assert conf.PASSIVE_URL_NAMES == ("status",)
    assert conf.TRUSTED_PROXIES == ("10.0.0.0/8", "192.0.2.1")


def test_the_timeouts_are_floats_for_the_policy(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 50, "EXPIRE_AFTER": 60, "ABSOLUTE_EXPIRE_AFTER": 3600}
    timeouts = get_settings().timeouts
    assert timeouts == Timeouts(warn_after=50.0, expire_after=60.0, absolute_expire_after=3600.0)
    assert all(type(value) is float for value in dataclasses.astuple(timeouts))
    settings.SESSIONS_LIVE = {}
    assert get_settings().timeouts.absolute_expire_after is None


def test_the_settings_are_read_once_until_they_change(settings: Any) -> None:
    conf = get_settings()
    assert get_settings() is conf
    settings.DEBUG = not settings.DEBUG  # no setting of ours: the cache stays
    assert get_settings() is conf
    settings.SESSIONS_LIVE = {"WARN_AFTER": 30, "EXPIRE_AFTER": 60}
    changed = get_settings()
    assert changed is not conf
    assert changed.WARN_AFTER == 30


def test_the_cache_resets_when_a_legacy_name_changes(unset: Any) -> None:
    assert get_settings().EXPIRE_AFTER == 600
    unset.SESSION_SECURITY_EXPIRE_AFTER = 900
    assert get_settings().EXPIRE_AFTER == 900
    assert legacy_settings_in_use() == ["SESSION_SECURITY_EXPIRE_AFTER"]


def test_legacy_names_are_only_fallbacks(settings: Any) -> None:
    settings.SESSION_SECURITY_WARN_AFTER = 50
    settings.SESSION_SECURITY_PASSIVE_URL_NAMES = ["status"]
    settings.SESSIONS_LIVE = {"WARN_AFTER": 30, "EXPIRE_AFTER": 60}
    conf = get_settings()
    assert (conf.WARN_AFTER, conf.PASSIVE_URL_NAMES) == (30, ("status",))
    assert legacy_settings_in_use() == ["SESSION_SECURITY_PASSIVE_URL_NAMES"]


def test_login_url_defaults_to_djangos_and_follows_it(settings: Any) -> None:
    assert get_settings().login_url == "/login/"
    settings.LOGIN_URL = "/accounts/login/"
    assert get_settings().login_url == "/accounts/login/"
    settings.SESSIONS_LIVE = {"LOGIN_URL": "/signed-out/"}
    assert get_settings().login_url == "/signed-out/"


@pytest.mark.parametrize(
    ("values", "window"),
    [
        ({}, 10),  # the documented default
        ({"WARN_AFTER": 20, "EXPIRE_AFTER": 30}, 5),  # unset: a quarter of WARN_AFTER
        ({"WARN_AFTER": 20, "EXPIRE_AFTER": 30, "ACTIVITY_INTERVAL": 8}, 8),  # as given
        ({"WARN_AFTER": "20"}, 10),  # no number (E002): left alone
    ],
)
def test_the_activity_window_and_its_step(
    settings: Any, values: dict[str, Any], window: float
) -> None:
    settings.SESSIONS_LIVE = values
    conf = get_settings()
    assert (conf.ACTIVITY_INTERVAL, activity_step(conf)) == (window, window / 2)
    assert type(activity_step(conf)) is float
