"""What a refused htmx or Turbo request is answered, through Django's test client.

The headers are the ones htmx 2 and Turbo 8 send (tests/browser/test_front_ends.py runs the
real libraries in Chromium); a browser's XHR or fetch carries ``Sec-Fetch-Mode: cors``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from sessions_live.models import EndReason, LiveSession
from sessions_live.runtime import lifecycle

from .helpers import age, live_of

SignIn = Callable[..., Client]

#: What htmx 2 sends with an ``hx-get`` from the page http://testserver/page/?tab=2.
HTMX = {
    "hx-request": "true",
    "hx-current-url": "http://testserver/page/?tab=2",
    "sec-fetch-mode": "cors",
    "accept": "*/*",
}


def login_query(url: str) -> dict[str, list[str]]:
    parts = urlsplit(url)
    assert parts.path == "/login/", url
    assert not parts.netloc, url
    return parse_qs(parts.query)


def expired(signed_in: SignIn, username: str = "alice") -> Client:
    client = signed_in(username)
    age(client, idle=601)
    return client


def test_htmx_request_of_an_expired_session_is_sent_to_the_login_page(
    signed_in: SignIn, logouts: list[dict[str, Any]]
) -> None:
    client = expired(signed_in)
    response = client.get("/api/", headers=HTMX)
    # 401, which htmx 2's default responseHandling never swaps into the page; HX-Redirect is
    # acted on before the status is looked at.
    assert response.status_code == 401
    assert "Location" not in response
    assert login_query(response["HX-Redirect"]) == {
        "signed_out": ["idle"],
        "next": ["/page/?tab=2"],  # the page the user is on, not the fragment's URL
    }
    assert response.json()["reason"] == "idle"
    assert "no-store" in response["Cache-Control"]
    assert LiveSession.objects.get().end_reason == "idle"
    assert len(logouts) == 1


def test_htmx_request_of_an_ended_session_says_why(signed_in: SignIn) -> None:
    client = signed_in()
    lifecycle.end_session(live_of(client), EndReason.TERMINATED, now=time.time())
    response = client.post("/api/", headers=HTMX)
    assert response.status_code == 401
    assert login_query(response["HX-Redirect"]) == {
        "signed_out": ["terminated"],
        "next": ["/page/?tab=2"],
    }


def test_boosted_link_comes_back_to_where_it_was_going(signed_in: SignIn) -> None:
    """A boosted link or GET form is a navigation: the same next as without hx-boost."""
    client = expired(signed_in)
    response = client.get("/page/?x=1", headers={**HTMX, "hx-boosted": "true"})
    assert response.status_code == 401
    assert login_query(response["HX-Redirect"]) == {
        "signed_out": ["idle"],
        "next": ["/page/?x=1"],
    }


def test_boosted_form_post_comes_back_to_the_page_of_the_form(signed_in: SignIn) -> None:
    client = expired(signed_in)
    response = client.post("/api/", headers={**HTMX, "hx-boosted": "true"})
    assert login_query(response["HX-Redirect"])["next"] == ["/page/?tab=2"]


@pytest.mark.parametrize(
    "current",
    [
        "https://evil.example/page/",  # another site
        "http://testserver.evil.example/page/",
        "http://testserver:8080/page/",  # another port is another origin
        "http://testserver//evil.example/x",  # a path that reads as a host
        "javascript:alert(1)",
        "/page/",  # not what htmx sends: a relative URL says nothing of the site
        "",
    ],
)
def test_an_off_site_current_url_is_never_the_next(signed_in: SignIn, current: str) -> None:
    client = expired(signed_in)
    response = client.get("/api/?q=1", headers={**HTMX, "hx-current-url": current})
    assert response.status_code == 401
    assert login_query(response["HX-Redirect"])["next"] == ["/api/?q=1"]


def test_htmx_without_a_current_url_comes_back_to_its_own_path(signed_in: SignIn) -> None:
    client = expired(signed_in)
    headers = {key: value for key, value in HTMX.items() if key != "hx-current-url"}
    response = client.get("/api/", headers=headers)
    assert login_query(response["HX-Redirect"])["next"] == ["/api/"]


def test_htmx_accepting_html_without_fetch_metadata_still_gets_hx_redirect(
    signed_in: SignIn,
) -> None:
    """htmx 4 asks for text/html, and browsers send no Sec-Fetch-* to plain-http sites."""
    client = expired(signed_in)
    headers = {
        "hx-request": "true",
        "hx-current-url": HTMX["hx-current-url"],
        "accept": "text/html",
    }
    response = client.get("/api/", headers=headers)
    assert response.status_code == 401
    assert "HX-Redirect" in response


def test_htmx_history_restore_is_redirected_like_a_page(signed_in: SignIn) -> None:
    """htmx's cache-miss restore swaps a 2xx-3xx and ignores HX-Redirect: it gets the 302,
    follows it, and shows the login page."""
    client = expired(signed_in)
    response = client.get(
        "/page/",
        headers={
            **HTMX,
            "hx-current-url": "http://testserver/page/",
            "hx-history-restore-request": "true",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/login/?signed_out=idle&next=%2Fpage%2F"
    assert "HX-Redirect" not in response


def test_turbo_visit_is_redirected_like_a_page(signed_in: SignIn) -> None:
    """Turbo follows the redirect and renders the login page; a 401 in JSON it would reload."""
    client = expired(signed_in)
    response = client.get(
        "/page/?x=1",
        headers={
            "x-turbo-request-id": "5f0e8c1a-0000-4000-8000-000000000000",
            "accept": "text/vnd.turbo-stream.html, text/html, application/xhtml+xml",
            "sec-fetch-mode": "cors",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/login/?signed_out=idle&next=%2Fpage%2F%3Fx%3D1"


def test_turbo_frame_comes_back_to_the_page_holding_it(signed_in: SignIn) -> None:
    client = expired(signed_in)
    turbo = {"x-turbo-request-id": "1", "turbo-frame": "list", "sec-fetch-mode": "cors"}
    on_site = client.get("/api/", headers={**turbo, "referer": "http://testserver/page/?t=1"})
    assert login_query(on_site["Location"])["next"] == ["/page/?t=1"]
    client = expired(signed_in, "bob")
    off_site = client.get("/api/", headers={**turbo, "referer": "https://evil.example/"})
    assert login_query(off_site["Location"])["next"] == ["/api/"]


def test_page_and_fetch_answers_are_unchanged(signed_in: SignIn) -> None:
    client = expired(signed_in)
    page = client.get("/page/?x=1", headers={"sec-fetch-mode": "navigate"})
    assert page.status_code == 302
    assert page["Location"] == "/login/?signed_out=idle&next=%2Fpage%2F%3Fx%3D1"
    client = expired(signed_in, "bob")
    fetched = client.get("/api/", headers={"sec-fetch-mode": "cors", "accept": "*/*"})
    assert fetched.status_code == 401
    assert "HX-Redirect" not in fetched
    assert fetched.json() == {
        "error": "session_expired",
        "reason": "idle",
        "redirect": "/login/?signed_out=idle",
    }


def test_live_sessions_htmx_requests_are_served(signed_in: SignIn) -> None:
    response = signed_in().get("/page/", headers={**HTMX, "hx-boosted": "true"})
    assert response.status_code == 200
    assert "HX-Redirect" not in response
