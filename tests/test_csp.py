"""Our tags carry the nonce of the response's Content-Security-Policy header, however it is made.

Run on every supported Django: Django's own middleware (6.0+) with and without its ``csp``
context processor, django-csp's middleware (its ``request.csp_nonce``), and no CSP at all.
Both middlewares make the nonce lazily and send it only if the page read it, so the pages here
are ones where nothing but our tags reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import django
import pytest
from csp.constants import NONCE, SELF, STRICT_DYNAMIC
from django.contrib.auth.models import AbstractUser
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client, RequestFactory

MY_SESSIONS = "/sessions/"
DASHBOARD = "/admin/sessions_live/livesession/"
#: A <script src> or <link href> of ours, with its nonce if it has one.
OUR_TAG = re.compile(
    r'<(?:script|link)\b[^>]*?(?:src|href)="/static/sessions_live/([^"]+)"([^>]*)>'
)
NONCE_ATTR = re.compile(r'\bnonce="([^"]*)"')


@dataclass(frozen=True)
class Setup:
    """One way of sending a Content-Security-Policy: its middleware, settings, processors."""

    name: str
    middleware: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    context_processors: tuple[str, ...] = ()

    def apply(self, settings: Any) -> None:
        if self.middleware is not None:
            # First, as django-csp and Django's docs place it, so the nonce exists for every view.
            settings.MIDDLEWARE = [self.middleware, *settings.MIDDLEWARE]
        for name, value in self.settings.items():
            setattr(settings, name, value)
        if self.context_processors:
            engine = {**settings.TEMPLATES[0]}
            engine["OPTIONS"] = {
                **engine["OPTIONS"],
                "context_processors": [
                    *engine["OPTIONS"]["context_processors"],
                    *self.context_processors,
                ],
            }
            settings.TEMPLATES = [engine]

    def __str__(self) -> str:
        return self.name


DJANGO_CSP_LIBRARY = Setup(
    "django-csp",
    "csp.middleware.CSPMiddleware",
    {
        "CONTENT_SECURITY_POLICY": {
            "DIRECTIVES": {
                "default-src": [SELF],
                "script-src": [NONCE, STRICT_DYNAMIC],
                "style-src": [SELF, NONCE],
            }
        }
    },
)


def django_setups() -> list[Setup]:
    """Django's own CSP, where this Django has it (6.0+)."""
    if django.VERSION < (6, 0):
        return []
    from django.utils.csp import CSP

    policy = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.NONCE, CSP.STRICT_DYNAMIC],
        "style-src": [CSP.SELF, CSP.NONCE],
    }
    middleware = "django.middleware.csp.ContentSecurityPolicyMiddleware"
    return [
        Setup(
            "django",
            middleware,
            {"SECURE_CSP": policy},
            ("django.template.context_processors.csp",),
        ),
        # Without the context processor our tags read the nonce from the request.
        Setup("django-without-context-processor", middleware, {"SECURE_CSP": policy}),
    ]


#: Every CSP middleware that exists on this Django.
WITH_CSP = [*django_setups(), DJANGO_CSP_LIBRARY]
#: No CSP middleware (on 6.0+ also with Django's context processor on, which then gives None).
WITHOUT_CSP = [
    Setup("none", None),
    *(
        [Setup("context-processor-only", None, {}, ("django.template.context_processors.csp",))]
        if django.VERSION >= (6, 0)
        else []
    ),
]


@pytest.fixture(params=WITH_CSP, ids=str)
def csp(request: pytest.FixtureRequest, settings: Any) -> Setup:
    setup: Setup = request.param
    setup.apply(settings)
    return setup


@pytest.fixture(params=WITHOUT_CSP, ids=str)
def no_csp(request: pytest.FixtureRequest, settings: Any) -> Setup:
    setup: Setup = request.param
    setup.apply(settings)
    return setup


@pytest.fixture(autouse=True)
def _page_with_the_client(timeouts: Callable[..., None]) -> None:
    """The "your sessions" page extends a page whose only reader of the nonce is our tag."""
    timeouts(BASE_TEMPLATE="tests/with_client.html")


