"""Per-user timeouts through the TIMEOUTS_FOR hook: stored at sign-in, applied everywhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core import signing
from django.http import HttpRequest
from django.test import Client

from sessions_live import checks, store
from sessions_live.runtime.sweep import sweep_once
from sessions_live.store.user_timeouts import fields_for, timeouts_of

from .fake_time import EXACT, FakeTime
from .helpers import age, live_of
from .sockets import connect, frame, tab_application

HOOK = "tests.test_user_timeouts.timeouts_for"
ANSWERS: dict[str, Any] = {}


#: Every socket a test opens is closed after it, as a browser would.
pytestmark = pytest.mark.usefixtures("_close_sockets")


def timeouts_for(*, user: Any, request: HttpRequest) -> Any:
    """The hook under test: what ANSWERS holds for the user signing in."""
    assert isinstance(request, HttpRequest)
    return ANSWERS.get(user.get_username())


@pytest.fixture(autouse=True)
def _hook(timeouts: Callable[..., None]) -> Any:
    timeouts(TIMEOUTS_FOR=HOOK)
    ANSWERS.clear()
    yield
    ANSWERS.clear()


@pytest.mark.django_db
def test_each_user_gets_the_hooks_timeouts_and_others_the_settings(
    signed_in: Callable[..., Client],
) -> None:
    ANSWERS["nurse"] = {"WARN_AFTER": 100, "EXPIRE_AFTER": 120, "ABSOLUTE_EXPIRE_AFTER": 3600}
    ANSWERS["auditor"] = {"EXPIRE_AFTER": 1800}  # WARN_AFTER stays the setting's
    nurse, auditor, other = (live_of(signed_in(name)) for name in ("nurse", "auditor", "other"))
    assert timeouts_of(nurse).warn_after == 100
    assert timeouts_of(nurse).expire_after == 120
    assert timeouts_of(nurse).absolute_expire_after == 3600
    assert (timeouts_of(auditor).warn_after, timeouts_of(auditor).expire_after) == (540, 1800)
    assert timeouts_of(other).expire_after == 600
    assert other.expire_after is None  # the settings still govern it if they change


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer",
    [
        {"WARN_AFTER": 700},  # after the setting's EXPIRE_AFTER
        {"WARN_AFTER": 60, "EXPIRE_AFTER": 30},
        {"EXPIRE_AFTER": -5},
        {"EXPIRE_AFTER": "600"},
        {"EXPIRE_AFTER": True},
        {"ABSOLUTE_EXPIRE_AFTER": float("inf")},
        {"EXPIRE_AFTRE": 60},
    ],
)
def test_an_answer_that_makes_no_sense_is_logged_and_the_settings_apply(
    answer: dict[str, Any], caplog: pytest.LogCaptureFixture, rf: Any, make_user: Any
) -> None:
    ANSWERS["odd"] = answer
    assert fields_for(make_user("odd"), rf.get("/")) == {}
    assert "TIMEOUTS_FOR returned" in caplog.text


@pytest.mark.django_db
def test_the_sweep_and_http_apply_a_users_own_deadline(signed_in: Callable[..., Client]) -> None:
    ANSWERS["short"] = {"WARN_AFTER": 30, "EXPIRE_AFTER": 60}
    short, long = signed_in("short"), signed_in("long")
    for client in (short, long):
        live = live_of(client)
        back = store.to_datetime(time.time() - 90)
        type(live).objects.filter(pk=live.pk).update(last_activity=back, started=back)
    assert short.get("/page/", headers={"accept": "text/html"}).status_code == 302
    assert long.get("/page/", headers={"accept": "text/html"}).status_code == 200
    assert sweep_once(time.time()).ended == 0  # the short one ended on its request already
    assert live_of(long).ended is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("layer", "stop_sweeper")
async def test_the_tab_is_told_its_users_own_timeouts_and_warned_by_them(
    asigned_in: Callable[..., Any],
) -> None:
    ANSWERS["short"] = {"WARN_AFTER": 90, "EXPIRE_AFTER": 120}
    short, other = await asigned_in("short"), await asigned_in("other")
    signed_in_at = store.to_epoch((await sync_to_async(live_of)(short)).last_activity)
    clock = FakeTime(start=signed_in_at)
    short_tab = await connect(short, app=tab_application(**clock.consumer_kwargs()))
    other_tab = await connect(other)  # on real time: its 540 s are far away
    hello = await frame(short_tab)
    assert (hello["warn_after"], hello["expire_after"]) == (90, 120)
    assert (hello["warn_in"], hello["expires_in"]) == pytest.approx((90, 120), abs=EXACT)
    assert (await frame(other_tab))["expire_after"] == 600
    assert await clock.next() == pytest.approx(90, abs=EXACT)  # its own, not the setting's 540
    warning = await frame(short_tab)
    assert warning["type"] == "warning"
    assert warning["expires_in"] == pytest.approx(30, abs=EXACT)
    assert await clock.next() == pytest.approx(30, abs=EXACT)
    expired = await frame(short_tab)
    assert (expired["type"], expired["reason"]) == ("expired", "idle")
    assert await other_tab.receive_nothing(0.2)
    live = await sync_to_async(live_of)(other)
    assert live.ended is None
    assert live.expire_after is None


def signed_out_page(client: Client, location: str) -> str:
    """The sign-in page a signed-out visitor was sent to, as that visitor sees it."""
    assert location.startswith("/login/?")
    return client.get(location).content.decode()


@pytest.mark.django_db
def test_the_sign_in_page_states_the_users_own_idle_limit(
    signed_in: Callable[..., Client],
) -> None:
    ANSWERS["auditor"] = {"EXPIRE_AFTER": 1800}
    auditor, other = signed_in("auditor"), signed_in("other")
    key = auditor.session.session_key
    for client in (auditor, other):
        age(client, idle=2000)  # past the user's 1800 s and the setting's 600 s
    own = auditor.get("/page/", headers={"accept": "text/html"})
    site = other.get("/page/", headers={"accept": "text/html"})
    assert own.status_code == site.status_code == 302
    assert key
    assert key not in own["Location"]
    assert site["Location"] == "/login/?signed_out=idle&next=%2Fpage%2F"  # as before
    said = "You were signed out after {} of inactivity."
    assert said.format("30 minutes") in signed_out_page(auditor, own["Location"])
    assert said.format("10 minutes") in signed_out_page(other, site["Location"])


@pytest.mark.django_db
def test_the_sign_in_page_states_the_users_own_absolute_limit_where_the_site_has_none(
    signed_in: Callable[..., Client],
) -> None:
    ANSWERS["nurse"] = {"ABSOLUTE_EXPIRE_AFTER": 3600}
    nurse = signed_in("nurse")
    age(nurse, since_start=4000)  # active, but older than its own limit
    response = nurse.get("/page/", headers={"accept": "text/html"})
    assert response.status_code == 302
    assert "You were signed out because your session reached its limit of 60 minutes." in (
        signed_out_page(nurse, response["Location"])
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("layer", "stop_sweeper")
async def test_a_tab_signed_out_by_its_users_own_limit_is_told_that_limit(
    asigned_in: Callable[..., Any],
) -> None:
    ANSWERS["short"] = {"WARN_AFTER": 90, "EXPIRE_AFTER": 120}
    short = await asigned_in("short")
    signed_in_at = store.to_epoch((await sync_to_async(live_of)(short)).last_activity)
    clock = FakeTime(start=signed_in_at)
    tab = await connect(short, app=tab_application(**clock.consumer_kwargs()))
    assert (await frame(tab))["type"] == "hello"
    assert await clock.next() == pytest.approx(90, abs=EXACT)
    assert (await frame(tab))["type"] == "warning"
    assert await clock.next() == pytest.approx(30, abs=EXACT)
    expired = await frame(tab)
    assert (expired["type"], expired["reason"]) == ("expired", "idle")
    page = await sync_to_async(signed_out_page)(Client(), expired["redirect"])
    assert "You were signed out after 2 minutes of inactivity." in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("signed_for", "value", "tail"),
    [
        (None, "60", ""),  # unsigned
        ("idle", "60.0", "x"),  # its signature altered
        ("absolute", "60.0", ""),  # signed for another reason
        ("idle", "-60.0", ""),
        ("idle", "nan", ""),
    ],
)
def test_a_limit_that_does_not_verify_is_ignored(
    signed_for: str | None, value: str, tail: str
) -> None:
    """A link cannot make the sign-in page state a limit the site never set."""
    if signed_for is not None:
        value = signing.Signer(salt=f"sessions_live.web.signed_out.{signed_for}").sign(value) + tail
    page = Client().get("/login/", {"signed_out": "idle", "signed_out_after": value})
    assert "You were signed out after 10 minutes of inactivity." in page.content.decode()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("tests.test_user_timeouts.no_such_hook", None),
        ("tests.test_user_timeouts.ANSWERS", "it is not callable"),
        (42, "it is not a dotted path"),
    ],
)
def test_a_hook_that_is_no_callable_is_reported(
    timeouts: Callable[..., None], value: Any, problem: str | None
) -> None:
    timeouts(TIMEOUTS_FOR=value)
    errors = [error for error in checks.check_settings() if error.id == "sessions_live.E012"]
    assert len(errors) == 1
    if problem is None:  # the import error's own words
        problem = (
            'Module "tests.test_user_timeouts" does not define a "no_such_hook" attribute/class'
        )
    assert errors[0].msg == checks.E012_MSG.format(value=value, problem=problem)
    assert errors[0].hint == checks.E012_HINT


def test_a_hook_that_is_a_callable_passes_the_checks() -> None:
    assert [e for e in checks.check_settings() if e.id == "sessions_live.E012"] == []
