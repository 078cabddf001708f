"""The client put into pages whose templates lack it (sessions_live/web/injection.py): the
Django admin's by default, every other app's with INJECT_CLIENT."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from sessions_live.checks import W007_HINT, W007_MSG, check_middleware

SignIn = Callable[..., Client]
CONFIG = 'id="sessions-live-config"'
MIDDLEWARE = "sessions_live.middleware.SessionsLiveMiddleware"
GZIP = "django.middleware.gzip.GZipMiddleware"


@pytest.fixture
def inject(settings: Any) -> None:
    settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, "INJECT_CLIENT": True}


def config_of(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="sessions-live-config" type="application/json">(.*?)</script>', html
    )
    assert found, html
    value: dict[str, Any] = json.loads(found.group(1))
    return value


@pytest.mark.usefixtures("inject")
def test_a_third_party_page_gets_the_client_before_its_last_body_end(signed_in: SignIn) -> None:
    response = signed_in().get("/other/page/")
    html = response.content.decode()
    assert html.count(CONFIG) == 1
    assert html.index("sessions_live.js") < html.index("</BODY>")
    assert html.endswith("</BODY></html>")
    assert int(response["Content-Length"]) == len(response.content)  # corrected
    assert config_of(html)["loginUrl"] == "/login/"


@pytest.mark.usefixtures("inject")
def test_the_last_body_end_is_the_one(signed_in: SignIn) -> None:
    html = signed_in().get("/other/two-bodies/").content.decode()
    assert html.index("const html = '</body>'") < html.index(CONFIG) < html.rindex("</BODY>")


def test_off_by_default_outside_the_admin(signed_in: SignIn) -> None:
    assert CONFIG not in signed_in().get("/other/page/").content.decode()


@pytest.mark.usefixtures("inject")
@pytest.mark.parametrize(
    "path", ["streaming", "compressed", "download", "text", "fragment", "opted-out"]
)
def test_pages_that_cannot_or_must_not_be_rewritten_are_left_alone(
    signed_in: SignIn, path: str
) -> None:
    response = signed_in().get(f"/other/{path}/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert CONFIG.encode() not in body
    assert b"sessions_live.js" not in body


@pytest.mark.usefixtures("inject")
def test_never_twice_with_the_tag_however_often_it_is_used(signed_in: SignIn) -> None:
    html = signed_in().get("/other/with-tag/").content.decode()
    assert html.count(CONFIG) == 1
    assert html.count("sessions_live.js") == 1
    assert html.count("<dialog") == 1


@pytest.mark.usefixtures("inject")
def test_a_page_holding_the_client_already_is_left_as_it_is(signed_in: SignIn) -> None:
    # Rendered for another request (a page cached whole): no mark on this request.
    html = signed_in().get("/other/cached/").content.decode()
    assert html.count(CONFIG) == 1


@pytest.mark.usefixtures("inject")
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_page_charset_is_kept(signed_in: SignIn, settings: Any, language: str) -> None:
    # French has characters latin-1 lacks (quotes, ellipses): character references then.
    settings.LANGUAGE_CODE = language
    response = signed_in().get("/other/latin1/")
    html = response.content.decode("latin-1")
    assert "Café" in html
    assert CONFIG in html
    if language == "fr":
        assert "&#8217;" in html or "&#8230;" in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("inject")
async def test_under_asgi_a_project_context_processor_that_queries_is_not_run_in_the_loop(
    asigned_in: Callable[..., Any], settings: Any
) -> None:
    from django.test import AsyncClient

    backend = settings.TEMPLATES[0]
    processors = backend["OPTIONS"].get("context_processors", [])
    settings.TEMPLATES = [
        {
            **backend,
            "OPTIONS": {
                **backend["OPTIONS"],
                "context_processors": [*processors, "tests.context_processors.user_count"],
            },
        }
    ]
    client = await asigned_in()
    async_client = AsyncClient()
    async_client.cookies = client.cookies
    response = await async_client.get("/other/page/")
    assert response.status_code == 200
    assert response.content.decode().count(CONFIG) == 1


@pytest.mark.parametrize("path", ["/other/answering/", "/other/answering-async/"])
def test_the_middleware_tells_whom_it_is_answering_while_the_view_runs(
    signed_in: SignIn, path: str
) -> None:
    from sessions_live.web import current_request

    assert signed_in().get(path).content == b"True"
    assert current_request.get() is None  # and no longer after


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/other/answering/", "/other/answering-async/"])
async def test_under_asgi_too(asigned_in: Callable[..., Any], path: str) -> None:
    from django.test import AsyncClient

    client = AsyncClient()
    client.cookies = (await asigned_in()).cookies
    assert (await client.get(path)).content == b"True"


@pytest.mark.usefixtures("inject")
def test_anonymous_visitors_and_ended_sessions_get_nothing(
    client: Client, signed_in: SignIn
) -> None:
    assert CONFIG not in client.get("/other/page/").content.decode()
    tab = signed_in()
    tab.post("/logout/")
    assert CONFIG not in tab.get("/other/page/").content.decode()


def test_every_admin_page_gets_it_by_default_going_to_the_admins_login(
    staff: Callable[..., Client],
) -> None:
    client = staff("boss", is_superuser=True)
    for path in ("/admin/", "/admin/auth/user/", "/admin/auth/user/add/"):
        html = client.get(path).content.decode()
        assert html.count(CONFIG) == 1, path
        assert config_of(html)["loginUrl"] == "/admin/login/"


def test_admin_client_off_leaves_the_admin_alone(
    staff: Callable[..., Client], settings: Any
) -> None:
    settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, "ADMIN_CLIENT": False}
    html = staff("boss", is_superuser=True).get("/admin/auth/user/").content.decode()
    assert CONFIG not in html


def test_the_dashboard_which_has_the_tag_gets_it_once(staff: Callable[..., Client]) -> None:
    client = staff("boss", "view_livesession")
    html = client.get("/admin/sessions_live/livesession/").content.decode()
    assert html.count(CONFIG) == 1


def test_gzip_below_the_middleware_is_reported(settings: Any) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, GZIP]
    warnings = check_middleware()
    assert [(w.id, w.msg, w.hint) for w in warnings] == [
        ("sessions_live.W007", W007_MSG, W007_HINT)
    ]
    settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, "ADMIN_CLIENT": False}
    assert check_middleware() == []  # nothing is put into pages: the order does not matter


def test_gzip_above_the_middleware_compresses_the_page_with_its_client(
    signed_in: SignIn, settings: Any
) -> None:
    import gzip

    settings.SESSIONS_LIVE = {**settings.SESSIONS_LIVE, "INJECT_CLIENT": True}
    settings.MIDDLEWARE = [GZIP, *settings.MIDDLEWARE]
    assert check_middleware() == []
    response = signed_in().get("/other/page/", headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert CONFIG in gzip.decompress(response.content).decode()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"<body>x</body>", 7),
        (b"<body>x</BoDy >", -1),  # not a </body> tag as written: left alone
        (b"</body>" + b"x" * 70_000, 0),  # before the searched tail: found in the whole
        (b"</body>" + b"x" * 70_000 + b"</BODY>", 70_007),  # the last one, in the tail
        (b"no end", -1),
        (b"x" * 70_000, -1),
    ],
)
def test_the_last_body_end_is_found_in_any_case_anywhere(content: bytes, expected: int) -> None:
    from sessions_live.web.injection import body_end

    assert body_end(content) == expected
