"""System checks, by exact id and message (the settings' merge itself: test_conf.py)."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from django.core.checks import Error, Warning, run_checks

from sessions_live import checks
from sessions_live.conf import get_settings


@pytest.fixture(autouse=True)
def _debug(settings: Any) -> None:
    settings.DEBUG = True  # so the in-memory layer of the tests is no warning (W001)


def run_all() -> list[Any]:
    return [
        *checks.check_settings(),
        *checks.check_channel_layer(),
        *checks.check_middleware(),
        *checks.check_session_engine(),
        *checks.check_warning_time(),
        *checks.check_request_context_processor(),
    ]


def ids() -> list[str]:
    return [message.id for message in run_all()]


def test_session_security_names_are_fallbacks_with_a_warning(settings: Any) -> None:
    del settings.SESSIONS_LIVE
    settings.SESSION_SECURITY_WARN_AFTER = 50
    settings.SESSION_SECURITY_EXPIRE_AFTER = 70
    settings.SESSION_SECURITY_PASSIVE_URLS = ["/poll/"]
    conf = get_settings()
    assert (conf.WARN_AFTER, conf.EXPIRE_AFTER, conf.PASSIVE_URLS) == (50, 70, ("/poll/",))
    assert checks.check_settings() == [
        Warning(
            checks.W002_MSG.format(
                names="SESSION_SECURITY_WARN_AFTER, SESSION_SECURITY_EXPIRE_AFTER, "
                "SESSION_SECURITY_PASSIVE_URLS"
            ),
            hint=checks.W002_HINT,
            id="sessions_live.W002",
        )
    ]


def test_sessions_live_wins_over_session_security(settings: Any) -> None:
    settings.SESSION_SECURITY_WARN_AFTER = 50
    settings.SESSIONS_LIVE = {"WARN_AFTER": 30, "EXPIRE_AFTER": 40}
    assert get_settings().WARN_AFTER == 30
    assert checks.check_settings() == []


def test_valid_configuration_passes_every_check() -> None:
    assert run_all() == []


def test_warn_not_below_expire_is_e001(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 600, "EXPIRE_AFTER": 600}
    assert checks.check_settings() == [
        Error(
            checks.E001_MSG.format(warn=600, expire=600),
            hint=checks.E001_HINT,
            id="sessions_live.E001",
        )
    ]


@pytest.mark.parametrize("value", [0, -5, "600", None, True, float("inf"), float("nan")])
def test_non_positive_or_non_numeric_timeout_is_e002(settings: Any, value: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 100, "EXPIRE_AFTER": value}
    assert checks.check_settings() == [
        Error(
            checks.E002_MSG.format(key="EXPIRE_AFTER", value=value),
            hint=checks.E002_HINT,
            id="sessions_live.E002",
        )
    ]


def test_absolute_timeout_must_be_positive_when_set(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"ABSOLUTE_EXPIRE_AFTER": 0}
    assert ids() == ["sessions_live.E002"]


@pytest.mark.parametrize("value", [0, -60, "1800", True])
def test_max_lease_must_be_positive_seconds_when_set(settings: Any, value: Any) -> None:
    settings.SESSIONS_LIVE = {"MAX_LEASE": value}
    assert checks.check_settings() == [
        Error(
            checks.E002_MSG.format(key="MAX_LEASE", value=value),
            hint=checks.E002_HINT,
            id="sessions_live.E002",
        )
    ]


def test_no_channel_layer_is_e003(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {}
    assert checks.check_channel_layer() == [
        Error(checks.E003_MSG, hint=checks.E003_HINT, id="sessions_live.E003")
    ]


def test_in_memory_layer_without_debug_is_w001(settings: Any) -> None:
    settings.DEBUG = False
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert checks.check_channel_layer() == [
        Warning(checks.W001_MSG, hint=checks.W001_HINT, id="sessions_live.W001")
    ]
    settings.DEBUG = True
    assert checks.check_channel_layer() == []


def test_missing_middleware_is_e004(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != checks.MIDDLEWARE_PATH]
    assert checks.check_middleware() == [
        Error(checks.E004_MSG, hint=checks.E004_HINT, id="sessions_live.E004")
    ]


def test_middleware_before_authentication_is_e005(settings: Any) -> None:
    rest = [m for m in settings.MIDDLEWARE if m != checks.MIDDLEWARE_PATH]
    settings.MIDDLEWARE = [checks.MIDDLEWARE_PATH, *rest]
    assert checks.check_middleware() == [
        Error(checks.E005_MSG, hint=checks.E005_HINT, id="sessions_live.E005")
    ]


def test_signed_cookie_sessions_are_e006(settings: Any) -> None:
    settings.SESSION_ENGINE = checks.SIGNED_COOKIES_ENGINE
    assert checks.check_session_engine() == [
        Error(checks.E006_MSG, hint=checks.E006_HINT, id="sessions_live.E006")
    ]


def without_request_processor(backend: dict[str, Any]) -> dict[str, Any]:
    options = backend.get("OPTIONS", {})
    processors = [p for p in options.get("context_processors", []) if p != checks.REQUEST_PROCESSOR]
    return {**backend, "OPTIONS": {**options, "context_processors": processors}}


def test_missing_request_context_processor_is_e013(settings: Any) -> None:
    settings.TEMPLATES = [without_request_processor(b) for b in settings.TEMPLATES]
    assert checks.check_request_context_processor() == [
        Error(checks.E013_MSG, hint=checks.E013_HINT, id="sessions_live.E013")
    ]
    assert "sessions_live.E013" in [m.id for m in run_checks()]


def test_one_django_backend_with_the_request_processor_is_enough(settings: Any) -> None:
    jinja = {"BACKEND": "django.template.backends.jinja2.Jinja2", "OPTIONS": {}}
    plain = without_request_processor(settings.TEMPLATES[0])
    settings.TEMPLATES = [jinja, plain, *settings.TEMPLATES]
    assert checks.check_request_context_processor() == []
    settings.TEMPLATES = [jinja]  # no Django templates at all: the tags are not used
    assert checks.check_request_context_processor() == []


def test_unknown_key_is_w003(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTR": 10}
    assert checks.check_settings() == [
        Warning(
            checks.W003_MSG.format(keys="WARN_AFTR"), hint=checks.W003_HINT, id="sessions_live.W003"
        )
    ]


def test_wrong_types_are_e007(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"PASSIVE_URLS": "/poll/", "EXPIRE_WHEN_ALL_TABS_CLOSED": "yes"}
    assert ids() == ["sessions_live.E007", "sessions_live.E007"]


def test_setting_that_is_not_a_dict_is_e008(settings: Any) -> None:
    settings.SESSIONS_LIVE = [("WARN_AFTER", 1)]
    assert checks.check_settings() == [
        Error(checks.E008_MSG, hint=checks.E008_HINT, id="sessions_live.E008")
    ]


@pytest.mark.parametrize(
    "values", [{"WARN_AFTER": 60, "EXPIRE_AFTER": 120}, {"WARN_AFTER": 700}], ids=["good", "bad"]
)
def test_any_mapping_is_accepted_and_checked_as_a_dict_is(
    settings: Any, values: dict[str, Any]
) -> None:
    """conf.py reads any Mapping (a MappingProxyType, a settings object's frozen view), so the
    checks take one too, and find in it what they find in the same dict."""
    settings.SESSIONS_LIVE = values
    as_dict = checks.check_settings()
    settings.SESSIONS_LIVE = MappingProxyType(values)
    assert checks.check_settings() == as_dict
    assert "sessions_live.E008" not in ids()


def test_activity_interval_not_below_warn_after_is_w004(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 8, "EXPIRE_AFTER": 20, "ACTIVITY_INTERVAL": 10}
    assert checks.check_settings() == [
        Warning(
            checks.W004_MSG.format(interval=10, warn=8),
            hint=checks.W004_HINT,
            id="sessions_live.W004",
        )
    ]


def test_sweep_too_slow_for_tab_presence_is_e010(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"SWEEP_INTERVAL": 10}
    assert checks.check_settings() == [
        Error(
            checks.E010_MSG.format(interval=10, limit=10),
            hint=checks.E010_HINT,
            id="sessions_live.E010",
        )
    ]


@pytest.mark.parametrize(
    ("warn", "expire", "warning"), [(590, 600, "10"), (2, 5, "3"), (0.5, 20, "19.5")]
)
def test_warning_shorter_than_wcag_asks_is_w006(
    settings: Any, warn: float, expire: float, warning: str
) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": warn, "EXPIRE_AFTER": expire, "ACTIVITY_INTERVAL": 0.1}
    assert checks.check_warning_time() == [
        Warning(
            f"SESSIONS_LIVE warns {warning} seconds before the session ends "
            "(EXPIRE_AFTER - WARN_AFTER): under the 20 seconds WCAG 2.2.1 asks for.",
            hint=checks.W006_HINT,
            id="sessions_live.W006",
        )
    ]
    assert "sessions_live.W006" in ids()


@pytest.mark.parametrize(
    "timeouts",
    [
        {},  # the defaults: 60 s of warning
        {"WARN_AFTER": 40, "EXPIRE_AFTER": 60},  # exactly 20 s, the demo's
        {"WARN_AFTER": 600, "EXPIRE_AFTER": 600},  # no warning at all is E001's to report
        {"WARN_AFTER": 10, "EXPIRE_AFTER": "15"},  # not a number: E002's
    ],
)
def test_twenty_seconds_of_warning_or_more_is_no_w006(
    settings: Any, timeouts: dict[str, Any]
) -> None:
    settings.SESSIONS_LIVE = timeouts
    assert checks.check_warning_time() == []


def test_w006_runs_under_the_accessibility_tag_and_can_be_silenced(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"WARN_AFTER": 2, "EXPIRE_AFTER": 5, "ACTIVITY_INTERVAL": 0.5}
    assert [message.id for message in run_checks(tags=["accessibility"])] == ["sessions_live.W006"]
    settings.SILENCED_SYSTEM_CHECKS = ["sessions_live.W006"]
    assert [message.is_silenced() for message in run_checks(tags=["accessibility"])] == [True]


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True])
def test_bad_session_limit_is_e011(settings: Any, value: Any) -> None:
    settings.SESSIONS_LIVE = {"MAX_SESSIONS_PER_USER": value}
    assert checks.check_settings() == [
        Error(
            "SESSIONS_LIVE['MAX_SESSIONS_PER_USER'] must be None or a whole number above 0, "
            f"not {value!r}.",
            hint="Set it to how many live sessions one user may hold at once (e.g. 3), or to "
            "None for no limit.",
            id="sessions_live.E011",
        )
    ]


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True])
def test_bad_broadcast_limit_is_e015(settings: Any, value: Any) -> None:
    settings.SESSIONS_LIVE = {"BROADCASTS_PER_MINUTE": value}
    assert checks.check_settings() == [
        Error(
            "SESSIONS_LIVE['BROADCASTS_PER_MINUTE'] must be None or a whole number above 0, "
            f"not {value!r}.",
            hint="Set it to how many messages to open tabs one staff member may send per minute "
            "(e.g. 5), or to None for no limit.",
            id="sessions_live.E015",
        )
    ]


@pytest.mark.parametrize("value", [None, 1, 3])
def test_no_broadcast_limit_or_a_positive_one_passes(settings: Any, value: Any) -> None:
    settings.SESSIONS_LIVE = {"BROADCASTS_PER_MINUTE": value}
    assert value == get_settings().BROADCASTS_PER_MINUTE
    assert checks.check_settings() == []


@pytest.mark.parametrize("value", [None, 1, 3])
def test_no_session_limit_or_a_positive_one_passes(settings: Any, value: Any) -> None:
    settings.SESSIONS_LIVE = {"MAX_SESSIONS_PER_USER": value}
    limit = get_settings().MAX_SESSIONS_PER_USER
    assert limit == value
    assert checks.check_settings() == []


@pytest.mark.parametrize("value", ["", 5])
def test_base_template_that_is_no_template_name_is_e007(settings: Any, value: Any) -> None:
    settings.SESSIONS_LIVE = {"BASE_TEMPLATE": value}
    assert checks.check_settings() == [
        Error(
            checks.E007_MSG.format(key="BASE_TEMPLATE", expected="a template name", value=value),
            hint=checks.E007_HINT,
            id="sessions_live.E007",
        )
    ]


def test_the_docs_list_every_check_id_once_and_no_other() -> None:
    root = Path(__file__).resolve().parent.parent
    code = "".join(path.read_text() for path in (root / "sessions_live").rglob("*.py"))
    in_code = set(re.findall(r'id="(sessions_live\.[EW]\d{3})"', code))
    page = (root / "docs" / "checks.md").read_text()
    listed = re.findall(r"^\| `(sessions_live\.[EW]\d{3})` \|", page, re.MULTILINE)
    assert len(listed) == len(set(listed)), f"docs/checks.md lists an id twice: {sorted(listed)}"
    assert sorted(in_code - set(listed)) == [], "add these to the table of docs/checks.md"
    assert sorted(set(listed) - in_code) == [], "no such check: remove them from docs/checks.md"


def test_reauth_in_place_without_its_urls_is_w008(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"REAUTH_IN_PLACE": True}
    settings.ROOT_URLCONF = "tests.urls_without_sessions"
    assert [m for m in run_checks(tags=["urls"]) if m.id.startswith("sessions_live")] == [
        Warning(
            "SESSIONS_LIVE['REAUTH_IN_PLACE'] is on, but sessions_live.urls is not included: "
            "pages cannot sign in again in place and go to the login page as before.",
            hint="Add path('account/sessions/', include('sessions_live.urls')) to your URLconf, "
            "or turn REAUTH_IN_PLACE off.",
            id="sessions_live.W008",
        )
    ]


def test_reauth_in_place_with_the_csrf_token_in_the_session_is_w009(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"REAUTH_IN_PLACE": True}
    settings.CSRF_USE_SESSIONS = True
    assert [m for m in run_checks(tags=["urls"]) if m.id.startswith("sessions_live")] == [
        Warning(
            "SESSIONS_LIVE['REAUTH_IN_PLACE'] is on, but CSRF_USE_SESSIONS keeps the CSRF token "
            "in the session, which ends with it: every sign-in in place is refused by the CSRF "
            "check.",
            hint="Keep the CSRF token in its cookie (CSRF_USE_SESSIONS = False), or turn "
            "REAUTH_IN_PLACE off.",
            id="sessions_live.W009",
        )
    ]
    settings.SESSIONS_LIVE = {}
    assert [m for m in run_checks(tags=["urls"]) if m.id.startswith("sessions_live")] == []


def test_a_reauth_hook_that_is_no_callable_is_e016(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"REAUTH_ALLOWED": "no.such.module.hook"}
    found = [m for m in checks.check_settings() if m.id == "sessions_live.E016"]
    assert [m.msg.split(":")[0] for m in found] == [
        "SESSIONS_LIVE['REAUTH_ALLOWED'] ('no.such.module.hook') does not name a callable"
    ]
    assert found[0].hint == (
        "Name a function that takes a user and returns whether they may sign in again in "
        "place, e.g. 'myproject.auth.may_reauth_in_place', or set it to None."
    )


@pytest.mark.parametrize("key", ["MAX_TABS_PER_SESSION", "MAX_TABS_PER_USER"])
@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True])
def test_bad_tab_cap_is_e017(settings: Any, key: str, value: Any) -> None:
    settings.SESSIONS_LIVE = {key: value}
    assert checks.check_settings() == [
        Error(
            f"SESSIONS_LIVE['{key}'] must be None or a whole number above 0, not {value!r}.",
            hint="Set it to how many tabs may be open at once (MAX_TABS_PER_SESSION defaults "
            "to 50, MAX_TABS_PER_USER to 200), or to None for no limit.",
            id="sessions_live.E017",
        )
    ]


def test_tab_caps_default_to_50_a_session_and_200_a_user(settings: Any) -> None:
    settings.SESSIONS_LIVE = {"MAX_TABS_PER_SESSION": None}
    assert checks.check_settings() == []
    settings.SESSIONS_LIVE = {}
    assert (get_settings().MAX_TABS_PER_SESSION, get_settings().MAX_TABS_PER_USER) == (50, 200)