def header_nonce(response: HttpResponse) -> str:
    policy = response.headers["Content-Security-Policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
    found = re.fullmatch(r"script-src 'nonce-([^']+)' 'strict-dynamic'", script_src)
    assert found, policy
    assert f"style-src 'self' 'nonce-{found.group(1)}'" in policy
    return found.group(1)


def our_tags(response: HttpResponse) -> dict[str, str | None]:
    """Each script and stylesheet of ours on the page, with its nonce (None: no attribute)."""
    tags: dict[str, str | None] = {}
    for name, rest in OUR_TAG.findall(response.content.decode()):
        nonce = NONCE_ATTR.search(rest)
        tags[name] = nonce.group(1) if nonce else None
    return tags


def test_the_client_on_a_page_carries_the_header_nonce(
    csp: Setup, signed_in: Callable[..., Client]
) -> None:
    response = signed_in().get(MY_SESSIONS)
    assert response.status_code == 200
    nonce = header_nonce(response)
    assert our_tags(response) == {"sessions_live.css": nonce, "sessions_live.js": nonce}


def test_without_our_tag_nothing_reads_the_nonce(
    csp: Setup, signed_in: Callable[..., Client], timeouts: Callable[..., None]
) -> None:
    # The control: the same page on a base without the client sends no nonce at all, so the
    # nonce above is there because our tag read it.
    timeouts(BASE_TEMPLATE="tests/base.html")
    response = signed_in().get(MY_SESSIONS)
    assert response.status_code == 200
    assert "'nonce-" not in response.headers["Content-Security-Policy"]
    assert "script-src 'strict-dynamic'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/other/page/", "/admin/auth/user/"])
def test_the_client_put_into_a_page_carries_the_header_nonce(
    csp: Setup, staff: Callable[..., Client], timeouts: Callable[..., None], path: str
) -> None:
    # A third-party page (INJECT_CLIENT) and an admin page (ADMIN_CLIENT, the default).
    timeouts(INJECT_CLIENT=True)
    response = staff("boss", is_superuser=True).get(path)
    assert response.status_code == 200
    nonce = header_nonce(response)
    assert our_tags(response) == {"sessions_live.css": nonce, "sessions_live.js": nonce}


def test_the_signed_out_message_carries_the_header_nonce(csp: Setup, db: None) -> None:
    response = Client().get("/login/?signed_out=idle")
    assert "sessions-live-signed-out" in response.content.decode()
    assert our_tags(response) == {"sessions_live.css": header_nonce(response)}


def test_the_dashboard_carries_the_header_nonce(csp: Setup, staff: Callable[..., Client]) -> None:
    response = staff("viewer", "view_livesession").get(DASHBOARD)
    assert response.status_code == 200
    nonce = header_nonce(response)
    assert our_tags(response) == {
        "dashboard.css": nonce,
        "dashboard.js": nonce,
        "sessions_live.css": nonce,
        "sessions_live.js": nonce,
    }


def test_two_requests_two_nonces(csp: Setup, signed_in: Callable[..., Client]) -> None:
    client = signed_in()
    first, second = client.get(MY_SESSIONS), client.get(MY_SESSIONS)
    assert header_nonce(first) != header_nonce(second)
    assert our_tags(second)["sessions_live.js"] == header_nonce(second)


def test_without_a_csp_middleware_no_nonce_attribute(
    no_csp: Setup, signed_in: Callable[..., Client], staff: Callable[..., Client]
) -> None:
    pages = [
        signed_in().get(MY_SESSIONS),
        Client().get("/login/?signed_out=idle"),
        staff("viewer", "view_livesession").get(DASHBOARD),
    ]
    for response in pages:
        assert response.status_code == 200
        assert "Content-Security-Policy" not in response.headers
        tags = our_tags(response)
        assert tags
        assert set(tags.values()) == {None}, tags
    assert "nonce=" not in pages[0].content.decode()


@pytest.mark.parametrize("template", ["sessions_live_script", "sessions_live_nonce_attr"])
def test_a_csp_nonce_in_the_context_is_used(
    template: str, make_user: Callable[..., AbstractUser]
) -> None:
    request = RequestFactory().get("/")
    request.user = make_user()
    html = Template(f"{{% load sessions_live %}}{{% {template} %}}").render(
        Context({"request": request, "csp_nonce": "c0ntext-n0nce"})
    )
    assert 'nonce="c0ntext-n0nce"' in html
